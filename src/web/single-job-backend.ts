import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { requestSavepoint } from '../runtime/checkpoint/savepoint-requests.js';
import { jobResource, overviewEntry } from '../runtime/monitor/job-documents.js';
import type { JobMonitor } from '../runtime/monitor/job-monitor.js';
import { BadRequest, type JobsBackend, UnsupportedOperation } from './jobs-backend.js';
import { prometheusText } from './prometheus-metrics.js';
import { readLogPage } from './service/log-pages.js';

/** What the embedded job lets the backend do to it. */
export interface SingleJobControls {
  /** Cancels the job (as Ctrl-C does). */
  cancel?: () => void;
  /** The job's checkpoint directory: savepoints and stop-with-savepoint go through its request folder. */
  checkpointDir?: string;
  /** The job's JSON-lines log file, served by `/jobs/:jid/logs`. */
  logFile?: string;
  /** Threads the job runs on (the overview's slots). */
  threads?: number;
}

interface SavepointOperation {
  status: 'IN_PROGRESS' | 'COMPLETED';
  location?: string;
  failure?: string;
}

const version = (() => {
  try {
    const pkg = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/**
 * The {@link JobsBackend} of `sluice run --web`: one job, running in this process, seen through its monitor.
 * Submitting and rescaling are not possible here (the service does them); cancel is wired to the run's abort
 * signal; savepoint and stop use the same request folder as `sluice savepoint`, so they need checkpointing.
 */
export class SingleJobBackend implements JobsBackend {
  private readonly savepoints = new Map<string, SavepointOperation>();

  constructor(
    private readonly monitor: JobMonitor,
    private readonly controls: SingleJobControls = {},
  ) {}

  async overview(): Promise<Record<string, unknown>> {
    const state = this.monitor.state;
    return {
      taskmanagers: 1,
      'slots-total': this.controls.threads ?? 1,
      'slots-available': 0,
      'jobs-running': state === 'RUNNING' || state === 'RESTARTING' || state === 'CREATED' ? 1 : 0,
      'jobs-finished': state === 'FINISHED' ? 1 : 0,
      'jobs-cancelled': state === 'CANCELED' ? 1 : 0,
      'jobs-failed': state === 'FAILED' ? 1 : 0,
      'flink-version': `sluice ${version}`,
      'flink-commit': '',
    };
  }

  async jobsOverview(): Promise<{ jobs: Record<string, unknown>[] }> {
    return { jobs: [overviewEntry(this.monitor)] };
  }

  async jobResource(jid: string, path: string, query: Readonly<Record<string, string>>): Promise<unknown | undefined> {
    if (jid !== this.monitor.jobId) return undefined;
    if (path === '/logs') {
      // The same page shape as sluice serve's (`lines`, `next-offset`), which the dashboard and `sluice logs` read.
      return readLogPage('log', this.controls.logFile === undefined ? [] : [this.controls.logFile], {
        offset: Number(query.offset ?? 0),
        limit: Math.min(Number(query.limit ?? 100), 10_000),
        ...(query.q === undefined ? {} : { q: query.q }),
        json: true,
      });
    }
    return jobResource(this.monitor, path, query);
  }

  async submit(): Promise<{ jobid: string }> {
    throw new UnsupportedOperation('this server runs one job (sluice run --web); submit jobs to sluice serve');
  }

  async cancel(jid: string): Promise<void> {
    this.check(jid);
    if (this.controls.cancel === undefined) throw new UnsupportedOperation('this job cannot be cancelled from here');
    if (!this.monitor.ended) this.controls.cancel();
  }

  async savepoint(jid: string, request: Readonly<Record<string, unknown>>): Promise<{ 'request-id': string }> {
    const target = request['target-directory'];
    return this.startSavepoint(jid, target, request['cancel-job'] === true);
  }

  async savepointStatus(jid: string, requestId: string): Promise<unknown | undefined> {
    if (jid !== this.monitor.jobId) return undefined;
    const op = this.savepoints.get(requestId);
    if (op === undefined) return undefined;
    if (op.status === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' } };
    return {
      status: { id: 'COMPLETED' },
      operation:
        op.failure === undefined ? { location: op.location } : { 'failure-cause': { 'stack-trace': op.failure } },
    };
  }

  async stop(jid: string, request: Readonly<Record<string, unknown>>): Promise<{ 'request-id': string }> {
    return this.startSavepoint(jid, request.targetDirectory, true);
  }

  async rescale(jid: string): Promise<void> {
    this.check(jid);
    throw new UnsupportedOperation('rescaling needs the service (sluice serve): it restarts the job from a savepoint');
  }

  async prometheus(): Promise<string> {
    return prometheusText([this.monitor]);
  }

  private check(jid: string): void {
    if (jid !== this.monitor.jobId) throw new BadRequest(`no job ${jid}: this server runs job ${this.monitor.jobId}`);
  }

  private startSavepoint(jid: string, target: unknown, stop: boolean): { 'request-id': string } {
    this.check(jid);
    const dir = this.controls.checkpointDir;
    if (dir === undefined) {
      throw new UnsupportedOperation('savepoints need checkpointing: run the job with --checkpoint-dir');
    }
    if (typeof target !== 'string' || target === '') throw new BadRequest('a savepoint needs a target directory');
    if (this.monitor.ended) throw new BadRequest(`the job has ended (${this.monitor.state})`);
    const id = randomBytes(16).toString('hex');
    const op: SavepointOperation = { status: 'IN_PROGRESS' };
    this.savepoints.set(id, op);
    requestSavepoint(resolve(dir), { target: resolve(target), stop }, 60_000).then(
      (answer) => {
        op.status = 'COMPLETED';
        if (answer.ok) op.location = answer.path;
        else op.failure = answer.error ?? 'the savepoint failed';
      },
      (e: Error) => {
        op.status = 'COMPLETED';
        op.failure = e.message;
      },
    );
    return { 'request-id': id };
  }
}
