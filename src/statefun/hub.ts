import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { InvocationResult } from './protocol.js';

/** What the dispatcher receives: ingress messages and the runtime's own events, all through the ingress source. */
export type IngressRecord =
  /** First record of every run: resume work restored from the checkpoint. */
  | { readonly k: 'boot' }
  /**
   * A message from outside to `to`. `rid`: the HTTP request waiting for the answer; `idem`: its idempotency key;
   * `h`: hash of the request (a key reused for another request is refused); `ow`: one-way (answered 202 at once).
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
  /** Continue work the dispatcher left in its queue. */
  | { readonly k: 'poke' };

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
 * The in-process meeting point of one application's ingress source, dispatcher and reply sink, which run on the same
 * thread (parallelism 1). It holds the queue of HTTP requests turned into records, the loopback queue through which
 * the dispatcher feeds itself (remote results, continuation), and the HTTP responses waiting for their answers.
 * Nothing here is state: a crash loses it, and the records and answers it held are recovered by checkpoints and
 * client retries.
 */
export class Hub {
  /** Distinguishes request ids of this process from those of earlier runs kept in restored state. */
  readonly nonce = randomBytes(6).toString('base64url');
  private seq = 0;
  readonly queue: IngressRecord[] = [];
  private queueHead = 0;
  readonly loop: IngressRecord[] = [];
  private pokeQueued = false;
  readonly pending = new Map<string, PendingRequest>();
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

  /** Takes up to `max` queued records. */
  take(max: number, into: (r: IngressRecord) => void): number {
    let n = 0;
    while (n < max && this.loop.length > 0) {
      const r = this.loop.shift()!;
      if (r.k === 'poke') this.pokeQueued = false;
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
    return this.loop.length === 0 && this.queueHead === this.queue.length;
  }

  loopback(record: IngressRecord): void {
    if (record.k === 'poke') {
      if (this.pokeQueued) return;
      this.pokeQueued = true;
    }
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

  private wake(): void {
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
