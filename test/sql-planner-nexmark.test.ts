// The Nexmark SQL queries end to end through the TableEnvironment: the benchmark's views over a JSON Lines file of
// generated events (the Flink peer's file DDL), each query INSERTed into a filesystem json table, the files read
// back and compared with the brute-force reference.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileSourceDdl, nexmarkSql, viewsOverFile } from '../bench/nexmark/sql-script.js';
import { nexmarkEvent } from '../src/connectors/nexmark/nexmark-generator.js';
import { StreamExecutionEnvironment } from '../src/index.js';
import { TableEnvironment } from '../src/sql/table-environment.js';
import { canonicalRows, referenceQueries } from './nexmark/reference.js';

const dir = mkdtempSync(join(tmpdir(), 'sql-nexmark-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const EVENTS = 6000;
const events = Array.from({ length: EVENTS }, (_, i) => nexmarkEvent({ seed: 7 }, i));
const eventsFile = join(dir, 'events.jsonl');

const TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;

async function runQuery(
  q: string,
  mode: 'streaming' | 'batch',
  parallelism: number,
): Promise<Record<string, unknown>[]> {
  const out = join(dir, `${q}-${mode}-${parallelism}`);
  const query = nexmarkSql(`${q}.sql`).replace(
    "'connector' = 'blackhole'",
    `'connector' = 'filesystem', 'path' = '${out}', 'format' = 'json'`,
  );
  const env = StreamExecutionEnvironment.create();
  env.setRuntimeMode(mode);
  env.setParallelism(parallelism);
  const tEnv = TableEnvironment.create(env);
  tEnv.executeSql(`${fileSourceDdl('datagen', eventsFile)};\n${viewsOverFile('datagen')};\n${query}`, `${q}.sql`);
  await env.execute(q);
  return readdirSync(out)
    .filter((f) => !f.startsWith('.'))
    .flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean))
    .map((line) => {
      const row = JSON.parse(line) as Record<string, unknown>;
      for (const [k, v] of Object.entries(row)) {
        if (typeof v === 'string' && TIMESTAMP.test(v)) row[k] = Date.parse(`${v.replace(' ', 'T')}Z`);
      }
      return row;
    });
}

// Append-only queries run streaming; updating ones in batch mode (final rows reach the json sink).
// SLUICE_SQL_NEXMARK_QUERIES=q5,q7 runs a subset.
const only = process.env.SLUICE_SQL_NEXMARK_QUERIES?.split(',');
const selected = (qs: string[]) => (only === undefined ? qs : qs.filter((q) => only.includes(q)));
const STREAMING = selected(['q0', 'q1', 'q2', 'q3', 'q5', 'q8', 'q11', 'q14', 'q20', 'q21', 'q22']);
const BATCH = selected(['q4', 'q9', 'q15', 'q16', 'q17', 'q18', 'q19']);

describe('Nexmark SQL against the reference', () => {
  test('events file', () => {
    writeFileSync(eventsFile, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  });
  for (const q of STREAMING) {
    test(`${q} streaming, parallelism 2`, async () => {
      assert.deepEqual(canonicalRows(await runQuery(q, 'streaming', 2)), canonicalRows(referenceQueries[q]!(events)));
    });
  }
  for (const q of BATCH) {
    test(`${q} batch`, async () => {
      assert.deepEqual(canonicalRows(await runQuery(q, 'batch', 1)), canonicalRows(referenceQueries[q]!(events)));
    });
  }
});
