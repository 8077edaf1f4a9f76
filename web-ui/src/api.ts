import type {
  AutoscalerDocument,
  CheckpointsDocument,
  ClusterOverview,
  CriticalPathDocument,
  ExceptionsDocument,
  JobDetails,
  JobSummary,
  LogPage,
  MetricsHistory,
  SavepointStatus,
  SubmitRequest,
} from './types';

/** A non-2xx answer: `status` and the server's reasons (Flink's `{"errors": [...]}`), joined in `message`. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'sluice-token';
let token: string | null = sessionStorage.getItem(TOKEN_KEY);
const unauthorizedListeners = new Set<() => void>();

/**
 * Takes a bearer token from the page address (`#/jobs?token=T` or `#token=T`, as `sluice serve` prints it), keeps
 * it for this tab, and removes it from the address so it does not linger in history or screenshots.
 */
export function takeTokenFromHash(): void {
  const m = /[#?&]token=([^&]*)/.exec(location.hash);
  if (m === null) return;
  setToken(decodeURIComponent(m[1] ?? ''));
  const rest = location.hash.replace(/[?&]?token=[^&]*/, '').replace(/^#\??$/, '');
  history.replaceState(null, '', `${location.pathname}${location.search}${rest === '' ? '#/' : rest}`);
}

/** Sets the bearer token sent with every request (kept in sessionStorage: this tab only). */
export function setToken(value: string): void {
  token = value === '' ? null : value;
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** Calls `listener` whenever the server answers 401 (no token, or a wrong one); returns the unsubscribe function. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

async function request<T>(method: string, path: string, bodyGiven?: unknown): Promise<T> {
  // The API refuses mutating requests that are not JSON (a guard against cross-site form posts): send at least {}.
  const body = bodyGiven === undefined && method !== 'GET' ? {} : bodyGiven;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  // Relative paths: the API is served by the same origin and path prefix as the page.
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    if (res.status === 401) for (const l of unauthorizedListeners) l();
    const reasons = (parsed as { errors?: unknown } | undefined)?.errors;
    const reason = Array.isArray(reasons) ? reasons.join('; ') : text.slice(0, 300) || res.statusText;
    throw new ApiError(res.status, `${method} /${path}: ${res.status} ${reason}`);
  }
  return parsed as T;
}

const job = (jid: string) => `jobs/${encodeURIComponent(jid)}`;

/** The REST calls the dashboard makes; each resolves to the parsed document or rejects with {@link ApiError}. */
export const api = {
  overview: () => request<ClusterOverview>('GET', 'overview'),
  jobs: () => request<{ jobs?: JobSummary[] }>('GET', 'jobs/overview'),
  job: (jid: string) => request<JobDetails>('GET', job(jid)),
  metricsHistory: (jid: string) => request<MetricsHistory>('GET', `${job(jid)}/metrics-history`),
  checkpoints: (jid: string) => request<CheckpointsDocument>('GET', `${job(jid)}/checkpoints`),
  exceptions: (jid: string) => request<ExceptionsDocument>('GET', `${job(jid)}/exceptions`),
  autoscaler: (jid: string) => request<AutoscalerDocument>('GET', `${job(jid)}/autoscaler`),
  criticalPath: (jid: string) => request<CriticalPathDocument>('GET', `${job(jid)}/critical-path`),
  logs: (jid: string, offset: number, limit: number, q: string) => {
    const query = new URLSearchParams({ offset: String(offset), limit: String(limit) });
    if (q !== '') query.set('q', q);
    return request<LogPage>('GET', `${job(jid)}/logs?${query}`);
  },
  submit: (body: SubmitRequest) => request<{ jobid: string }>('POST', 'jobs', body),
  cancel: (jid: string) => request<unknown>('PATCH', `${job(jid)}?mode=cancel`),
  savepoint: (jid: string, targetDirectory: string) =>
    request<{ 'request-id': string }>(
      'POST',
      `${job(jid)}/savepoints`,
      targetDirectory === '' ? { 'cancel-job': false } : { 'target-directory': targetDirectory, 'cancel-job': false },
    ),
  savepointStatus: (jid: string, requestId: string) =>
    request<SavepointStatus>('GET', `${job(jid)}/savepoints/${encodeURIComponent(requestId)}`),
  rescale: (jid: string, parallelism: number) =>
    request<unknown>('PUT', `${job(jid)}/resource-requirements`, { parallelism }),
};
