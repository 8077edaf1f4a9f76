import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { WorkerSetup } from './job-runner.js';
import type { HostControl, HostedSessionStart } from './worker-host-thread.js';

/** What the job runner needs of a worker thread: a real `Worker`, or a session on a WorkerHost's thread. */
export interface WorkerLike {
  readonly threadId: number;
  postMessage(message: unknown): void;
  // biome-ignore lint/suspicious/noExplicitAny: Worker's own listener type (a report, an error or an exit code)
  on(event: 'message' | 'error' | 'exit', listener: (value: any) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
  terminate(): Promise<unknown>;
}

const workerEntry = new URL('./worker-entry.mjs', import.meta.url);

/** How long a terminated session may take to report its end before it counts as ended anyway. */
const TERMINATE_TIMEOUT_MS = 10_000;

/**
 * A fixed set of worker threads that host the threads' shares of many runs (sessions). Cluster mode runs every task
 * of a process as a run of its own; a host runs them on as many threads as it has, not one thread per task, so a
 * process uses its cores without one worker (and one copy of the job's modules) per task.
 *
 * Contract: `spawn` places a session on the thread with the fewest live sessions and returns a `WorkerLike` that
 * behaves to the job runner as a worker thread would: reports arrive as `message` events, `exit` follows the end
 * (0 after `finished`, 1 after `terminate()`), and a host thread that dies ends each of its sessions with `error`
 * and `exit` (it is replaced for later sessions). `close` terminates the threads; call it once no run uses them.
 */
export class WorkerHost {
  private readonly slots: { worker: Worker | undefined; sessions: Set<HostedWorker> }[];
  private closed = false;

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`a worker host needs ≥ 1 thread, got ${threads}`);
    this.slots = Array.from({ length: threads }, () => ({ worker: undefined, sessions: new Set<HostedWorker>() }));
  }

  /** Sessions now hosted per thread. */
  load(): number[] {
    return this.slots.map((s) => s.sessions.size);
  }

  spawn(data: WorkerSetup & { ports: (MessagePort | undefined)[] }, transferList: MessagePort[]): WorkerLike {
    if (this.closed) throw new Error('the worker host is closed');
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.sessions.size < slot.sessions.size) slot = s;
    const worker = slot.worker ?? this.startThread(slot);
    const { port1, port2 } = new MessageChannel();
    const hosted = new HostedWorker(port1, worker.threadId, () => slot.sessions.delete(hosted));
    slot.sessions.add(hosted);
    const start: HostedSessionStart = { t: 'session', data, control: port2 };
    worker.postMessage(start, [port2, ...transferList]);
    return hosted;
  }

  private startThread(slot: { worker: Worker | undefined; sessions: Set<HostedWorker> }): Worker {
    const worker = new Worker(workerEntry, { workerData: { host: true } });
    slot.worker = worker;
    const lost = (error: Error) => {
      if (slot.worker === worker) slot.worker = undefined;
      for (const s of [...slot.sessions]) s.lost(error);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`worker host thread exited with code ${code}`)));
    return worker;
  }

  /** Terminates the host threads (sessions still on them end with an error). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }
}

/** One session as the job runner sees it. */
class HostedWorker extends EventEmitter implements WorkerLike {
  private exited = false;

  constructor(
    private readonly control: MessagePort,
    private readonly hostThreadId: number,
    private readonly onExit: () => void,
  ) {
    super();
    control.on('message', (m: { t: string }) => {
      if (m.t === '$exit') this.exit((m as HostControl & { t: '$exit' }).code);
      else this.emit('message', m);
    });
  }

  get threadId(): number {
    return this.exited ? -1 : this.hostThreadId;
  }

  postMessage(message: unknown): void {
    if (!this.exited) this.control.postMessage(message);
  }

  terminate(): Promise<unknown> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.exit(1), TERMINATE_TIMEOUT_MS);
      this.once('exit', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      this.control.postMessage({ t: '$terminate' } satisfies HostControl);
    });
  }

  /** The host thread died under this session. */
  lost(error: Error): void {
    if (this.exited) return;
    this.emit('error', error);
    this.exit(1);
  }

  private exit(code: number): void {
    if (this.exited) return;
    this.exited = true;
    this.control.close();
    this.onExit();
    this.emit('exit', code);
  }
}
