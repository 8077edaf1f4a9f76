import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { requestSavepoint } from '../../runtime/checkpoint/savepoint-requests.js';
import { PATH_OPTIONS } from '../engine-options.js';
import { Conflict, NotFound } from '../http-errors.js';
import { BadRequest, type JobsBackend } from '../jobs-backend.js';
import { AllowedPaths } from './allowed-paths.js';
import { type ChildCapabilities, childArgv, probeCapabilities } from './child-command.js';
import { getFromChild } from './child-http.js';
import { exceptionsOf, type JobDocuments, overviewEntry, readJson, storedResource } from './job-documents.js';
import { type ChildExit, endOrphan, failureReason, JobProcess } from './job-process.js';
import { type JobMeta, JobStore, type SavepointRecord } from './job-store.js';
import { readLogPage } from './log-pages.js';
import { mergePrometheusTexts } from './prometheus-merge.js';
import { copyTruncate } from './rotating-file.js';

/** Options of {@link ServiceBackend}. */
export interface ServiceOptions {
  dataDir: string;
  /** Relative job files and paths resolve against it. */
  cwd: string;
  /** Directories job files (and checkpoint, state and savepoint directories) may lie in; the data directory is added for the latter. */
  allowDirs: string[];
  /** The `sluice` command the children run (bin/sluice.mjs of this package). */
  bin: string;
  /** Ended jobs kept (oldest deleted first). */
  maxHistory: number;
  /** Cap of each log file of a job (stdout, stderr, logs.jsonl), previous generation included. */
  maxLogBytes: number;
  version: string;
  /** Where the service reports (its stderr). */
  log: (line: string) => void;
}

/** What the service holds of a running child. */
interface Run {
  process: JobProcess;
  intent?: { kind: 'cancel' } | { kind: 'stop' } | { kind: 'rescale'; parallelism: number; savepoint: SavepointRecord };
  port?: number;
  childJid?: string;
  /** Settles once the answer to the latest savepoint request of this run has been read (or given up on). */
  savepointAnswered?: Promise<void>;
}

/**
 * How long, after a job process exited, the service still waits for the answer to its savepoint request: the job
 * writes the answer before it exits, but the service reads it by polling, so it may not have seen it yet.
 */
const ANSWER_AFTER_EXIT_MS = 5000;

const ENDED = new Set(['FINISHED', 'FAILED', 'CANCELED']);

/**
 * The JobsBackend of `sluice serve`: each submitted job runs as a child process (`sluice run`), so a job that
 * crashes or leaks cannot take the service down. What the service knows of each job lives in the data directory
 * (see {@link JobStore}) and survives a restart; GETs of a running job are proxied to the child's own REST server,
 * those of an ended job are answered from job.json.
 */
export class ServiceBackend implements JobsBackend {
  private readonly store: JobStore;
  private readonly metas = new Map<string, JobMeta>();
  private readonly runs = new Map<string, Run>();
  private readonly files: AllowedPaths;
  private readonly writable: AllowedPaths;
  private capabilities: Promise<ChildCapabilities> | undefined;
  private stopping = false;
  private trimTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ServiceOptions) {
    this.store = new JobStore(options.dataDir);
    this.files = new AllowedPaths(options.allowDirs);
    this.writable = new AllowedPaths([...options.allowDirs, options.dataDir]);
  }

  /**
   * Loads the history; jobs that were running when the service stopped are run again when they have a checkpoint
   * directory (the engine resumes from their checkpoints) and marked FAILED with the reason otherwise.
   */
  async start(): Promise<void> {
    for (const meta of this.store.loadAll(this.options.log)) this.metas.set(meta.id, meta);
    for (const meta of this.metas.values()) {
      if (ENDED.has(meta.status)) continue;
      await endOrphan(meta.pid, this.store.file(meta.id, ''));
      const ck = meta.request.checkpointDir as string | undefined;
      if (ck === undefined) {
        this.end(
          meta,
          'FAILED',
          'the service stopped while the job ran, and the job has no checkpointDir to resume from',
        );
        continue;
      }
      // Checkpoints taken since the job started win over the savepoint it started from.
      if (hasCheckpoint(ck)) {
        const { fromSavepoint: _s, fresh: _f, ...rest } = meta.request;
        meta.request = rest;
      }
      this.options.log(`resuming job ${meta.id} (${meta.name}) from its checkpoints in ${ck}`);
      meta.runs++;
      await this.launch(meta);
    }
    this.prune();
    this.trimTimer = setInterval(() => {
      for (const id of this.runs.keys()) copyTruncate(this.store.file(id, 'logs.jsonl'), this.options.maxLogBytes);
    }, 10_000);
    this.trimTimer.unref();
  }

  /** Stops every child (SIGTERM, SIGKILL after 10 s); their jobs stay RUNNING in the history, to resume on the next start. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.trimTimer);
    await Promise.all(
      [...this.runs.values()].map(async (run) => {
        run.process.kill('SIGTERM');
        const timer = setTimeout(() => run.process.kill('SIGKILL'), 10_000);
        await run.process.exited;
        clearTimeout(timer);
      }),
    );
  }

  async overview(): Promise<Record<string, unknown>> {
    const count = (s: string) => [...this.metas.values()].filter((m) => m.status === s).length;
    return {
      taskmanagers: this.runs.size,
      'slots-total': this.runs.size,
      'slots-available': 0,
      'jobs-running': count('RUNNING') + count('RESTARTING'),
      'jobs-finished': count('FINISHED'),
      'jobs-cancelled': count('CANCELED'),
      'jobs-failed': count('FAILED'),
      'flink-version': this.options.version,
      'flink-commit': '',
    };
  }

  async jobsOverview(): Promise<{ jobs: Record<string, unknown>[] }> {
    const metas = [...this.metas.values()].sort((a, b) => b.submitTime - a.submitTime);
    const jobs = await Promise.all(
      metas.map(async (meta) => {
        const live = this.runs.has(meta.id)
          ? ((await this.proxy(meta.id, '/jobs/overview', {})) as { jobs?: Record<string, unknown>[] } | undefined)
          : undefined;
        return overviewEntry(meta, live?.jobs?.[0] ?? this.documents(meta.id)?.overview);
      }),
    );
    return { jobs };
  }

  async jobResource(jid: string, path: string, query: Readonly<Record<string, string>>): Promise<unknown> {
    const meta = this.metas.get(jid);
    if (meta === undefined) return undefined;
    if (path === '/logs') return this.logs(jid, query);
    if (this.runs.has(jid)) {
      const childJid = await this.childJid(jid);
      if (childJid !== undefined) {
        const doc = await this.proxy(jid, `/jobs/${childJid}${path}`, query);
        if (doc !== undefined) {
          return path === '' ? { ...(doc as object), jid, name: meta.name, state: meta.status } : doc;
        }
      }
    }
    const exceptions = readJson<Record<string, unknown>>(this.store.file(jid, 'exceptions.json'));
    return storedResource(meta, this.documents(jid), exceptions, path, query);
  }

  async submit(request: Readonly<Record<string, unknown>>): Promise<{ jobid: string }> {
    const caps = await (this.capabilities ??= probeCapabilities(this.options.bin));
    const checked: Record<string, unknown> = { ...request };
    if (request.sql !== undefined && !caps.sql) {
      throw new BadRequest('SQL submissions need the `sluice sql` command, which this build of sluice lacks');
    }
    if (request.file !== undefined) {
      const file = this.files.check('file', String(request.file), this.options.cwd);
      if (!existsSync(file) || !statSync(file).isFile()) throw new BadRequest(`job file not found: ${file}`);
      checked.file = file;
    }
    for (const option of PATH_OPTIONS) {
      if (request[option] !== undefined) {
        checked[option] = this.writable.check(option, String(request[option]), this.options.cwd);
      }
    }
    const id = randomBytes(16).toString('hex');
    const now = Date.now();
    const meta: JobMeta = {
      id,
      name: String(request.name ?? (request.file !== undefined ? basename(String(request.file)) : 'sql-job')),
      request: checked,
      status: 'RUNNING',
      submitTime: now,
      startTime: now,
      runs: 1,
      savepoints: [],
    };
    this.store.dir(id);
    if (request.sql !== undefined) writeFileSync(this.store.file(id, 'job.sql'), String(request.sql));
    this.metas.set(id, meta);
    await this.launch(meta);
    this.prune();
    return { jobid: id };
  }

  async cancel(jid: string): Promise<void> {
    const run = this.running(jid);
    run.intent = { kind: 'cancel' };
    run.process.kill('SIGTERM');
    // A job that does not end on SIGTERM (a user function stuck in a loop) is killed.
    setTimeout(() => run.process.kill('SIGKILL'), 30_000).unref();
  }

  async savepoint(jid: string, request: Readonly<Record<string, unknown>>): Promise<{ 'request-id': string }> {
    const run = this.running(jid);
    const stop = request['cancel-job'] === true;
    const record = this.requestSavepoint(jid, request['target-directory'] as string | undefined, stop);
    if (stop) run.intent = { kind: 'stop' };
    return { 'request-id': record.id };
  }

  async savepointStatus(jid: string, requestId: string): Promise<unknown> {
    const record = this.metas.get(jid)?.savepoints.find((s) => s.id === requestId);
    if (record === undefined) return undefined;
    return {
      status: { id: record.status === 'IN_PROGRESS' ? 'IN_PROGRESS' : 'COMPLETED' },
      operation:
        record.status === 'IN_PROGRESS'
          ? undefined
          : record.status === 'COMPLETED'
            ? { location: record.location }
            : { 'failure-cause': { class: 'SavepointFailure', 'stack-trace': record.failure } },
    };
  }

  async stop(jid: string, request: Readonly<Record<string, unknown>>): Promise<{ 'request-id': string }> {
    const run = this.running(jid);
    if (request.drain === true) {
      throw new BadRequest(
        'drain (advancing the watermark to the end before stopping) is not supported; stop without it',
      );
    }
    const record = this.requestSavepoint(jid, request.targetDirectory as string | undefined, true);
    run.intent = { kind: 'stop' };
    return { 'request-id': record.id };
  }

  async rescale(jid: string, request: Readonly<Record<string, unknown>>): Promise<void> {
    const run = this.running(jid);
    const bounds = Object.values(request)
      .map((v) => (v as { parallelism?: { upperBound?: number } })?.parallelism?.upperBound)
      .filter((v): v is number => typeof v === 'number');
    const parallelism = typeof request.parallelism === 'number' ? request.parallelism : Math.max(...bounds);
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new BadRequest('rescale needs a parallelism >= 1');
    const meta = this.metas.get(jid)!;
    const target = join(this.store.dir(jid), 'savepoints', `rescale-${meta.runs}`);
    const savepoint = this.requestSavepoint(jid, target, true);
    run.intent = { kind: 'rescale', parallelism, savepoint };
  }

  async prometheus(): Promise<string> {
    const texts = await Promise.all(
      [...this.runs.keys()].map(async (jid) => {
        const port = this.portOf(jid);
        return port === undefined ? '' : ((await getFromChild(port, '/metrics', {}, 'text')) ?? '');
      }),
    );
    const states = ['RUNNING', 'RESTARTING', 'FINISHED', 'FAILED', 'CANCELED'];
    const own = [
      '# HELP sluice_service_jobs Jobs the service knows, by state.',
      '# TYPE sluice_service_jobs gauge',
      ...states.map(
        (s) => `sluice_service_jobs{state="${s}"} ${[...this.metas.values()].filter((m) => m.status === s).length}`,
      ),
      '# HELP sluice_service_job_processes Job child processes running.',
      '# TYPE sluice_service_job_processes gauge',
      `sluice_service_job_processes ${this.runs.size}`,
    ].join('\n');
    return mergePrometheusTexts([own, ...texts]);
  }

  /** The run of job `jid`; NotFound or Conflict when there is none. */
  private running(jid: string): Run {
    const meta = this.metas.get(jid);
    if (meta === undefined) throw new NotFound(`Job ${jid} not found`);
    const run = this.runs.get(jid);
    if (run === undefined || meta.status !== 'RUNNING') throw new Conflict(`Job ${jid} is ${meta.status}, not RUNNING`);
    if (run.intent !== undefined)
      throw new Conflict(
        `Job ${jid} is already being ${run.intent.kind === 'cancel' ? 'cancelled' : run.intent.kind === 'stop' ? 'stopped' : 'rescaled'}`,
      );
    return run;
  }

  /** Places a savepoint request in the job's checkpoint directory (the `sluice savepoint` mechanism). */
  private requestSavepoint(jid: string, target: string | undefined, stop: boolean): SavepointRecord {
    const meta = this.metas.get(jid)!;
    const ck = meta.request.checkpointDir as string | undefined;
    if (ck === undefined) {
      throw new Conflict(`Job ${jid} runs without checkpointDir; savepoints need one (submit it with "checkpointDir")`);
    }
    const record: SavepointRecord = { id: randomBytes(16).toString('hex'), status: 'IN_PROGRESS' };
    const dir =
      target === undefined
        ? join(this.store.dir(jid), 'savepoints', `savepoint-${meta.savepoints.length + 1}`)
        : this.writable.check('target-directory', target, this.options.cwd);
    meta.savepoints.push(record);
    this.store.save(meta);
    const answered = requestSavepoint(ck, { target: dir, stop }, 10 * 60_000).then(
      (answer) => this.savepointDone(meta, record, answer.ok ? answer.path : undefined, answer.error),
      (e: Error) => this.savepointDone(meta, record, undefined, e.message),
    );
    const run = this.runs.get(jid);
    if (run !== undefined) run.savepointAnswered = answered;
    return record;
  }

  private savepointDone(meta: JobMeta, record: SavepointRecord, location?: string, failure?: string): void {
    record.status = location !== undefined ? 'COMPLETED' : 'FAILED';
    if (location !== undefined) record.location = location;
    else record.failure = failure ?? 'unknown failure';
    const run = this.runs.get(meta.id);
    // A stop or rescale whose savepoint failed leaves the job running: it can be asked again.
    if (location === undefined && run !== undefined && run.intent?.kind !== 'cancel') run.intent = undefined;
    this.store.save(meta);
  }

  /** Starts (or restarts) the child of `meta`. */
  private async launch(meta: JobMeta): Promise<void> {
    const caps = await (this.capabilities ??= probeCapabilities(this.options.bin));
    const dir = this.store.dir(meta.id);
    const paths = {
      jobDir: dir,
      portFile: join(dir, 'web-port'),
      logFile: join(dir, 'logs.jsonl'),
      sqlFile: join(dir, 'job.sql'),
    };
    rmSync(paths.portFile, { force: true });
    const proc = new JobProcess(childArgv(this.options.bin, meta.request, paths, caps, meta.id), {
      cwd: this.options.cwd,
      stdout: join(dir, 'stdout.log'),
      stderr: join(dir, 'stderr.log'),
      maxLogBytes: this.options.maxLogBytes,
    });
    const run: Run = { process: proc };
    this.runs.set(meta.id, run);
    meta.status = 'RUNNING';
    meta.startTime = Date.now();
    meta.pid = proc.pid;
    this.store.save(meta);
    void proc.exited.then(async (exit) => {
      // A rescale or stop is judged by its savepoint's outcome, which must be known before the exit is.
      if (run.savepointAnswered !== undefined) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          run.savepointAnswered,
          new Promise<void>((r) => {
            timer = setTimeout(r, ANSWER_AFTER_EXIT_MS);
          }),
        ]);
        clearTimeout(timer);
      }
      this.exited(meta, run, exit);
    });
  }

  private exited(meta: JobMeta, run: Run, exit: ChildExit): void {
    this.runs.delete(meta.id);
    meta.pid = undefined;
    meta.exitCode = exit.code;
    meta.signal = exit.signal;
    if (this.stopping) {
      // The service is shutting down: the job stays RUNNING in the history and resumes on the next start.
      this.store.save(meta);
      return;
    }
    const intent = run.intent;
    if (intent?.kind === 'rescale' && exit.code === 0 && intent.savepoint.status === 'COMPLETED') {
      const { fresh: _f, ...rest } = meta.request;
      meta.request = { ...rest, parallelism: intent.parallelism, fromSavepoint: intent.savepoint.location };
      meta.status = 'RESTARTING';
      meta.runs++;
      this.options.log(`job ${meta.id} rescaled to parallelism ${intent.parallelism}`);
      void this.launch(meta);
      return;
    }
    if (intent?.kind === 'cancel') this.end(meta, 'CANCELED', 'cancelled by request');
    else if (exit.code === 0) this.end(meta, 'FINISHED');
    else {
      const reason = failureReason(exit);
      writeFileSync(
        this.store.file(meta.id, 'exceptions.json'),
        JSON.stringify(exceptionsOf(reason, exit.stderrTail, Date.now())),
      );
      this.end(meta, 'FAILED', reason);
    }
  }

  private end(meta: JobMeta, status: 'FINISHED' | 'FAILED' | 'CANCELED', reason?: string): void {
    meta.status = status;
    meta.endTime = Date.now();
    meta.pid = undefined;
    if (reason !== undefined) meta.reason = reason;
    copyTruncate(this.store.file(meta.id, 'logs.jsonl'), this.options.maxLogBytes);
    this.store.save(meta);
    this.prune();
  }

  /** Deletes the oldest ended jobs beyond `maxHistory`. */
  private prune(): void {
    const ended = [...this.metas.values()]
      .filter((m) => ENDED.has(m.status))
      .sort((a, b) => (a.endTime ?? 0) - (b.endTime ?? 0));
    for (const m of ended.slice(0, Math.max(0, ended.length - this.options.maxHistory))) {
      this.metas.delete(m.id);
      this.store.remove(m.id);
    }
  }

  private documents(jid: string): JobDocuments | undefined {
    return readJson<JobDocuments>(this.store.file(jid, 'job.json'));
  }

  private logs(jid: string, query: Readonly<Record<string, string>>) {
    const source = query.source ?? 'log';
    const file = source === 'stdout' ? 'stdout.log' : source === 'stderr' ? 'stderr.log' : 'logs.jsonl';
    const path = this.store.file(jid, file);
    return readLogPage(source, [`${path}.1`, path], {
      offset: Number(query.offset ?? 0),
      limit: Math.min(Number(query.limit ?? 100), 10_000),
      q: query.q,
      json: source === 'log',
    });
  }

  /** The child's REST port, once it has written its port file. */
  private portOf(jid: string): number | undefined {
    const run = this.runs.get(jid);
    if (run === undefined) return undefined;
    if (run.port === undefined) {
      const text = readFileSync(this.store.file(jid, 'web-port'), { encoding: 'utf8', flag: 'a+' }).trim();
      if (/^\d+$/.test(text)) run.port = Number(text);
    }
    return run.port;
  }

  /** The child's own id of its job (its REST server knows only that one), from its `/jobs/overview`. */
  private async childJid(jid: string): Promise<string | undefined> {
    const run = this.runs.get(jid);
    if (run?.childJid !== undefined) return run.childJid;
    const doc = (await this.proxy(jid, '/jobs/overview', {})) as { jobs?: { jid?: string }[] } | undefined;
    const child = doc?.jobs?.[0]?.jid;
    if (run !== undefined && child !== undefined) run.childJid = child;
    return child;
  }

  /** GET `path` from the child's REST server; undefined when it has none or cannot answer (not listening yet). */
  private async proxy(jid: string, path: string, query: Readonly<Record<string, string>>): Promise<unknown> {
    const port = this.portOf(jid);
    return port === undefined ? undefined : getFromChild(port, path, query, 'json');
  }
}

/** Whether `dir` holds a complete checkpoint (`chk-*\/_metadata`). */
function hasCheckpoint(dir: string): boolean {
  try {
    return readdirSync(dir).some((d) => d.startsWith('chk-') && existsSync(join(dir, d, '_metadata')));
  } catch {
    return false;
  }
}
