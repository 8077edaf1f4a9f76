import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { StreamExecutionEnvironment } from '../../src/api/environment.js';
import { runSqlClient } from '../../src/cli/sql-client/sql-client.js';
import type { Row } from '../../src/sql/runtime/row.js';
import { type StatementResult, TableEnvironment } from '../../src/sql/table-environment.js';
import type { SqlType } from '../../src/sql/types/sql-type.js';

/**
 * The client's mechanics (reading statements from a non-terminal stdin, result modes, catalog replay, history)
 * with a stand-in TableEnvironment whose SELECT yields a fixed changelog; the real planner is exercised by the
 * end-to-end test in sql-cli.test.ts.
 */
test('client: multi-line statements, SHOW as a table, SELECT in table and changelog modes, QUIT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sql-client-'));
  const seen: string[] = [];
  const original = TableEnvironment.create;
  const INT = { kind: 'INT', nullable: true } as SqlType;
  (TableEnvironment as unknown as { create: unknown }).create = (env: StreamExecutionEnvironment) => ({
    async prepareSql(): Promise<void> {},
    executeSql(text: string): StatementResult[] {
      seen.push(text.replace(/\s+/g, ' '));
      if (/^select/i.test(text)) {
        const rows: Row[] = [
          [0, 1],
          [0, 2],
          [1, 1],
          [2, 3],
        ];
        return [
          {
            kind: 'query',
            statement: text,
            schema: { fields: [{ name: 'n', type: INT }] },
            changelogMode: 'retract',
            stream: env.fromCollection(rows),
          },
        ];
      }
      if (/^show/i.test(text)) return [{ kind: 'table', statement: text, columns: ['table name'], rows: [['t']] }];
      return [{ kind: 'ok', statement: text, message: '[INFO] Execute statement succeed.' }];
    },
  });
  try {
    const input = new PassThrough();
    let text = '';
    const output = new PassThrough();
    output.on('data', (d) => (text += d));
    input.end(
      [
        "CREATE TABLE t (n INT) WITH ('connector' = 'datagen'",
        ');',
        'SHOW TABLES;',
        'SELECT n FROM t;',
        "SET 'sql-client.execution.result-mode' = 'changelog';",
        'SELECT n FROM t;',
        'QUIT;',
        'SELECT never;',
      ].join('\n'),
    );
    const code = await runSqlClient({ vars: {}, options: {}, input, output, historyFile: join(dir, 'h') });
    assert.equal(code, 0);
    assert.match(text, /\| table name \|\n\+-+\+\n\| t +\|/);
    // Table mode: the final result with the changelog applied (1 retracted, 3 added).
    assert.match(text, /\| +n \|\n\+-+\+\n\| +2 \|\n\| +3 \|\n\+-+\+\nReceived a total of 4 rows/);
    // Changelog mode: every change with its op.
    assert.match(text, /\| -U \| +1 \|\n\| \+U \| +3 \|/);
    // Each SELECT replays the catalog statements on a fresh environment before it is planned.
    assert.deepEqual(seen.filter((s) => s.startsWith('CREATE')).length, 3);
    assert.ok(!seen.includes('SELECT never;'));
    // Piped statements are not typed: no prompts among the results, nothing added to the history.
    assert.doesNotMatch(text, /Sluice SQL>/);
    assert.ok(!existsSync(join(dir, 'h')));
    // Typed ones are prompted for and kept in the history, a multi-line statement as one entry.
    const typed = Object.assign(new PassThrough(), { isTTY: true });
    let shown = '';
    const screen = new PassThrough();
    screen.on('data', (d) => (shown += d));
    typed.end(["CREATE TABLE t (n INT) WITH ('connector' = 'datagen'", ');', 'QUIT;'].join('\n'));
    assert.equal(
      await runSqlClient({ vars: {}, options: {}, input: typed, output: screen, historyFile: join(dir, 'h') }),
      0,
    );
    assert.match(shown, /^Sluice SQL> /);
    assert.match(readFileSync(join(dir, 'h'), 'utf8'), /^CREATE TABLE t .*\\n\);$/m);
  } finally {
    (TableEnvironment as unknown as { create: unknown }).create = original;
  }
});
