import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { defineJob } from '../api/define-job.js';
import type { StreamExecutionEnvironment } from '../api/environment.js';
import { CollectionSource } from '../connectors/basic/collection-source.js';
import { DiscardSink } from '../connectors/basic/simple-sinks.js';
import { PlanError } from '../core/errors.js';
import type { Sink, SinkWriter } from '../core/sink.js';
import { Tableau } from './connectors/formats/tableau.js';
import { ROW_KIND_SHORT, type Row } from './runtime/row.js';
import { TableEnvironment } from './table-environment.js';
import type { RowField } from './types/sql-type.js';

/** What `sluice sql` passes to this job: the script (a file or inline text) and the ${VAR} values. */
export interface SqlJobArgs {
  readonly file?: string;
  /** The script's name in messages: the path as the user gave it (`file` is made absolute). */
  readonly name?: string;
  readonly sql?: string;
  readonly vars: Readonly<Record<string, string>>;
}

/**
 * The job arguments for {@link SqlJobArgs}: `--file F --name F-as-given` | `--sql TEXT`, then `--var K=V` for each
 * variable.
 */
export function sqlJobArgs(args: SqlJobArgs): string[] {
  const out =
    args.file !== undefined
      ? ['--file', resolve(args.file), '--name', args.name ?? args.file]
      : ['--sql', args.sql ?? ''];
  for (const [k, v] of Object.entries(args.vars)) out.push('--var', `${k}=${v}`);
  return out;
}

function parseArgs(args: readonly string[]): SqlJobArgs {
  let file: string | undefined;
  let sql: string | undefined;
  let name: string | undefined;
  const vars: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const value = args[i + 1] ?? '';
    if (args[i] === '--file') file = value;
    else if (args[i] === '--sql') sql = value;
    else if (args[i] === '--name') name = value;
    else if (args[i] === '--var') {
      const eq = value.indexOf('=');
      if (eq <= 0) throw new PlanError(`expected KEY=VALUE, got '${value}'`);
      vars[value.slice(0, eq)] = value.slice(eq + 1);
    } else throw new PlanError(`unknown argument of the SQL job: '${args[i]}'`);
  }
  return { file, sql, vars, ...(name === undefined ? {} : { name }) };
}

/**
 * Replaces `${NAME}` by its value, as the Nexmark benchmark's runner does; a `${NAME}` without a value is an error
 * naming it and the line, so a forgotten `-D` never runs with a literal '${TPS}'. Function bodies between `$$` are
 * code, left as they are: a TypeScript template literal there (`${s}!`) is not a variable.
 */
export function substituteVariables(text: string, vars: Readonly<Record<string, string>>, source: string): string {
  return text.replace(/\$\$[\s\S]*?\$\$|\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g, (whole, name: string, offset: number) => {
    if (name === undefined) return whole;
    const value = vars[name];
    if (value === undefined) {
      const line = text.slice(0, offset).split('\n').length;
      throw new PlanError(`${source}:${line}: no value for ${whole}: give it with -D ${name}=...`);
    }
    return value;
  });
}

/** Writes to stdout, waiting for it to drain when its buffer is full. */
function writeStdout(text: string): void | Promise<void> {
  if (!process.stdout.write(text)) return new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
}

/**
 * The order in which the SELECTs of one script print: one after the other, in script order, as Flink's client runs
 * them. All SELECTs run in the same job, so the output of a later one is held until every earlier one has ended
 * (for an unbounded earlier SELECT: never, as in Flink, where it would not even start). The tableau sinks have
 * parallelism 1, so they all run on the thread of subtask 0 and share this object.
 */
export class TableauOrder {
  private turn = 0;
  private draining = false;
  private readonly held = new Map<number, string[]>();
  private readonly ended = new Set<number>();

  constructor(private readonly write: (text: string) => void | Promise<void> = writeStdout) {}

  /** Output of the SELECT at `index`: written now when it is that SELECT's turn, else held. */
  emit(index: number, text: string): void | Promise<void> {
    if (index === this.turn && !this.draining) return this.write(text);
    const held = this.held.get(index);
    if (held === undefined) this.held.set(index, [text]);
    else held.push(text);
  }

  /** The SELECT at `index` has printed everything; the next ones in line print what they hold. */
  async end(index: number): Promise<void> {
    this.ended.add(index);
    if (index !== this.turn || this.draining) return;
    this.draining = true;
    try {
      while (this.ended.has(this.turn)) {
        this.turn++;
        // Output that arrives while the held output is written is held too, and written after it.
        for (let held = this.held.get(this.turn); held !== undefined; held = this.held.get(this.turn)) {
          this.held.delete(this.turn);
          for (const text of held) await this.write(text);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}

/**
 * Prints a SELECT's rows to stdout as Flink's SQL client does in tableau mode with the changelog column, then the
 * bottom border and the row count when the input ends. Parallelism 1, so the table is one. `index` is the SELECT's
 * place among the script's SELECTs in `order`.
 */
export class TableauSink implements Sink<Row> {
  readonly name = 'sql-client:tableau';
  readonly requiredParallelism = 1;
  constructor(
    private readonly fields: readonly RowField[],
    private readonly order: TableauOrder = new TableauOrder(),
    private readonly index = 0,
  ) {}
  createWriter(): SinkWriter<Row> {
    const tableau = new Tableau(this.fields, true);
    const { order, index } = this;
    let count = 0;
    return {
      open: () => order.emit(index, `${tableau.header()}\n`),
      write(rows) {
        let text = '';
        for (const row of rows) text += `${tableau.row(row, ROW_KIND_SHORT[row[0] as number] ?? '?')}\n`;
        count += rows.length;
        return order.emit(index, text);
      },
      async flush() {
        await order.emit(index, `${tableau.border()}\n${Tableau.total(count)}\n`);
        await order.end(index);
      },
    };
  }
}

/**
 * Builds the job of a SQL script on `env`: every statement through a TableEnvironment (relative paths against the
 * script's directory), each SELECT printed as a tableau, SHOW/DESCRIBE/EXPLAIN and [INFO] messages written once (by
 * the coordinating thread; worker threads rebuild the same plan silently). A script without INSERT or SELECT gets
 * an empty job so that it still runs to completion.
 */
export async function buildSqlJob(env: StreamExecutionEnvironment, args: SqlJobArgs): Promise<void> {
  const source = args.name ?? args.file ?? '<inline>';
  const raw = args.file !== undefined ? readFileSync(args.file, 'utf8') : (args.sql ?? '');
  const text = substituteVariables(raw, args.vars, source);
  const baseDir = args.file !== undefined ? dirname(resolve(args.file)) : process.cwd();
  const tenv = TableEnvironment.create(env, { baseDir });
  // Module functions ('./udfs.ts#f') load asynchronously, before any statement is planned.
  await tenv.prepareSql(text, source);
  const results = tenv.executeSql(text, source);
  let runs = false;
  const order = new TableauOrder();
  let selects = 0;
  for (const result of results) {
    switch (result.kind) {
      case 'ok':
        if (isMainThread) process.stderr.write(`${result.message}\n`);
        break;
      case 'table':
        if (isMainThread) process.stdout.write(`${formatTextTable(result.columns, result.rows)}\n`);
        break;
      case 'insert':
        runs = true;
        break;
      case 'query':
        runs = true;
        result.stream.sinkTo(new TableauSink(result.schema.fields, order, selects++), 'sql-client:tableau');
        break;
    }
  }
  if (!runs) env.fromSource(new CollectionSource<never>([], 'no-statements-to-run')).sinkTo(new DiscardSink());
}

/** A small bordered table of text (SHOW, DESCRIBE, EXPLAIN results), cells left-aligned. */
export function formatTextTable(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) =>
    Math.max(c.length, ...rows.flatMap((r) => (r[i] ?? '').split('\n').map((l) => l.length))),
  );
  const border = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const lines = [border, line(columns), border];
  for (const r of rows) {
    // A multi-line cell (an EXPLAIN plan) continues on the following lines.
    const split = columns.map((_, i) => (r[i] ?? '').split('\n'));
    const height = Math.max(...split.map((s) => s.length));
    for (let k = 0; k < height; k++) lines.push(line(split.map((s) => s[k] ?? '')));
  }
  lines.push(border);
  if (rows.length > 0) lines.push(`${rows.length} row${rows.length === 1 ? '' : 's'} in set`);
  return lines.join('\n');
}

/** The job `sluice sql` runs: `sluice sql -f q.sql -p 4` is `sluice run <this module> -p 4 -- --file q.sql`. */
export default defineJob((env, args) => buildSqlJob(env, parseArgs(args)));
