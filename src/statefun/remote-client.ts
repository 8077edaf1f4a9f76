import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { IngressRecord } from './hub.js';
import type { Invocation, InvocationResult, InvokeResponse } from './protocol.js';

/** Where remote function types are served and how to call them. */
export interface RemoteEndpointOptions {
  /** The service's URL; invocations are POSTed to it. */
  readonly url: string;
  /** Function types served there: exact names, or `namespace/*` for every type of a namespace. */
  readonly types: readonly string[];
  /** Time allowed for one HTTP attempt (default 5 s). */
  readonly timeoutMs?: number;
  /** Attempts of one invocation stop after this long (default 60 s); then the job fails (state stays checkpointed). */
  readonly retryForMs?: number;
  /** Invocations per HTTP request (default 64). */
  readonly maxBatch?: number;
  /** Messages of one instance per invocation (default 32). */
  readonly maxMessagesPerInvocation?: number;
  /** HTTP requests in flight at once (default 8). */
  readonly maxConcurrency?: number;
}

const BACKOFF_START_MS = 20;
const BACKOFF_MAX_MS = 1000;

/**
 * Calls a remote function service. Invocations are batched into HTTP requests; a failed or timed-out request is
 * retried with backoff (the same invocation ids, so the runtime applies whichever answer comes first, once), until
 * `retryForMs` has passed. Results and final failures are handed to `deliver` (the dispatcher's loopback): they are
 * applied inside the dispatcher, between checkpoint barriers, never from this callback.
 */
export class RemoteClient {
  private readonly queue: Invocation[] = [];
  private inFlight = 0;
  private scheduled = false;
  private closed = false;
  private readonly agent: HttpAgent;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly retryForMs: number;
  private readonly maxBatch: number;
  private readonly maxConcurrency: number;

  constructor(
    readonly options: RemoteEndpointOptions,
    private readonly deliver: (record: IngressRecord) => void,
  ) {
    this.url = new URL(options.url);
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retryForMs = options.retryForMs ?? 60_000;
    this.maxBatch = options.maxBatch ?? 64;
    this.maxConcurrency = options.maxConcurrency ?? 8;
    const agentOptions = { keepAlive: true, maxSockets: this.maxConcurrency };
    this.agent = this.url.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  }

  invoke(invocation: Invocation): void {
    if (this.closed) return;
    this.queue.push(invocation);
    if (!this.scheduled) {
      this.scheduled = true;
      // Invocations started in the same round go out together.
      setImmediate(() => {
        this.scheduled = false;
        this.pump();
      });
    }
  }

  private pump(): void {
    while (!this.closed && this.inFlight < this.maxConcurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.attempt(batch, Date.now(), BACKOFF_START_MS);
    }
  }

  private attempt(batch: Invocation[], started: number, backoff: number): void {
    this.inFlight++;
    this.post(batch).then(
      (results) => {
        this.inFlight--;
        if (this.closed) return;
        const byId = new Map<string, InvocationResult>();
        for (const r of results) if (isResult(r)) byId.set(r.id, r);
        const missing: Invocation[] = [];
        for (const inv of batch) {
          const r = byId.get(inv.id);
          if (r === undefined) missing.push(inv);
          else this.deliver({ k: 'rres', a: inv.address, id: inv.id, res: r });
        }
        if (missing.length > 0) this.retry(missing, started, backoff, 'the answer lacked results for some invocations');
        this.pump();
      },
      (e: Error) => {
        this.inFlight--;
        if (this.closed) return;
        this.retry(batch, started, backoff, e.message);
        this.pump();
      },
    );
  }

  private retry(batch: Invocation[], started: number, backoff: number, reason: string): void {
    if (Date.now() + backoff - started > this.retryForMs) {
      for (const inv of batch) {
        this.deliver({
          k: 'rerr',
          a: inv.address,
          id: inv.id,
          error: `remote function service ${this.options.url} failed for ${Math.round((Date.now() - started) / 1000)} s: ${reason}`,
        });
      }
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) this.attempt(batch, started, Math.min(BACKOFF_MAX_MS, backoff * 2));
    }, backoff);
    this.timers.add(t);
  }

  private post(batch: Invocation[]): Promise<readonly InvocationResult[]> {
    const body = JSON.stringify({ invocations: batch });
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            clearTimeout(deadline);
            if (res.statusCode !== 200) {
              reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`));
              return;
            }
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as InvokeResponse;
              if (!Array.isArray(parsed.results)) throw new Error('no results array');
              resolve(parsed.results);
            } catch (e) {
              reject(new Error(`invalid answer: ${(e as Error).message}`));
            }
          });
        },
      );
      // One deadline for the whole exchange (the socket timeout only covers idle periods).
      const deadline = setTimeout(
        () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e) => {
        clearTimeout(deadline);
        reject(e);
      });
      req.end(body);
    });
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.agent.destroy();
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isEnvelope = (v: unknown) => isObject(v) && typeof v.to === 'string' && v.to.includes(':');

/**
 * A result the dispatcher can apply as a whole. Anything else counts as a failed attempt (and is retried), so a
 * malformed answer can never be half applied.
 */
export function isResult(r: unknown): r is InvocationResult {
  if (!isObject(r) || typeof r.id !== 'string') return false;
  if (r.state !== undefined) {
    if (!isObject(r.state)) return false;
    for (const c of Object.values(r.state)) if (!isObject(c) || !('set' in c || c.clear === true)) return false;
  }
  if (r.touch !== undefined && !(isObject(r.touch) && Object.values(r.touch).every((t) => typeof t === 'number'))) {
    return false;
  }
  const list = (v: unknown, ok: (x: unknown) => boolean) => v === undefined || (Array.isArray(v) && v.every(ok));
  return (
    list(r.send, isEnvelope) &&
    list(r.replies, (x) => isObject(x) && isObject(x.to) && typeof x.ok === 'boolean') &&
    list(
      r.delayed,
      (x) => isObject(x) && typeof x.token === 'string' && typeof x.delayMs === 'number' && isEnvelope(x.message),
    ) &&
    list(r.cancel, (x) => typeof x === 'string') &&
    list(r.egress, (x) => isObject(x) && typeof x.name === 'string') &&
    list(r.errors, (x) => typeof x === 'string')
  );
}
