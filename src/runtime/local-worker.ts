import { EventEmitter } from 'node:events';
import type { MessagePort } from 'node:worker_threads';
import type { CoordinatorCommand, WorkerSetup } from './job-runner.js';
import type { WorkerLike } from './worker-host.js';
import { type LocalSessionParts, runWorkerSession, type WorkerSession } from './worker-session.js';

/** How long a terminated local session's executor gets to stop before it counts as ended anyway. */
const STOP_TIMEOUT_MS = 5_000;

/**
 * Thread 0's share of a run on the coordinating thread itself, behind the interface of a worker thread. The
 * coordinator's thread has the job's modules loaded and its plan built already, so running a share there saves a
 * whole worker thread's start-up (a Node environment, the loaders, the engine's and the job's modules).
 *
 * Contract, as `WorkerLike`: commands and reports are delivered asynchronously and in order (never re-entrantly
 * inside the caller's `postMessage` or listener); `exit` follows the end: 0 after `finished`, 1 after
 * `terminate()`. Unlike a worker thread, `terminate()` cannot interrupt user code: it cancels the executor and waits
 * for it to stop (at most `STOP_TIMEOUT_MS`, after which the share counts as ended and its ports are closed), as a
 * run on one thread is cancelled.
 */
export class LocalWorker extends EventEmitter implements WorkerLike {
  private exited = false;
  private readonly commandListeners: ((m: CoordinatorCommand) => void)[] = [];
  private readonly session: WorkerSession;

  constructor(data: WorkerSetup & { ports: (MessagePort | undefined)[] }, parts: LocalSessionParts) {
    super();
    this.session = runWorkerSession(
      data,
      {
        postMessage: (report) =>
          queueMicrotask(() => {
            if (!this.exited) this.emit('message', report);
          }),
        on: (_event, listener) => this.commandListeners.push(listener),
      },
      () => queueMicrotask(() => this.exit(0)),
      parts,
    );
  }

  /** The coordinating thread's id (0 on the main thread), or -1 once this share has ended. */
  get threadId(): number {
    return this.exited ? -1 : 0;
  }

  postMessage(message: unknown): void {
    queueMicrotask(() => {
      if (this.exited) return;
      for (const l of this.commandListeners) l(message as CoordinatorCommand);
    });
  }

  async terminate(): Promise<unknown> {
    if (this.exited) return;
    await this.session.stop(STOP_TIMEOUT_MS);
    this.exit(1);
  }

  private exit(code: number): void {
    if (this.exited) return;
    this.exited = true;
    this.emit('exit', code);
  }
}
