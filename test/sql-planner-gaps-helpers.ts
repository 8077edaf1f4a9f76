// Helpers of the SQL planner gap tests: tables from JSON Lines files, a query's changelog and its applied result.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamExecutionEnvironment } from '../src/index.js';
import { TableEnvironment } from '../src/sql/table-environment.js';

/** One table: its DDL columns (without WITH) and its rows as objects. */
export interface TestTable {
  readonly columns: string;
  readonly rows: readonly Record<string, unknown>[];
}

/** A table environment over JSON Lines files holding `tables`. */
export function environment(tables: Record<string, TestTable>, mode: 'streaming' | 'batch' = 'streaming') {
  const env = StreamExecutionEnvironment.create();
  if (mode === 'batch') env.setRuntimeMode('batch');
  const tEnv = TableEnvironment.create(env);
  const dir = mkdtempSync(join(tmpdir(), 'sql-gaps-'));
  for (const [name, t] of Object.entries(tables)) {
    const path = join(dir, `${name}.jsonl`);
    writeFileSync(path, t.rows.map((r) => JSON.stringify(r)).join('\n') + (t.rows.length > 0 ? '\n' : ''));
    tEnv.executeSql(
      `CREATE TABLE ${name} (${t.columns}) WITH ('connector' = 'filesystem', 'path' = '${path}', 'format' = 'json')`,
    );
  }
  return { env, tEnv, dir };
}

/** A changelog entry as `+I[...]` text. */
export type Change = { kind: string; row: Record<string, unknown> };

/** Runs `query`, returning its changelog and the changelog applied (a sorted multiset of rows as JSON). */
export async function runQuery(
  tables: Record<string, TestTable>,
  query: string,
  setup: (tEnv: TableEnvironment) => void = () => {},
  mode: 'streaming' | 'batch' = 'streaming',
): Promise<{ changes: Change[]; result: string[] }> {
  const { env, tEnv } = environment(tables, mode);
  setup(tEnv);
  const sink = tEnv.toChangelogStream(tEnv.sqlQuery(query)).collect(`q-${Math.random()}`);
  await env.execute();
  const changes = sink.get() as Change[];
  return { changes, result: apply(changes) };
}

/** Applies a changelog: +I / +U add a row, -U / -D remove one (which must be present). */
export function apply(changes: readonly Change[]): string[] {
  const rows: string[] = [];
  for (const c of changes) {
    const text = JSON.stringify(c.row);
    if (c.kind === '+I' || c.kind === '+U') rows.push(text);
    else {
      const at = rows.indexOf(text);
      if (at < 0) throw new Error(`retraction of a row not present: ${c.kind}${text}`);
      rows.splice(at, 1);
    }
  }
  return rows.sort();
}

/** Rows as sorted JSON texts (the shape `apply` returns). */
export function rowsOf(rows: readonly Record<string, unknown>[]): string[] {
  return rows.map((r) => JSON.stringify(r)).sort();
}
