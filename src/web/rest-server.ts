import { readFileSync } from 'node:fs';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { JobsBackend } from './jobs-backend.js';
import { openApiDocument } from './openapi.js';
import { isApiPath, isLoopback, RequestGuards } from './request-guards.js';
import { REST_ROUTES, type RouteRequest } from './rest-routes.js';
import { staticFile } from './static-files.js';
import { validationMessages } from './validation-messages.js';

/** Options of {@link createRestServer}. */
export interface RestServerOptions {
  /** Address to bind; anything but loopback requires `token`. */
  host: string;
  /** Port to bind; 0 picks a free one (see {@link listenOnFreePort} for "this one or the next free"). */
  port: number;
  /** When set, every API request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Origins besides the server's own allowed to send mutating requests (e.g. `http://localhost:5173`). */
  allowedOrigins?: string[];
  /** The dashboard's built files; without it non-API GETs answer 404. */
  staticDir?: string;
  /** Largest request body in bytes (default 1 MiB); larger bodies are refused with 413. */
  bodyLimit?: number;
}

/** A listening REST server. */
export interface RestServer {
  /** `http://host:port`, the address to print. */
  url: string;
  port: number;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

function refuse(reply: FastifyReply, status: number, reason: string, headers: Record<string, string> = {}) {
  return reply
    .code(status)
    .headers(headers)
    .type('application/json; charset=utf-8')
    .send({ errors: [reason] });
}

/** The status and reason of an error thrown by routing, validation or the backend. */
function errorAnswer(e: FastifyError & { validationContext?: string }): { status: number; reasons: string[] } {
  if (e.validation !== undefined)
    return { status: 400, reasons: validationMessages(e.validation, e.validationContext) };
  if (e.name === 'BadRequest') return { status: 400, reasons: [e.message] };
  if (e.name === 'UnsupportedOperation') return { status: 405, reasons: [e.message] };
  const code = e.statusCode;
  if (typeof code === 'number' && code >= 400 && code < 500) {
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, reasons: ['request body too large'] };
    return { status: code, reasons: [e.message] };
  }
  return { status: 500, reasons: [`internal error: ${e.message}`] };
}

/**
 * Serves the REST API (Flink's paths: `/overview`, `/jobs/overview`, `/jobs/:jid/…`, `/metrics`, `/openapi.json`)
 * over `backend`, and the dashboard's static files. Errors answer Flink's `{"errors": ["..."]}` with a 4xx/5xx
 * status: 400 invalid request (unknown keys named), 401 missing or wrong token, 403 refused origin, host or rule,
 * 404 no such job, 405 unsupported by this backend, 409 wrong job state, 413 body too large, 415 not JSON.
 *
 * @throws Error when `host` is not loopback and no token is given (nothing is bound then), or when listening fails
 *   (`code` EADDRINUSE when the port is taken).
 */
export async function createRestServer(backend: JobsBackend, options: RestServerOptions): Promise<RestServer> {
  if (!isLoopback(options.host) && (options.token === undefined || options.token === '')) {
    throw new Error(
      `binding ${options.host} needs a token: only loopback addresses may be served without one (give --token, or bind 127.0.0.1)`,
    );
  }
  const guards = new RequestGuards(options.host, options.token, options.allowedOrigins ?? []);
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const app = Fastify({
    bodyLimit,
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } },
  });
  // An empty JSON body is an empty object (PATCH ?mode=cancel carries none); anything else must parse.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_req, text, done) => {
    const s = String(text);
    if (s.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(s));
    } catch (e) {
      const err = new Error(`request body is not JSON: ${(e as Error).message}`) as Error & { statusCode: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });
  app.addHook('onRequest', async (req, reply) => {
    const refusal = guards.check(req);
    if (refusal !== undefined) return refuse(reply, refusal.status, refusal.reason, refusal.headers);
  });
  app.setErrorHandler((e: FastifyError, _req, reply) => {
    const { status, reasons } = errorAnswer(e);
    if (status >= 500) process.stderr.write(`error: REST ${_req.method} ${_req.url}: ${e.stack ?? e.message}\n`);
    return reply.code(status).type('application/json; charset=utf-8').send({ errors: reasons });
  });
  app.setNotFoundHandler(async (req: FastifyRequest, reply) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && !isApiPath(req.url) && options.staticDir !== undefined) {
      const file = await staticFile(options.staticDir, req.url);
      if (file !== undefined) return reply.code(200).type(file.type).send(file.body);
    }
    return refuse(reply, 404, `Not found: ${req.method} ${req.url.split('?')[0]}`);
  });
  for (const route of REST_ROUTES) {
    app.route({
      method: route.method,
      url: route.url,
      schema: route.schema,
      handler: async (req, reply) => {
        const result = await route.handle(backend, {
          params: req.params as RouteRequest['params'],
          query: (req.query ?? {}) as RouteRequest['query'],
          body: (req.body ?? {}) as RouteRequest['body'],
        });
        reply.code(route.status);
        if (route.text) return reply.type('text/plain; version=0.0.4; charset=utf-8').send(result);
        return reply.type('application/json; charset=utf-8').send(result);
      },
    });
  }
  const openApi = JSON.stringify(openApiDocument(REST_ROUTES, VERSION, options.token !== undefined));
  app.get('/openapi.json', async (_req, reply) => reply.type('application/json; charset=utf-8').send(openApi));
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (e) {
    await app.close().catch(() => {});
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  guards.bound(port);
  const shown =
    options.host === '0.0.0.0'
      ? '127.0.0.1'
      : options.host === '::'
        ? '[::1]'
        : options.host.includes(':')
          ? `[${options.host}]`
          : options.host;
  return { url: `http://${shown}:${port}`, port, close: () => app.close() };
}

/**
 * Calls `listen(port)` for `start`, `start + 1`, … until one is not taken (`EADDRINUSE`), at most `attempts` ports;
 * `start` 0 asks the system for any free port once. Other errors are thrown at once.
 *
 * @example listenOnFreePort(8081, (port) => createRestServer(backend, { host: '127.0.0.1', port }))
 */
export async function listenOnFreePort<T>(
  start: number,
  listen: (port: number) => Promise<T>,
  attempts = 100,
): Promise<T> {
  if (start === 0) return listen(0);
  for (let port = start; ; port++) {
    try {
      return await listen(port);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EADDRINUSE' || port - start + 1 >= attempts || port >= 65535) throw e;
    }
  }
}
