import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { typeOfKey } from './address.js';
import type { AnyFunctionSpec } from './function.js';
import { invokeFunction, unknownTypeResult } from './invoke.js';
import type { Invocation, InvocationResult, InvokeRequest, InvokeResponse } from './protocol.js';

/**
 * Handles one invocation request of the remote protocol with the given functions: every invocation runs against
 * the state it carries, and its result lists the state changes and messages. Stateless, so any number of copies of
 * a service can answer, and answering the same invocation twice is harmless (the runtime applies one answer).
 * Usable from any HTTP framework or serverless handler.
 */
export function handleInvocations(functions: readonly AnyFunctionSpec[], request: InvokeRequest): InvokeResponse {
  const byType = new Map(functions.map((f) => [f.type, f]));
  const results: InvocationResult[] = [];
  for (const inv of request.invocations as Invocation[]) {
    const spec = byType.get(typeOfKey(inv.address));
    results.push(
      spec === undefined
        ? unknownTypeResult(inv, `the function service has no type '${typeOfKey(inv.address)}'`)
        : invokeFunction(spec, inv),
    );
  }
  return { results };
}

export interface FunctionServer {
  readonly port: number;
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Default 0: any free port. */
  readonly port?: number;
  readonly host?: string;
  /** Largest request body in bytes (default 16 MiB). */
  readonly maxBodyBytes?: number;
}

/** Serves functions over HTTP for a runtime that declares them with `StatefulFunctions.remote(...)`. */
export async function serveFunctions(
  functions: readonly AnyFunctionSpec[],
  options: ServeOptions = {},
): Promise<FunctionServer> {
  const limit = options.maxBodyBytes ?? 16 << 20;
  const server = createServer((req, res) => serve(functions, limit, req, res));
  server.keepAliveTimeout = 30_000;
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : (options.port ?? 0);
  return {
    port,
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function serve(functions: readonly AnyFunctionSpec[], limit: number, req: IncomingMessage, res: ServerResponse): void {
  const answer = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  };
  if (req.method !== 'POST') {
    req.resume();
    answer(405, { error: 'POST an invocation request' });
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    if (size > limit) return;
    size += c.length;
    if (size > limit) {
      answer(413, { error: `request larger than ${limit} bytes` });
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('error', () => {});
  req.on('end', () => {
    if (size > limit) return;
    let request: InvokeRequest;
    try {
      request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as InvokeRequest;
      if (!Array.isArray(request.invocations)) throw new Error('expected {"invocations": [...]}');
    } catch (e) {
      answer(400, { error: `invalid invocation request: ${(e as Error).message}` });
      return;
    }
    let response: InvokeResponse;
    try {
      response = handleInvocations(functions, request);
    } catch (e) {
      // Not a handler's error (those become failure answers): a malformed invocation. The runtime retries.
      answer(500, { error: `cannot handle the invocations: ${(e as Error).message}` });
      return;
    }
    answer(200, response);
  });
}
