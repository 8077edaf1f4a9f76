import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { StreamExecutionEnvironment } from '../../api/environment.js';
import type { Sink, SinkWriter } from '../../core/sink.js';
import type { Row } from '../../sql/runtime/row.js';
import { formatTextTable, substituteVariables } from '../../sql/sql-job.js';
import { TableEnvironment } from '../../sql/table-environment.js';
import type { RunCommandOptions } from '../run-command.js';
import { type ResultMode, ResultView } from './result-view.js';
import { splitStatements } from './statement-splitter.js';

/** Views rows are handed to, by sink id: the job runs on this thread, but sinks may be copied per subtask. */
const views = new Map<string, ResultView>();

class ClientSink implements Sink<Row> {
  readonly name = 'sql-client';
  readonly requiredParallelism = 1;
  constructor(private readonly id: string) {}
  createWriter(): SinkWriter<Row> {
    const id = this.id;
    return { write: (rows) => views.get(id)?.add(rows) };
  }
}

export interface SqlClientOptions {
  readonly vars: Readonly<Record<string, string>>;
  readonly options: RunCommandOptions;
  readonly input?: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly output?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Default ~/.sluice_sql_history; SLUICE_SQL_HISTORY overrides it ('' for none). */
  readonly historyFile?: string;
}

const RESULT_MODES: readonly ResultMode[] = ['table', 'changelog', 'tableau'];

/**
 * The interactive SQL client: reads statements (several lines, up to a ';' ending a line), runs each, and shows
 * results. DDL and SET change the session's catalog; SHOW/DESCRIBE/EXPLAIN print tables; a SELECT or INSERT runs as
 * a job in this process (the session's catalog statements replayed on a fresh environment, so each query is its own
 * job) while Ctrl-C cancels it. QUIT or EXIT (or end of input) leaves. Returns the exit code.
 */
export async function runSqlClient(client: SqlClientOptions): Promise<number> {
  const input = client.input ?? process.stdin;
  const out = client.output ?? process.stdout;
  const terminal = input.isTTY === true && out.isTTY === true;
  // Statements piped in (`sluice sql < script.sql`) are not typed: no prompts among the results, no history entries.
  const typed = input.isTTY === true;
  const historyFile = typed
    ? (client.historyFile ?? process.env.SLUICE_SQL_HISTORY ?? join(homedir(), '.sluice_sql_history'))
    : '';
  const history = historyFile === '' ? [] : readHistory(historyFile);
  const rl = createInterface({ input, output: out, terminal, history, historySize: HISTORY_SIZE });
  const prompt = (text: string) => {
    if (!typed) return;
    rl.setPrompt(text);
    rl.prompt();
  };
  const write = (text: string) => out.write(`${text}\n`);
  let session: Session;
  try {
    session = new Session(client, write);
  } catch (e) {
    rl.close();
    process.stderr.write(`error: cannot start the SQL client: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  if (terminal) write('Welcome to the Sluice SQL client. End statements with ";", leave with QUIT;');
  let buffer = '';
  let statementSet: string | undefined;
  prompt('Sluice SQL> ');
  for await (const line of rl) {
    buffer += `${line}\n`;
    const { statements, rest } = splitStatements(buffer);
    buffer = rest;
    for (const part of statements) {
      // BEGIN STATEMENT SET; INSERT ...; INSERT ...; END; is one statement for the planner.
      if (statementSet !== undefined || /^begin\s+statement\s+set\s*;$/i.test(part)) {
        statementSet = statementSet === undefined ? part : `${statementSet}\n${part}`;
        if (!/^end\s*;$/i.test(part)) continue;
      }
      const statement = statementSet ?? part;
      statementSet = undefined;
      if (historyFile !== '') appendHistory(historyFile, statement);
      if (/^(quit|exit)\s*;?$/i.test(statement.trim())) {
        write('[INFO] Exiting Sluice SQL client...');
        rl.close();
        return 0;
      }
      await session.run(statement, rl);
    }
    prompt(buffer.trim() === '' && statementSet === undefined ? 'Sluice SQL> ' : '> ');
  }
  return 0;
}

class Session {
  private readonly env = StreamExecutionEnvironment.create();
  private readonly tenv: TableEnvironment;
  /** Statements that changed the catalog, in order: replayed before each query on its own environment. */
  private readonly catalog: string[] = [];
  private mode: ResultMode = 'table';
  private nextId = 0;

  constructor(
    private readonly client: SqlClientOptions,
    private readonly write: (text: string) => void,
  ) {
    this.tenv = TableEnvironment.create(this.env, { baseDir: process.cwd() });
  }

  async run(
    statement: string,
    rl: { once(event: 'SIGINT', f: () => void): unknown; removeAllListeners(event: 'SIGINT'): unknown },
  ): Promise<void> {
    const setting = /^\s*set\s+'?(sql-client\.[\w.-]+)'?\s*=\s*'?([^';]*)'?\s*;?\s*$/i.exec(statement);
    if (setting !== null) {
      const [, key, value] = setting;
      if (key === 'sql-client.execution.result-mode' && RESULT_MODES.includes(value!.toLowerCase() as ResultMode)) {
        this.mode = value!.toLowerCase() as ResultMode;
        this.write('[INFO] Execute statement succeed.');
      } else this.write(`[ERROR] Unknown client setting or value: ${key} = ${value}`);
      return;
    }
    try {
      const text = substituteVariables(statement, this.client.vars, '<client>');
      await this.tenv.prepareSql(text, '<client>');
      for (const result of this.tenv.executeSql(text, '<client>')) {
        switch (result.kind) {
          case 'ok':
            this.catalog.push(text);
            this.write(result.message);
            break;
          case 'table':
            this.write(result.rows.length === 0 ? 'Empty set' : formatTextTable(result.columns, result.rows));
            break;
          case 'insert':
          case 'query':
            await this.execute(text, rl);
            break;
        }
      }
    } catch (e) {
      this.write(`[ERROR] Could not execute SQL statement. Reason:\n${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Runs a SELECT or INSERT as its own job on a fresh environment; Ctrl-C cancels it. */
  private async execute(
    statement: string,
    rl: { once(event: 'SIGINT', f: () => void): unknown; removeAllListeners(event: 'SIGINT'): unknown },
  ): Promise<void> {
    const env = StreamExecutionEnvironment.create();
    const { parallelism, mode } = this.client.options;
    if (parallelism !== undefined) env.setParallelism(parallelism);
    if (mode !== undefined) env.setRuntimeMode(mode);
    const tenv = TableEnvironment.create(env, { baseDir: process.cwd() });
    for (const s of this.catalog) {
      await tenv.prepareSql(s, '<client>');
      tenv.executeSql(s, '<client>');
    }
    const results = tenv.executeSql(statement, '<client>');
    let view: ResultView | undefined;
    const id = `sql-client-${this.nextId++}`;
    for (const result of results) {
      if (result.kind !== 'query') continue;
      view = new ResultView(result.schema.fields, this.mode, this.client.output ?? process.stdout);
      views.set(id, view);
      result.stream.sinkTo(new ClientSink(id), 'sql-client');
    }
    if (view === undefined) this.write('[INFO] Submitting SQL update statement.');
    const controller = new AbortController();
    const cancel = () => controller.abort();
    rl.once('SIGINT', cancel);
    process.once('SIGINT', cancel);
    view?.start();
    try {
      const result = await env.execute('sql-client', { signal: controller.signal });
      view?.finish(result.cancelled);
      if (view === undefined) this.write(result.cancelled ? '[INFO] Job cancelled.' : '[INFO] Execution finished.');
    } finally {
      views.delete(id);
      rl.removeAllListeners('SIGINT');
      process.off('SIGINT', cancel);
    }
  }
}

/** Statements kept in the history (the file is cut back to these when it has grown to twice as many). */
const HISTORY_SIZE = 1000;

function readHistory(file: string): string[] {
  try {
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    if (lines.length > 2 * HISTORY_SIZE) writeFileSync(file, `${lines.slice(-HISTORY_SIZE).join('\n')}\n`);
    // readline wants the newest entry first.
    return lines
      .slice(-HISTORY_SIZE)
      .map((l) => l.replace(/\\n/g, '\n'))
      .reverse();
  } catch {
    return [];
  }
}

function appendHistory(file: string, statement: string): void {
  try {
    appendFileSync(file, `${statement.trim().replace(/\n/g, '\\n')}\n`);
  } catch {
    // A history that cannot be written is no reason to stop the client.
  }
}
