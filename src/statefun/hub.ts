import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { FeedbackLog } from './feedback-log.js';
import type { Envelope, InvocationResult } from './protocol.js';

/** What the dispatcher receives: ingress messages and the runtime's own events, all through the ingress source. */
export type IngressRecord =
  /** First record of every run on every dispatcher subtask (`key` lands on it): resume restored work. */
  | { readonly k: 'boot'; readonly key: string }
  /**
   * A message from outside to `to`. `rid`: the HTTP request waiting for the answer; `idem`: its idempotency key
   * (the record is then keyed by it, so every use of a key meets its entry); `h`: hash of the request (a key reused
   * for another request is refused); `ow`: one-way (answered 202 at once).
   */
  | {
      readonly k: 'msg';
      readonly to: string;
      readonly body: unknown;
      readonly rid?: string;
      readonly idem?: string;
      readonly h?: number;
      readonly ow?: boolean;
    }
  /** State API: read / correct one instance's state. */
  | { readonly k: 'sget'; readonly rid: string; readonly to: string }
  | { readonly k: 'sput'; readonly rid: string; readonly to: string; readonly values: Record<string, unknown> }
  /** The result of a remote invocation of instance `a`, or its final failure. */
  | { readonly k: 'rres'; readonly a: string; readonly id: string; readonly res: InvocationResult }
  | { readonly k: 'rerr'; readonly a: string; readonly id: string; readonly error: string }
  /** Feedback: a message between instances on different subtasks (or left over when a call yielded). */
  | { readonly k: 'env'; readonly e: Envelope }
  /** Feedback: the final answer of the request under idempotency key `i`. */
  | { readonly k: 'idone'; readonly i: string; readonly a: Answer }
  /**
   * Feedback: a sweep of key `to` (an idempotency entry, `x` 'i', or an instance's expiring values, 'x') that a
   * sweep bucket written before a rescale found on another subtask.
   */
  | { readonly k: 'sweep'; readonly to: string; readonly x: 'i' | 'x' };

/** A final answer as stored for an idempotency key. */
export interface Answer {
  readonly ok: boolean;
  readonly body: unknown;
  readonly status?: number;
}

/** The key a record is partitioned and processed under: the instance's address, or the idempotency key. */
export function recordKey(r: IngressRecord): string {
  switch (r.k) {
    case 'msg':
      return r.idem ?? r.to;
    case 'env':
      return r.e.to;
    case 'idone':
      return r.i;
    case 'rres':
    case 'rerr':
      return r.a;
    case 'boot':
      return r.key;
    default:
      return r.to;
  }
}

/** An answer to an HTTP request: a function's reply (ok/body, turned into HTTP by the route) or a fixed status. */
export interface ReplyRecord {
  readonly rid: string;
  readonly ok: boolean;
  readonly body: unknown;
  readonly status?: number;
}

/** How a pending HTTP request turns its answer into a response. */
export interface PendingRequest {
  readonly res: ServerResponse;
  readonly respond: (reply: { ok: boolean; body: unknown }) => { status: number; body: unknown };
  timer: NodeJS.Timeout | undefined;
}

/**
 * The in-process meeting point of the operators of one subtask index, which run on the same thread: the ingress
 * source, the dispatcher and the feedback sink of subtask *i* share hub *i*; hub 0 also holds the HTTP server's
 * queue and the responses waiting for answers (the reply sink runs at parallelism 1, on subtask 0's thread).
 * Inputs of the source, taken in this order: the loop (remote invocation results of this subtask's dispatcher), the
 * feedback log (messages for instances of this subtask, see {@link FeedbackLog}) and the HTTP queue. Only the
 * feedback log is part of checkpoints (recorded by the feedback sink); the rest is recovered from state (remote
 * invocations in flight are sent again) or by client retries.
 */
export class Hub {
  /** Distinguishes request and invocation ids of this process from those of earlier runs kept in restored state. */
  readonly nonce = randomBytes(6).toString('base64url');
  private seq = 0;
  readonly queue: IngressRecord[] = [];
  private queueHead = 0;
  readonly loop: IngressRecord[] = [];
  readonly feedback = new FeedbackLog<IngressRecord>();
  readonly pending = new Map<string, PendingRequest>();
  /** A key of this subtask's key-group range, set by the dispatcher when it opens; the source boots with it. */
  bootKey: string | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly readyPromise: Promise<number>;
  private resolveReady!: (port: number) => void;
  /** HTTP answers sent so far (for tests and benchmarks). */
  answered = 0;

  constructor() {
    this.readyPromise = new Promise((resolve) => (this.resolveReady = resolve));
  }

  /** Resolves with the HTTP port once the ingress server listens. */
  get ready(): Promise<number> {
    return this.readyPromise;
  }
  setPort(port: number): void {
    this.resolveReady(port);
  }

  setBootKey(key: string): void {
    this.bootKey = key;
    this.wake();
  }

  nextRequestId(): string {
    return `${this.nonce}.${++this.seq}`;
  }

  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  push(record: IngressRecord): void {
    this.queue.push(record);
    this.wake();
  }

  /** Feedback records for this subtask (from the feedback sink, on the same thread). */
  pushFeedback(records: readonly IngressRecord[]): void {
    for (const r of records) this.feedback.push(r);
    if (records.length > 0) this.wake();
  }

  /** Takes up to `max` queued records. */
  take(max: number, into: (r: IngressRecord) => void): number {
    let n = 0;
    if (this.loop.length > 0) {
      const k = Math.min(max, this.loop.length);
      for (let i = 0; i < k; i++) into(this.loop[i]!);
      this.loop.splice(0, k);
      n = k;
    }
    while (n < max) {
      const r = this.feedback.take();
      if (r === undefined) break;
      into(r);
      n++;
    }
    while (n < max && this.queueHead < this.queue.length) {
      into(this.queue[this.queueHead++]!);
      n++;
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 4096) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return n;
  }

  get empty(): boolean {
    return this.loop.length === 0 && this.feedback.size === 0 && this.queueHead === this.queue.length;
  }

  loopback(record: IngressRecord): void {
    this.loop.push(record);
    this.wake();
  }

  /** Resolves when a record is queued. */
  available(): Promise<void> {
    if (!this.empty) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }

  wake(): void {
    const w = this.wakeUp;
    if (w !== undefined) {
      this.wakeUp = undefined;
      w();
    }
  }

  /** Sends answers to the HTTP requests still waiting for them (others were answered, timed out or are gone). */
  answer(records: readonly ReplyRecord[]): void {
    for (const r of records) {
      const p = this.pending.get(r.rid);
      if (p === undefined) continue;
      this.pending.delete(r.rid);
      if (p.timer !== undefined) clearTimeout(p.timer);
      let status: number;
      let body: unknown;
      if (r.status !== undefined) {
        status = r.status;
        body = r.body;
      } else {
        try {
          ({ status, body } = p.respond({ ok: r.ok, body: r.body }));
        } catch (e) {
          status = 500;
          body = { error: `cannot form the answer: ${(e as Error).message}` };
        }
      }
      sendJson(p.res, status, body);
      this.answered++;
    }
  }
}

/** Writes a JSON response (unless the client has gone). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body ?? null);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/**
 * The hubs of one application on this thread, by subtask index (a thread may run several subtasks: `env.execute()`
 * runs them all on the calling thread). Shared by reference by the per-subtask copies of the operators.
 */
export class Hubs {
  private readonly hubs: Hub[] = [];

  /** Hub `subtask`, created on first use. */
  get(subtask: number): Hub {
    let h = this.hubs[subtask];
    if (h === undefined) this.hubs[subtask] = h = new Hub();
    return h;
  }

  /** The hub of the subtask that serves HTTP and answers requests. */
  get http(): Hub {
    return this.get(0);
  }
}
