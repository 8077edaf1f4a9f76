import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sqlJobArgs } from '../sql/sql-job.js';
import { type RunCommandOptions, runCommand } from './run-command.js';

/** Options of `sluice sql` besides the engine options it shares with `sluice run`. */
export interface SqlCommandOptions extends RunCommandOptions {
  file?: string;
  execute?: string;
  /** `-D KEY=VALUE`, repeatable: values of `${KEY}` in the script. */
  define?: string[];
}

/** The built-in job module that runs a script (TypeScript in the sources, JavaScript once compiled). */
export const SQL_JOB_MODULE = fileURLToPath(
  new URL(`../sql/sql-job${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

/** Parses `-D` values into variables; returns an error message for a malformed one. */
export function parseDefines(defines: readonly string[] = []): Record<string, string> | string {
  const vars: Record<string, string> = {};
  for (const d of defines) {
    const eq = d.indexOf('=');
    if (eq <= 0) return `-D expects KEY=VALUE, got '${d}'`;
    vars[d.slice(0, eq)] = d.slice(eq + 1);
  }
  return vars;
}

/**
 * `sluice sql -f FILE.sql | -e 'SQL' [-D K=V]... [engine options]`: runs a SQL script as a job through the same path
 * as `sluice run` (worker threads rebuild the plan from the script), named after the script for checkpoints.
 * Without -f and -e, opens the interactive client. Returns the exit code.
 */
export async function sqlCommand(options: SqlCommandOptions): Promise<number> {
  const vars = parseDefines(options.define);
  if (typeof vars === 'string') {
    process.stderr.write(`error: ${vars}\n`);
    return 2;
  }
  if (options.file !== undefined && options.execute !== undefined) {
    process.stderr.write('error: give either -f FILE or -e SQL, not both\n');
    return 2;
  }
  if (options.file === undefined && options.execute === undefined) {
    const { runSqlClient } = await import('./sql-client/sql-client.js');
    return runSqlClient({ vars, options });
  }
  if (options.file !== undefined && !existsSync(options.file)) {
    process.stderr.write(`error: SQL file not found: ${options.file}\n`);
    return 2;
  }
  const args = sqlJobArgs({ file: options.file, sql: options.execute, vars });
  return runCommand(SQL_JOB_MODULE, args, { ...options, jobName: options.file ?? 'inline-sql' });
}
