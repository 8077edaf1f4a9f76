import { rename, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { LogSettings } from '../runtime/logging/job-logger.js';
import { startJobJsonWriter } from '../runtime/monitor/job-json-file.js';
import { JobMonitor } from '../runtime/monitor/job-monitor.js';
import { dashboardDir } from '../web/dashboard-dir.js';
import { createRestServer, listenOnFreePort, type RestServer } from '../web/rest-server.js';
import { SingleJobBackend } from '../web/single-job-backend.js';

/** The dashboard's built files, when there are any (the REST API works without them). */
function staticDirOption(): { staticDir?: string } {
  const dir = dashboardDir();
  return dir === undefined ? {} : { staticDir: dir };
}

/** The options of `sluice run` that make a job observable (see docs/PLATFORM.md, "Job process protocol"). */
export interface PlatformOptions {
  /** Serve the REST API and dashboard: `true` for the default port 8081, or a port (the next free one if taken). */
  web?: boolean | number;
  /** Keep serving after the job ended, until SIGINT/SIGTERM. */
  webLinger?: boolean;
  /** Write the bound port to this file once listening (for the service that started this process). */
  webPortFile?: string;
  /** Keep DIR/job.json current and log to DIR/logs.jsonl. */
  jobDir?: string;
  /** Append every log line as JSON to this file. */
  logFile?: string;
  /** The job's id (32 hex digits) instead of a generated one: the service's id of the job, so REST, logs and metrics agree. */
  webJobId?: string;
}

/** What `sluice run` needs from the platform around one job. */
export interface JobPlatform {
  readonly monitor: JobMonitor;
  /** Log settings for the run, when logs go to a file. */
  readonly logs: LogSettings | undefined;
  /** Starts the web server (after the job loaded). */
  serve(controls: { cancel: () => void; checkpointDir: string | undefined; threads: number }): Promise<void>;
  /** After the job ended: final job.json, then (with --web-linger) serve until a signal, then close. */
  finish(): Promise<void>;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, file);
}

/** Sets up the monitor, logs, `--job-dir` writer and (on `serve`) the web server of one `sluice run`. */
export function startPlatform(
  file: string,
  options: PlatformOptions,
  config: Record<string, unknown>,
  log: (line: string) => void,
): JobPlatform {
  const name = basename(file, extname(file));
  const monitor = new JobMonitor({
    name,
    config,
    ...(options.webJobId === undefined ? {} : { jobId: options.webJobId }),
  });
  const jobDir = options.jobDir === undefined ? undefined : resolve(options.jobDir);
  const logFile =
    options.logFile !== undefined
      ? resolve(options.logFile)
      : jobDir === undefined
        ? undefined
        : join(jobDir, 'logs.jsonl');
  const logs = logFile === undefined ? undefined : { jobId: monitor.jobId, jobName: name, file: logFile };
  const writer = jobDir === undefined ? undefined : startJobJsonWriter(jobDir, monitor, log);
  let server: RestServer | undefined;
  return {
    monitor,
    logs,
    async serve(controls) {
      if (options.web === undefined || options.web === false) return;
      const backend = new SingleJobBackend(monitor, { ...controls, ...(logFile === undefined ? {} : { logFile }) });
      const start = options.web === true ? 8081 : options.web;
      server = await listenOnFreePort(start, (port) =>
        createRestServer(backend, { host: '127.0.0.1', port, ...staticDirOption() }),
      );
      process.stderr.write(`web: ${server.url} (job ${monitor.jobId})\n`);
      if (options.webPortFile !== undefined) await writeAtomically(resolve(options.webPortFile), `${server.port}\n`);
    },
    async finish() {
      await writer?.stop();
      if (server === undefined) return;
      if (options.webLinger) {
        process.stderr.write(`web: still serving ${server.url}; Ctrl-C to stop\n`);
        await new Promise<void>((done) => {
          process.once('SIGINT', () => done());
          process.once('SIGTERM', () => done());
        });
      }
      await server.close();
    },
  };
}
