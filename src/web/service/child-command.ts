import { execFile } from 'node:child_process';
import { engineArgv } from '../engine-options.js';

/** Where a job's child process writes what the service reads. */
export interface ChildPaths {
  /** The job's directory in the data directory (`--job-dir`: the child writes job.json there). */
  jobDir: string;
  /** `--web-port-file`: the child writes its REST port here once listening. */
  portFile: string;
  /** `--log-file`: the child's structured log lines (pino JSON). */
  logFile: string;
  /** For SQL submissions: the file holding the SQL text. */
  sqlFile: string;
}

/** What the `sluice` command of this package can do (asked once per service, from its `--help`). */
export interface ChildCapabilities {
  /** `sluice run` takes `--web`, `--web-port-file`, `--job-dir`, `--log-file`. */
  webProtocol: boolean;
  /** `sluice run` takes `--web-job-id` (the child then uses the service's id of the job). */
  jobId: boolean;
  /** `sluice sql -f FILE` exists. */
  sql: boolean;
}

/**
 * The arguments (after `node`) of the child process that runs one job:
 * `BIN run FILE [engine options] [--web 0 --web-port-file F --job-dir D --log-file L --web-job-id JID] -- [args]`,
 * or for SQL `BIN sql -f DATA/jobs/JID/job.sql [engine options] [...]`. The protocol flags are added only when the
 * command supports them; without them the service still runs the job and keeps its exit code and output. With
 * `--web-job-id` the child's REST documents, log lines and metric labels carry the service's id `jobId`.
 */
export function childArgv(
  bin: string,
  request: Readonly<Record<string, unknown>>,
  paths: ChildPaths,
  capabilities: ChildCapabilities,
  jobId?: string,
): string[] {
  const protocol = capabilities.webProtocol
    ? ['--web', '0', '--web-port-file', paths.portFile, '--job-dir', paths.jobDir, '--log-file', paths.logFile]
    : [];
  if (capabilities.jobId && jobId !== undefined) protocol.push('--web-job-id', jobId);
  const head = request.sql !== undefined ? [bin, 'sql', '-f', paths.sqlFile] : [bin, 'run', String(request.file)];
  const args = (request.args as string[] | undefined) ?? [];
  return [...head, ...engineArgv(request), ...protocol, '--', ...args];
}

function help(bin: string, command: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, command, '--help'], { timeout: 60_000 }, (error, stdout) =>
      resolve(error === null ? stdout : ''),
    );
  });
}

/** Asks `BIN run --help` and `BIN sql --help` what the command supports. */
export async function probeCapabilities(bin: string): Promise<ChildCapabilities> {
  const [run, sql] = await Promise.all([help(bin, 'run'), help(bin, 'sql')]);
  return {
    webProtocol: run.includes('--web-port-file') && run.includes('--job-dir'),
    jobId: run.includes('--web-job-id'),
    sql: sql.includes('-f'),
  };
}
