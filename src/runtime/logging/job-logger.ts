import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Logger as PinoLogger, pino } from 'pino';
import type { Logger } from '../../functions/context.js';

/** Where the logs of one job go; passed to every worker thread (it must survive structured cloning). */
export interface LogSettings {
  /** The job's id (32 hex digits), on every line. */
  readonly jobId: string;
  readonly jobName: string;
  /** Append every line (all levels) as JSON to this file; each thread opens it in append mode. */
  readonly file?: string;
}

/** Where a subtask's logger sits in the job: the fields every line of it carries. */
export interface LoggerPlace {
  readonly vertex: string;
  readonly vertexId: number;
  readonly subtask: number;
  readonly operator: string;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/**
 * The loggers of one job on one thread. Warnings and errors always go to stderr as one human line
 * (`warn [operator (2/4)]: message {fields}`), as the runtime's own messages do; with a log file, every level also
 * goes there as a JSON line `{level, time, jobId, jobName, vertex, vertexId, subtask, operator, msg, ...fields}`.
 *
 * Each thread opens its own synchronous append-mode destination on the file instead of forwarding lines to the main
 * thread: appends of one line each are atomic on local files, nothing is lost when a worker thread exits right after
 * its last line, and no log traffic competes with data on the coordinator's message port. User logging is meant for
 * events, not per-record output: a synchronous write per line costs a few microseconds.
 */
export class JobLogs {
  private readonly root: PinoLogger | undefined;

  constructor(readonly settings: LogSettings) {
    if (settings.file !== undefined) {
      mkdirSync(dirname(settings.file), { recursive: true });
      const destination = pino.destination({ dest: settings.file, append: true, sync: true, mkdir: true });
      this.root = pino(
        {
          level: 'debug',
          base: { jobId: settings.jobId, jobName: settings.jobName },
          timestamp: pino.stdTimeFunctions.epochTime,
        },
        destination,
      );
    }
  }

  /** The logger of one operator subtask. */
  forOperator(place: LoggerPlace, parallelism: number): Logger {
    const file = this.root?.child({
      vertex: place.vertex,
      vertexId: place.vertexId,
      subtask: place.subtask,
      operator: place.operator,
    });
    return makeLogger(`${place.operator} (${place.subtask + 1}/${parallelism})`, file);
  }

  /** The logger of the job itself (the runtime's messages: restores, restarts, checkpoint warnings). */
  forJob(): Logger {
    return makeLogger(undefined, this.root, false);
  }
}

function makeLogger(label: string | undefined, file: PinoLogger | undefined, toStderr = true): Logger {
  const write = (level: Level, message: string, fields?: Record<string, unknown>) => {
    if (file !== undefined) {
      if (fields === undefined) file[level](message);
      else file[level](fields, message);
    }
    if (toStderr && (level === 'warn' || level === 'error')) {
      const where = label === undefined ? '' : ` [${label}]`;
      const extra = fields === undefined ? '' : ` ${safeJson(fields)}`;
      process.stderr.write(`${level}${where}: ${message}${extra}\n`);
    }
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** Loggers for jobs run without log settings (tests, `env.execute()` in code): warnings and errors to stderr. */
export const STDERR_LOGS = new JobLogs({ jobId: '', jobName: '' });
