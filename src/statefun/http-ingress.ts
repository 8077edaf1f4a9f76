import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PlanError } from '../core/errors.js';
import type { Source, SourceOutput, SourceReader, SourceReaderContext } from '../core/source.js';
import { type Address, addressKey, isValidType } from './address.js';
import { type Hub, type Hubs, type IngressRecord, sendJson } from './hub.js';
import { bearerTokenCheck, type StateApiOptions, stateApiOptions } from './state-api-auth.js';

/** An HTTP request as a route sees it. */
export interface IngressRequest {
  readonly method: string;
  readonly path: string;
  /** Path parameters (`/orders/:id` → `{ id }`), decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** The parsed JSON body (undefined when the body is empty). */
  readonly body: unknown;
}

/** Thrown by a route to answer at once with an error status (nothing is sent to any function). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A message for a function, made from an HTTP request. */
export interface RoutedMessage {
  readonly to: Address;
  readonly message: unknown;
  /** One-way: answered `202 {"accepted":true}` once the message is durably accepted; the function's reply is not awaited. */
  readonly oneWay?: boolean;
}

/** Maps requests of one method and path pattern to function messages, and function answers back to responses. */
export interface HttpRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path with `:name` parameters, e.g. `/orders/:id`. */
  readonly path: string;
  /** Turns a request into a message; throw {@link HttpError} to refuse it (e.g. 400 for a missing field). */
  handle(req: IngressRequest): RoutedMessage;
  /**
   * Turns the function's answer into the response. Default: 200 with the reply as JSON; a failure answer
   * (`ctx.fail`): 422 `{"error": reason}`.
   */
  respond?(answer: { ok: boolean; body: unknown }, req: IngressRequest): { status: number; body: unknown };
  /**
   * Whether an `Idempotency-Key` header makes retries safe (the first final answer is stored and returned to every
   * retry, with no second effect). Default true.
   */
  readonly idempotent?: boolean;
}

export interface HttpIngressOptions {
  readonly port: number;
  /** Interface to listen on; default: all. */
  readonly host?: string;
  readonly routes: readonly HttpRoute[];
  /** Requests accepted but not yet taken by the dispatcher; beyond it requests get 503 (default 10,000). */
  readonly maxQueue?: number;
  /**
   * Connections the kernel queues before the server accepts them (default 4,096; the kernel caps it at
   * `net.core.somaxconn`). A connection refused because this queue was full is retried by the client's TCP only
   * after a second, so a burst of new connections beyond it shows as one-second latencies.
   */
  readonly backlog?: number;
  /** Largest request body in bytes (default 1 MiB); larger ones get 413. */
  readonly maxBodyBytes?: number;
  /** A request without an answer after this long gets 504 (default 30 s); its effects, if any, still happen. */
  readonly requestTimeoutMs?: number;
  /**
   * Serve `GET`/`PUT /statefun/state/<namespace>/<name>/<id>` to requests carrying `Authorization: Bearer <token>`
   * (others get 401). Off by default: the endpoints read and overwrite any instance's state, and the ingress port
   * is the public one; without this option they do not exist (404).
   */
  readonly stateApi?: StateApiOptions | false;
  /** Where the "listening" line goes (default stderr); null: nowhere. */
  readonly log?: ((line: string) => void) | null;
}

const STATE_PREFIX = '/statefun/state/';

/**
 * Node's default listen backlog is 511. A freshly started service whose code is not compiled yet falls behind a
 * burst of new connections for a moment; with 511 slots the overflow waits out TCP's one-second SYN retry.
 */
const DEFAULT_BACKLOG = 4096;

interface CompiledRoute {
  readonly route: HttpRoute;
  readonly segments: readonly string[];
  readonly id: string;
}

function compile(route: HttpRoute): CompiledRoute {
  if (!route.path.startsWith('/')) throw new PlanError(`route path must start with '/': ${route.path}`);
  return { route, segments: route.path.split('/').slice(1), id: `${route.method} ${route.path}` };
}

function match(c: CompiledRoute, parts: readonly string[]): Record<string, string> | undefined {
  if (parts.length !== c.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const seg = c.segments[i]!;
    const part = parts[i]!;
    if (seg.startsWith(':')) {
      if (part === '') return undefined;
      params[seg.slice(1)] = part;
    } else if (seg !== part) return undefined;
  }
  return params;
}

/** 32-bit FNV-1a of a string: tells a retried request from a different one under the same idempotency key. */
export function hashText(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function defaultRespond(answer: { ok: boolean; body: unknown }): { status: number; body: unknown } {
  return answer.ok ? { status: 200, body: answer.body } : { status: 422, body: { error: answer.body } };
}

/**
 * The HTTP ingress and the head of the feedback loop: a source at the application's parallelism. Subtask 0 runs the
 * HTTP server (Node's worker threads cannot share a listening socket): each accepted request becomes a record that
 * the keyed exchange after the source routes to the dispatcher subtask owning its key, and the response stays open
 * until the reply sink (parallelism 1, on subtask 0's thread) answers it, after the checkpoint covering its effects
 * completes. Requests that cannot be taken are answered at once: 404/405 (no route), 400 (invalid JSON, or refused
 * by the route), 413 (body too large), 503 (queue full: backpressure). Every subtask also emits the records of its
 * hub (remote results, feedback; see {@link Hub}) and, first in every run, a boot record for its dispatcher subtask.
 * At a checkpoint it marks its feedback log (the recording of in-flight loop records starts there).
 */
export class HttpIngressSource implements Source<IngressRecord> {
  readonly name = 'statefun-ingress';
  readonly boundedness = 'unbounded' as const;

  private readonly routes: readonly CompiledRoute[];
  /** Checks a request's Authorization header; undefined when the state API is off. */
  private readonly authorizeState: ((authorization: string | undefined) => boolean) | undefined;

  constructor(
    private readonly hubs: Hubs,
    private readonly options: HttpIngressOptions | undefined,
  ) {
    this.routes = (options?.routes ?? []).map(compile);
    const stateApi = stateApiOptions(options?.stateApi);
    this.authorizeState = stateApi === undefined ? undefined : bearerTokenCheck(stateApi.token);
  }

  createReader(ctx: SourceReaderContext): SourceReader<IngressRecord> {
    const hub = this.hubs.get(ctx.subtaskIndex);
    const options = ctx.subtaskIndex === 0 ? this.options : undefined;
    const routes = this.routes;
    const authorizeState = this.authorizeState;
    let server: Server | undefined;
    /** Why the server failed (could not listen, or accepting failed later): thrown by the next poll, failing the attempt. */
    let serverFailure: unknown;
    let closing = false;
    const sockets = new Set<Socket>();
    let booted = false;
    const listen = (o: HttpIngressOptions): void => {
      const s = createServer((req, res) => handleRequest(hub, o, routes, authorizeState, req, res));
      server = s;
      s.keepAliveTimeout = 10_000;
      s.on('connection', (c) => {
        sockets.add(c);
        c.on('close', () => sockets.delete(c));
      });
      s.on('error', (e) => {
        serverFailure ??= e;
        hub.wake();
      });
      s.listen({ port: o.port, host: o.host, backlog: o.backlog ?? DEFAULT_BACKLOG }, () => {
        if (closing) {
          s.close();
          return;
        }
        const addr = s.address();
        const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;
        const log = o.log === undefined ? (l: string) => process.stderr.write(`${l}\n`) : o.log;
        log?.(`statefun: listening on http://${o.host ?? 'localhost'}:${port}`);
        hub.setPort(port);
      });
    };
    return {
      pollNext(out: SourceOutput<IngressRecord>, max: number) {
        if (serverFailure !== undefined) throw serverFailure;
        // The first poll comes once every subtask of the job, on every thread, is open and restored: a request
        // accepted earlier would only wait (its answer needs a checkpoint, which needs every subtask running), and a
        // load balancer would take a listening port for a ready service.
        if (server === undefined && options !== undefined) listen(options);
        if (!booted && hub.bootKey !== undefined) {
          booted = true;
          out.collect({ k: 'boot', key: hub.bootKey });
          max--;
        }
        hub.take(max, (r) => out.collect(r));
        return hub.empty && booted ? 'wait' : 'more';
      },
      available: () => hub.available(),
      // Requests not covered by a checkpoint are lost with their connections (clients retry). What is in flight on
      // the feedback loop is recorded by the feedback sink from this mark on.
      snapshotState: (checkpointId?: number) => {
        if (checkpointId !== undefined) hub.feedback.markHead(checkpointId);
        return {};
      },
      restoreState: () => {},
      close: async () => {
        closing = true;
        for (const [rid, p] of hub.pending) {
          hub.pending.delete(rid);
          if (p.timer !== undefined) clearTimeout(p.timer);
          sendJson(p.res, 503, { error: 'the service is stopping; retry with the same Idempotency-Key' });
        }
        if (server === undefined) return;
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await closed;
      },
    };
  }
}

function handleRequest(
  hub: Hub,
  options: HttpIngressOptions,
  routes: readonly CompiledRoute[],
  authorizeState: ((authorization: string | undefined) => boolean) | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  const path = url.pathname;
  const fail = (status: number, error: string, headers: Record<string, string> = {}): void => {
    // Unread request bodies are drained so the connection stays usable.
    req.resume();
    sendJson(res, status, { error }, headers);
  };
  if (authorizeState !== undefined && path.startsWith(STATE_PREFIX)) {
    // Before anything else, so that an unauthorised client learns nothing (not even whether a path is valid).
    if (!authorizeState(req.headers.authorization)) {
      fail(401, 'unauthorized', { 'www-authenticate': 'Bearer realm="statefun-state"' });
      return;
    }
    const rest = path.slice(STATE_PREFIX.length);
    const slash = rest.lastIndexOf('/');
    const type = slash > 0 ? rest.slice(0, slash) : '';
    const id = slash > 0 ? safeDecode(rest.slice(slash + 1)) : '';
    if (!isValidType(type) || id === '' || id === undefined) {
      fail(404, 'expected /statefun/state/<namespace>/<name>/<id>');
      return;
    }
    const to = addressKey({ type, id });
    if (method === 'GET') {
      accept(hub, options, res, () => ({ k: 'sget', rid: '', to }), undefined);
      return;
    }
    if (method === 'PUT') {
      readBody(req, res, options, (body) => {
        if (body === null || typeof body !== 'object' || Array.isArray(body)) {
          fail(400, 'expected a JSON object of state values (null clears a value)');
          return;
        }
        accept(
          hub,
          options,
          res,
          () => ({ k: 'sput', rid: '', to, values: body as Record<string, unknown> }),
          undefined,
        );
      });
      return;
    }
    fail(405, `${method} is not allowed here (GET or PUT)`, { allow: 'GET, PUT' });
    return;
  }
  const parts = path.split('/').slice(1);
  let found: { c: CompiledRoute; params: Record<string, string> } | undefined;
  let pathMatched = false;
  for (const c of routes) {
    const params = match(c, parts);
    if (params === undefined) continue;
    pathMatched = true;
    if (c.route.method === method) {
      found = { c, params };
      break;
    }
  }
  if (found === undefined) {
    if (pathMatched) fail(405, `${method} is not allowed here`);
    else fail(404, 'no such route');
    return;
  }
  const { c, params } = found;
  const decoded: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    const d = safeDecode(v);
    if (d === undefined) {
      fail(400, `invalid percent-encoding in path parameter '${k}'`);
      return;
    }
    decoded[k] = d;
  }
  const go = (body: unknown) => {
    const request: IngressRequest = {
      method,
      path,
      params: decoded,
      query: url.searchParams,
      headers: req.headers,
      body,
    };
    let routed: RoutedMessage;
    try {
      routed = c.route.handle(request);
    } catch (e) {
      if (e instanceof HttpError) fail(e.status, e.message);
      else fail(500, `route ${c.id} failed: ${(e as Error).message}`);
      return;
    }
    const key = req.headers['idempotency-key'];
    const idemKey = (c.route.idempotent ?? true) && typeof key === 'string' && key !== '' ? key : undefined;
    const to = addressKey(routed.to);
    const respond = c.route.respond
      ? (a: { ok: boolean; body: unknown }) => c.route.respond!(a, request)
      : defaultRespond;
    accept(
      hub,
      options,
      res,
      () => ({
        k: 'msg',
        rid: '',
        to,
        body: routed.message ?? null,
        ...(idemKey === undefined
          ? {}
          : { idem: `${c.id}|${idemKey}`, h: hashText(JSON.stringify([to, routed.message ?? null])) }),
        ...(routed.oneWay ? { ow: true } : {}),
      }),
      respond,
    );
  };
  if (method === 'GET' || method === 'DELETE') {
    req.resume();
    go(undefined);
    return;
  }
  readBody(req, res, options, go);
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Reads and parses a JSON body within the size limit; answers 400/413 itself. */
function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  options: HttpIngressOptions,
  then: (body: unknown) => void,
): void {
  const limit = options.maxBodyBytes ?? 1 << 20;
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limit) {
    sendJson(res, 413, { error: `request body larger than ${limit} bytes` }, { connection: 'close' });
    req.destroy();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (c: Buffer) => {
    if (over) return;
    size += c.length;
    if (size > limit) {
      over = true;
      sendJson(res, 413, { error: `request body larger than ${limit} bytes` }, { connection: 'close' });
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (over) return;
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') {
      then(undefined);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      sendJson(res, 400, { error: `invalid JSON in request body: ${(e as Error).message}` });
      return;
    }
    then(body);
  });
  req.on('error', () => {});
}

/** Queues the request's record (or refuses with 503 when the queue is full) and registers the waiting response. */
function accept(
  hub: Hub,
  options: HttpIngressOptions,
  res: ServerResponse,
  record: () => Extract<IngressRecord, { k: 'msg' | 'sget' | 'sput' }>,
  respond: ((a: { ok: boolean; body: unknown }) => { status: number; body: unknown }) | undefined,
): void {
  if (hub.queued >= (options.maxQueue ?? 10_000)) {
    sendJson(res, 503, { error: 'too many requests in flight; retry later' }, { 'retry-after': '1' });
    return;
  }
  const rid = hub.nextRequestId();
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const timer = setTimeout(() => {
    if (hub.pending.delete(rid)) {
      sendJson(res, 504, { error: 'no answer in time; retry with the same Idempotency-Key to get the final answer' });
    }
  }, timeoutMs);
  timer.unref();
  hub.pending.set(rid, { res, respond: respond ?? defaultRespond, timer });
  res.on('close', () => {
    const p = hub.pending.get(rid);
    if (p !== undefined && p.res === res) {
      clearTimeout(p.timer);
      hub.pending.delete(rid);
    }
  });
  hub.push({ ...record(), rid } as IngressRecord);
}
