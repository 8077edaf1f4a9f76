/**
 * What the REST API serves, behind one interface, so the same routes serve one embedded job (`sluice run --web`)
 * and a service of many jobs (`sluice serve`). Every document is JSON in Flink's REST shapes and field names
 * (kebab-case where Flink uses it: `start-time`, `end-time`, `jid`), so Flink's users and tools recognise them.
 *
 * `undefined` means "no such job / vertex" (the routes answer 404 with Flink's `{"errors": [...]}`).
 * Mutations a backend does not support throw {@link UnsupportedOperation} (answered 405 with the reason).
 */
export interface JobsBackend {
  /** GET /overview: cluster summary (`taskmanagers`, `slots-total`, `jobs-running`, `jobs-finished`, `jobs-cancelled`, `jobs-failed`, `flink-version` → Sluice's version). */
  overview(): Promise<Record<string, unknown>>;
  /** GET /jobs/overview: `{ jobs: [{ jid, name, state, start-time, end-time, duration, last-modification, tasks: {...} }] }`. */
  jobsOverview(): Promise<{ jobs: Record<string, unknown>[] }>;
  /**
   * GET /jobs/:jid and its sub-resources. `path` is what follows `/jobs/:jid` ('' for the job itself,
   * '/vertices/3', '/vertices/3/backpressure', '/vertices/3/watermarks', '/vertices/3/subtasks/metrics',
   * '/checkpoints', '/exceptions', '/config', '/plan', '/logs', '/metrics'); `query` the parsed query string
   * (`get=numRecordsIn,busyTimeMsPerSecond` for metrics; `offset`/`limit`/`q` for logs).
   */
  jobResource(jid: string, path: string, query: Readonly<Record<string, string>>): Promise<unknown | undefined>;
  /** POST /jobs: submit (`{file, args, parallelism, ...engine options in camelCase}` or `{sql, ...}`); answers the new id. */
  submit(request: Readonly<Record<string, unknown>>): Promise<{ jobid: string }>;
  /** PATCH /jobs/:jid?mode=cancel. */
  cancel(jid: string): Promise<void>;
  /** POST /jobs/:jid/savepoints (`{ "target-directory": DIR, "cancel-job": bool }`): answers `{ "request-id" }`. */
  savepoint(jid: string, request: Readonly<Record<string, unknown>>): Promise<{ 'request-id': string }>;
  /** GET /jobs/:jid/savepoints/:requestId: `{ status: { id: IN_PROGRESS|COMPLETED }, operation: { location } | { failure-cause } }`. */
  savepointStatus(jid: string, requestId: string): Promise<unknown | undefined>;
  /** POST /jobs/:jid/stop: stop with a savepoint (`{ targetDirectory, drain }`). */
  stop(jid: string, request: Readonly<Record<string, unknown>>): Promise<{ 'request-id': string }>;
  /** PUT /jobs/:jid/resource-requirements: rescale (stop with a savepoint, restart at the new parallelism). */
  rescale(jid: string, request: Readonly<Record<string, unknown>>): Promise<void>;
  /** GET /metrics: Prometheus text exposition of every job's metrics. */
  prometheus(): Promise<string>;
}

/** A mutation the backend cannot do (e.g. submitting to a single embedded job). */
export class UnsupportedOperation extends Error {
  override name = 'UnsupportedOperation';
}

/** A request the backend refuses because it is invalid (answered 400 with the message). */
export class BadRequest extends Error {
  override name = 'BadRequest';
}
