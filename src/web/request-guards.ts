import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** The first path segments of the API; every other GET is a static asset of the dashboard. */
const API_ROOTS = new Set(['overview', 'config', 'jobs', 'metrics', 'openapi.json']);
const MUTATING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** Whether `host` (as given to listen) is a loopback address or name. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** Whether a request path belongs to the API (and so needs the token), as opposed to a dashboard asset. */
export function isApiPath(url: string): boolean {
  const path = url.split('?')[0]!;
  return API_ROOTS.has(path.split('/')[1] ?? '');
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** A refusal: HTTP status and the reason for Flink's `{"errors": [reason]}`. */
export interface Refusal {
  status: number;
  reason: string;
  headers?: Record<string, string>;
}

/** What a request looks like to the guards. */
export interface GuardedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The security rules of the REST server, checked before a request is routed or its body read:
 * 1. on a loopback bind, the Host header must name a loopback host (a DNS-rebinding page names its own);
 * 2. with a token, every API request needs `Authorization: Bearer <token>` (compared in constant time over SHA-256
 *    digests, so neither content nor length leaks through timing); dashboard assets need none;
 * 3. mutating requests (POST, PATCH, PUT, DELETE) with an `Origin` header must come from the server's own origin or
 *    an allowed one (browsers always send Origin cross-site; command-line clients send none);
 * 4. mutating requests must say `Content-Type: application/json` (an HTML form cannot, so no request without a CORS
 *    preflight — which this server never grants — gets through).
 */
export class RequestGuards {
  private readonly token: Buffer | undefined;
  private readonly loopback: boolean;
  private readonly allowedOrigins: Set<string>;
  private port = 0;

  constructor(
    private readonly host: string,
    token: string | undefined,
    allowedOrigins: readonly string[],
  ) {
    this.token = token === undefined ? undefined : digest(token);
    this.loopback = isLoopback(host);
    this.allowedOrigins = new Set(allowedOrigins.map((o) => o.replace(/\/$/, '').toLowerCase()));
  }

  /** Sets the bound port once known (own origins include it). */
  bound(port: number): void {
    this.port = port;
  }

  /** The refusal of a request, or undefined when it may proceed. */
  check(req: GuardedRequest): Refusal | undefined {
    const hostHeader = String(req.headers.host ?? '');
    if (this.loopback && !isLoopback(hostHeader.replace(/:\d+$/, ''))) {
      return { status: 403, reason: `Host '${hostHeader}' refused: this server answers only to loopback names` };
    }
    if (this.token !== undefined && isApiPath(req.url)) {
      const auth = String(req.headers.authorization ?? '');
      const m = /^Bearer (.+)$/i.exec(auth);
      const challenge = { 'www-authenticate': 'Bearer realm="sluice"' };
      if (m === null) {
        return { status: 401, reason: 'Authorization: Bearer <token> required', headers: challenge };
      }
      if (!timingSafeEqual(digest(m[1]!.trim()), this.token)) {
        return { status: 401, reason: 'wrong token', headers: challenge };
      }
    }
    if (!MUTATING.has(req.method)) return undefined;
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(String(origin), hostHeader)) {
      return {
        status: 403,
        reason: `cross-origin ${req.method} from '${origin}' refused (allowed: this server's own origin${this.allowedOrigins.size > 0 ? ` and ${[...this.allowedOrigins].join(', ')}` : ''})`,
      };
    }
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (type !== 'application/json') {
      return { status: 415, reason: `${req.method} needs Content-Type: application/json (got '${type || 'none'}')` };
    }
    return undefined;
  }

  private originAllowed(origin: string, hostHeader: string): boolean {
    const o = origin.replace(/\/$/, '').toLowerCase();
    if (this.allowedOrigins.has(o)) return true;
    const own = this.loopback
      ? ['127.0.0.1', 'localhost', '[::1]'].map((h) => `http://${h}:${this.port}`)
      : isWildcard(this.host)
        ? // Bound to every interface: the origin is the address the client used, which the token already guards.
          [`http://${hostHeader.toLowerCase()}`]
        : [`http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`.toLowerCase()];
    return own.includes(o);
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}
