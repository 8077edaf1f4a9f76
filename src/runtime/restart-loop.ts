import type { RestorePoint } from './checkpoint/restore.js';
import type { JobFailedError } from './errors-wire.js';
import type { ExecutorProgress } from './executor.js';
import type { OperatorMetrics } from './operator-metrics.js';
import type { RestartBackoff } from './restart-backoff.js';

/**
 * How one attempt of a run failed. `started`: the job had started processing (a failure while loading the job,
 * opening or restoring its operators is a failure of its configuration and is never restarted: it would fail the same
 * way again). `collected` and the counters are what the attempt got done before it failed.
 */
export class AttemptFailure extends Error {
  constructor(
    readonly error: JobFailedError,
    readonly started: boolean,
    readonly collected: Record<string, unknown[]>,
    readonly progress: ExecutorProgress,
    readonly metrics: readonly OperatorMetrics[],
  ) {
    super(error.message);
  }
}

export interface RestartLoopOptions<R> {
  backoff: RestartBackoff;
  log: (line: string) => void;
  signal: AbortSignal | undefined;
  /** Where the first attempt starts. */
  first: RestorePoint | undefined;
  /** Runs attempt `n` (1-based) from `restore`; rejects with an {@link AttemptFailure}. */
  attempt(n: number, restore: RestorePoint | undefined): Promise<R>;
  /** Where a restart resumes: the latest completed checkpoint, else where the run started. */
  restartPoint(): Promise<RestorePoint | undefined>;
  /** Called with each failure that is followed by a restart. */
  onRestart(failure: AttemptFailure, from: RestorePoint | undefined, previous: RestorePoint | undefined): void;
  /** The result of a run cancelled while waiting to restart. */
  cancelledResult(): R;
  /** Called with the failure that ends the run (no restart follows), before the run rejects with its error. */
  onFinalFailure(failure: AttemptFailure): void;
}

/**
 * Failures that replaying the same input reproduces, so no restart can get past them: input the source cannot
 * parse (with no dead-letter output), a key selector that fails or gives no key for a record, a plan refused at run
 * time. They end the run at once, as Flink's SuppressRestartsException does. A user function that throws may fail
 * for a passing reason (a service down) and is restarted.
 */
const RECURRING_FAILURES = new Set(['InputError', 'KeySelectorError', 'PlanError']);

/**
 * Runs attempts until one succeeds, the restart strategy gives up, or the run is cancelled while waiting to restart.
 * Writes one line per restart naming the failure; rejects with the last attempt's error when no restart follows.
 */
export async function runWithRestarts<R>(o: RestartLoopOptions<R>): Promise<R> {
  let restore = o.first;
  for (let n = 1; ; n++) {
    try {
      return await o.attempt(n, restore);
    } catch (e) {
      if (!(e instanceof AttemptFailure)) throw e;
      if (!e.started || o.signal?.aborted) {
        o.onFinalFailure(e);
        throw e.error;
      }
      if (RECURRING_FAILURES.has(e.error.wire.name)) {
        if (o.backoff.description !== 'restart strategy none') {
          o.log(`not restarting: this failure (${e.error.wire.name}) recurs whenever the same input is replayed`);
        }
        o.onFinalFailure(e);
        throw e.error;
      }
      const delay = o.backoff.onFailure(Date.now());
      if (delay === undefined) {
        if (n > 1 || o.backoff.description !== 'restart strategy none') {
          o.log(`not restarting: ${o.backoff.description} gave up after ${n - 1} restart${n === 2 ? '' : 's'}`);
        }
        o.onFinalFailure(e);
        throw e.error;
      }
      const from = await o.restartPoint();
      const where =
        from === undefined
          ? 'from the beginning'
          : `from ${from.metadata.kind === 'savepoint' ? 'savepoint' : 'checkpoint'} ${from.metadata.checkpointId}`;
      o.log(`restarting (restart ${n}) in ${delay} ms ${where} after failure: ${e.error.message}`);
      o.onRestart(e, from, restore);
      restore = from;
      if (!(await waitUnlessAborted(delay, o.signal))) return o.cancelledResult();
    }
  }
}

/** Waits `ms`; false when `signal` aborted first. */
function waitUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort);
  });
}
