// What a user sees for bad SQL scripts and bad data, through the real `sluice sql` command: the script, line and
// column with the line quoted and a caret, a suggestion where there is one, exit code 1 and no stack trace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/sluice.mjs');
let dir = '';

const SRC =
  "CREATE TABLE src (id BIGINT, price BIGINT, ts BIGINT) WITH ('connector' = 'filesystem', 'path' = 'data.jsonl', 'format' = 'json');";

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-sql-errors-'));
  writeFileSync(join(dir, 'data.jsonl'), '{"id": 1, "price": 10, "ts": 1000}\n{"id": 2, "price": "12x", "ts": 2000}\n');
  writeFileSync(join(dir, 'data.csv'), '1,a,3\n2,b\n');
  writeFileSync(
    join(dir, 'funcs.mjs'),
    [
      'export function ok(x) { return x + 1; }',
      "export function boom(x) { if (x === 2) throw new Error('bad value ' + x); return x; }",
      'export async function never() { return new Promise(() => {}); }',
    ].join('\n'),
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `sluice sql -f <name>.sql` over `script` (or `-e` with `inline`) and returns exit code and stderr. */
function sql(name: string, script: string, extra: string[] = []): { status: number | null; stderr: string } {
  const file = join(dir, `${name}.sql`);
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, [bin, 'sql', '-f', file, ...extra], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stderr: r.stderr };
}

/** A user error: exit code 1, the patterns in stderr, and no stack frames. */
function refused(r: { status: number | null; stderr: string }, ...patterns: RegExp[]): void {
  assert.equal(r.status, 1, r.stderr);
  for (const p of patterns) assert.match(r.stderr, p);
  assert.doesNotMatch(r.stderr, /^\s+at .*(src|node:internal)/m, r.stderr);
}

/** `file:line:col: reason`, then the quoted line and a caret under column `col`. */
function at(name: string, line: number, column: number, reason: RegExp): RegExp {
  const caret = `\\n  [^\\n]*\\n  ${' '.repeat(column - 1)}\\^`;
  return new RegExp(`error: [^\\n]*${name}\\.sql:${line}:${column}: ${reason.source}[^\\n]*(\\n[^\\n]*)*?${caret}`);
}

describe('sluice sql: errors in the script', () => {
  test('syntax errors', () => {
    refused(sql('syntax', 'SELECT id,\n  FROM src WHERE;\n'), at('syntax', 2, 3, /Unexpected 'FROM'/));
    refused(
      sql('misspelt', `${SRC}\nSELEC id FROM src;\n`),
      at('misspelt', 2, 1, /Unexpected 'SELEC'/),
      /Did you mean SELECT/,
    );
    refused(sql('unterminated', "SELECT 'abc FROM src;\n"), at('unterminated', 1, 8, /Unterminated string literal/));
  });

  test('unknown table, view, column, function, type, target column', () => {
    refused(
      sql('table', `${SRC}\nSELECT id FROM srcs;\n`),
      at('table', 2, 16, /Object 'srcs' not found/),
      /Did you mean 'src'/,
    );
    refused(
      sql('view', `${SRC}\nCREATE VIEW v AS SELECT id FROM src;\nSELECT * FROM vv;\n`),
      at('view', 3, 15, /Object 'vv' not found/),
      /Did you mean 'v'/,
    );
    refused(
      sql('column', `${SRC}\nSELECT id, prise FROM src;\n`),
      at('column', 2, 12, /Column 'prise' not found/),
      /Did you mean 'price'/,
    );
    refused(
      sql('function', `${SRC}\nSELECT UPPR(CAST(id AS STRING)) FROM src;\n`),
      at('function', 2, 8, /No match found for function signature UPPR/),
      /Did you mean 'UPPER'/,
    );
    refused(
      sql('type', "CREATE TABLE t (a BIGINTT) WITH ('connector' = 'blackhole');\n"),
      at('type', 1, 19, /Unknown type 'BIGINTT'/),
    );
    refused(
      sql(
        'target',
        `${SRC}\nCREATE TABLE o (a BIGINT, b BIGINT) WITH ('connector' = 'blackhole');\nINSERT INTO o (a, c) SELECT id, price FROM src;\n`,
      ),
      at('target', 3, 19, /Unknown target column 'c'/),
    );
  });

  test('wrong argument types and casts', () => {
    refused(
      sql('args', `${SRC}\nSELECT SUBSTRING(id, 'a') FROM src;\n`),
      at('args', 2, 8, /Function SUBSTRING: argument 1/),
    );
    refused(sql('plus', `${SRC}\nSELECT id + 'abc' FROM src;\n`), at('plus', 2, 8, /Cannot apply '\+'/));
    refused(
      sql('cast', `${SRC}\nSELECT id,\n  CAST(ts AS TIMESTAMP(3)) FROM src;\n`),
      at('cast', 3, 3, /Cannot cast BIGINT to TIMESTAMP.*TO_TIMESTAMP_LTZ/),
    );
  });

  test('INSERT with the wrong number of columns or a type the sink column cannot take', () => {
    refused(
      sql(
        'count',
        `${SRC}\nCREATE TABLE o (a BIGINT, b BIGINT) WITH ('connector' = 'blackhole');\nINSERT INTO o SELECT id FROM src;\n`,
      ),
      at('count', 3, 1, /Column types of query result and sink .* do not match/),
      /Different number of columns/,
    );
    const r = sql(
      'types',
      `${SRC}\nCREATE TABLE o (a BIGINT, t TIMESTAMP(3)) WITH ('connector' = 'blackhole');\nINSERT INTO o\nSELECT id, ts FROM src;\n`,
    );
    refused(
      r,
      at('types', 4, 12, /Column types/),
      /sink column 't' at position 1: BIGINT cannot be written to TIMESTAMP\(3\)/,
    );
    assert.match(r.stderr, /\n {2}SELECT id, ts FROM src;\n {13}\^\^\n/);
  });

  test('connector and options: at the option, with a suggestion', () => {
    refused(
      sql('connector', "CREATE TABLE s (id BIGINT) WITH ('connector' = 'filesytem');\nSELECT * FROM s;\n"),
      at('connector', 1, 34, /Unknown connector 'filesytem'/),
      /Did you mean 'filesystem'/,
    );
    refused(
      sql(
        'missing',
        "CREATE TABLE s (id BIGINT) WITH (\n  'connector' = 'filesystem',\n  'format' = 'json');\nSELECT * FROM s;\n",
      ),
      at('missing', 1, 1, /Table .* needs the option 'path'/),
    );
    const misspelt = sql(
      'option',
      "CREATE TABLE s (id BIGINT) WITH (\n  'connector' = 'filesystem', 'path' = 'data.jsonl', 'format' = 'json',\n  'json.fail-on-missng-field' = 'true');\nSELECT * FROM s;\n",
    );
    refused(misspelt, at('option', 3, 3, /Unsupported option 'json.fail-on-missng-field'/));
    // The suggestion comes after the caret, as for every other error.
    assert.match(misspelt.stderr, /\^\nDid you mean 'json.fail-on-missing-field'\?/);
    refused(
      sql(
        'value',
        "CREATE TABLE s (id BIGINT) WITH ('connector' = 'filesystem', 'path' = 'data.jsonl', 'format' = 'jsn');\nSELECT * FROM s;\n",
      ),
      at('value', 1, 85, /Invalid value 'jsn' of option 'format'/),
      /Did you mean 'json'/,
    );
    refused(
      sql(
        'path',
        "CREATE TABLE s (id BIGINT) WITH ('connector' = 'filesystem', 'path' = 'nope.jsonl', 'format' = 'json');\nSELECT * FROM s;\n",
      ),
      at('path', 1, 62, /Table '.*s': 'path' = 'nope.jsonl' does not exist/),
    );
  });

  test('functions that do not compile or load', () => {
    refused(
      sql(
        'js',
        'CREATE FUNCTION f(x BIGINT) RETURNS BIGINT AS $$\n  (x) => {\n    let y = x +;\n    return y;\n  }\n$$ LANGUAGE JAVASCRIPT;\nSELECT f(1);\n',
      ),
      at('js', 3, 16, /Function f: the body does not evaluate: Unexpected ";"/),
    );
    refused(
      sql(
        'ts',
        'CREATE FUNCTION f(x BIGINT) RETURNS BIGINT AS $$ (x: number) => x +* 1 $$ LANGUAGE TYPESCRIPT;\nSELECT f(1);\n',
      ),
      at('ts', 1, 68, /Function f: the body does not evaluate: Unexpected "\*"/),
    );
    refused(
      sql('nofile', "CREATE FUNCTION f AS './nofile.mjs#ok';\nSELECT f(1);\n"),
      at('nofile', 1, 23, /Cannot load function f: module '.*nofile.mjs' does not exist/),
    );
    refused(
      sql('noexport', "CREATE FUNCTION f AS './funcs.mjs#okk';\nSELECT f(1);\n"),
      at('noexport', 1, 23, /Cannot load function f: module '.*funcs.mjs' has no export 'okk' \(exports: .*ok/),
    );
  });

  test('query shapes the planner refuses', () => {
    const updating = sql(
      'updating',
      `${SRC}\nCREATE TABLE o (id BIGINT, c BIGINT) WITH ('connector' = 'filesystem', 'path' = 'out', 'format' = 'json');\nINSERT INTO o SELECT id, COUNT(*) FROM src GROUP BY id;\n`,
    );
    refused(
      updating,
      at(
        'updating',
        3,
        1,
        /Table sink .* doesn't support consuming update changes which is produced by node GroupAggregate/,
      ),
      /debezium-json.*--mode batch/,
    );
    refused(
      sql('unbounded', "CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen');\nSELECT * FROM g;\n", [
        '--mode',
        'batch',
      ]),
      at('unbounded', 1, 1, /Table 'g' is unbounded, but batch mode needs every source to end/),
    );
    refused(
      sql(
        'window',
        "CREATE TABLE s (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'filesystem', 'path' = 'data.jsonl', 'format' = 'json');\nCREATE VIEW v AS SELECT id, MAX(ts) AS ts FROM s GROUP BY id;\nSELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE v, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;\n",
      ),
      at(
        'window',
        3,
        1,
        /WindowAggregate doesn't support consuming update changes which is produced by node GroupAggregate/,
      ),
    );
    refused(
      sql(
        'var',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the script's own ${VAR}
        "CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '${ROWS}');\nSELECT * FROM g;\n",
      ),
      /var\.sql:1: no value for \$\{ROWS\}: give it with -D ROWS=/,
    );
  });
});

describe('sluice sql: errors while the job runs', () => {
  test('a JSON field of the wrong type names file:line and the field', () => {
    refused(
      sql('json', `${SRC}\nSELECT id, price FROM src;\n`),
      /error: .*data\.jsonl:2: field 'price': expected BIGINT, got "12x"/,
    );
  });

  test('a CSV line with too few fields names file:line', () => {
    refused(
      sql(
        'csv',
        "CREATE TABLE c (a BIGINT, b STRING, d BIGINT) WITH ('connector' = 'filesystem', 'path' = 'data.csv', 'format' = 'csv');\nSELECT * FROM c;\n",
      ),
      /error: .*data\.csv:2: expected 3 fields, got 2/,
    );
  });

  test('a function that throws names the function, the row and the SQL line', () => {
    refused(
      sql('throws', `${SRC}\nCREATE FUNCTION boom AS './funcs.mjs#boom';\nSELECT id,\n  boom(id) AS b FROM src;\n`),
      /SQL function boom at line 4, column 3 .*on row \+I\[2\].*bad value 2/,
    );
  });

  test('an async function that never resolves times out, naming it', () => {
    refused(
      sql('never', `${SRC}\nCREATE FUNCTION never AS './funcs.mjs#never';\nSELECT never(id) FROM src;\n`),
      /async function 'never' \(line 3, column 8\) timed out after \d+ ms/,
    );
  });
});

describe('sluice sql -e', () => {
  test('names <inline> and the position', () => {
    const r = spawnSync(process.execPath, [bin, 'sql', '-e', 'SELECT prise FROM (VALUES (1)) AS t(price);'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
    });
    refused(
      { status: r.status, stderr: r.stderr },
      /error: <inline>:1:8: Column 'prise' not found/,
      /Did you mean 'price'/,
    );
  });
});
