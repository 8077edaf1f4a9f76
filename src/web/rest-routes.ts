import { NotFound } from './http-errors.js';
import type { JobsBackend } from './jobs-backend.js';
import {
  CANCEL_QUERY,
  JOB_PARAMS,
  LOGS_QUERY,
  METRICS_QUERY,
  RESCALE_BODY,
  SAVEPOINT_BODY,
  SAVEPOINT_PARAMS,
  STOP_BODY,
  SUBMIT_BODY,
  VERTEX_PARAMS,
} from './rest-schemas.js';

/** What a route handler sees of a request (already validated against the route's schemas). */
export interface RouteRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, unknown>;
}

/** One route of the REST API: path, schemas, documentation and what it does. */
export interface RestRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  /** fastify's path syntax (`/jobs/:jid`); OpenAPI gets `{jid}`. */
  url: string;
  summary: string;
  /** The Flink REST path of the same concept, or '' when Flink has none. */
  flink: string;
  schema: { params?: object; querystring?: object; body?: object };
  /** Status of a successful answer. */
  status: number;
  /** `text/plain` for Prometheus text; JSON otherwise. */
  text?: boolean;
  handle(backend: JobsBackend, request: RouteRequest): Promise<unknown>;
}

/** GET of a job resource: `path` after `/jobs/:jid`, built from the request; 404 when the backend has none. */
function jobResource(
  summary: string,
  url: string,
  flink: string,
  toPath: (p: Record<string, string>) => string,
  schema: RestRoute['schema'] = { params: url.includes(':vid') ? VERTEX_PARAMS : JOB_PARAMS },
): RestRoute {
  return {
    method: 'GET',
    url,
    summary,
    flink,
    schema,
    status: 200,
    async handle(backend, { params, query }) {
      const doc = await backend.jobResource(params.jid!, toPath(params), query);
      if (doc === undefined) {
        throw new NotFound(
          params.vid === undefined
            ? `Job ${params.jid} not found`
            : `Job ${params.jid} or its vertex ${params.vid} not found`,
        );
      }
      return doc;
    },
  };
}

/** Every route of the REST API, in the order the OpenAPI document lists them. */
export const REST_ROUTES: readonly RestRoute[] = [
  {
    method: 'GET',
    url: '/overview',
    summary: 'Cluster overview: slots and jobs by state',
    flink: 'GET /overview',
    schema: {},
    status: 200,
    handle: (b) => b.overview(),
  },
  {
    method: 'GET',
    url: '/config',
    summary: 'Dashboard configuration (refresh interval, version, features)',
    flink: 'GET /config',
    schema: {},
    status: 200,
    async handle(b) {
      const o = await b.overview();
      return {
        'refresh-interval': 3000,
        'timezone-name': Intl.DateTimeFormat().resolvedOptions().timeZone,
        'timezone-offset': -new Date().getTimezoneOffset() * 60_000,
        'flink-version': o['flink-version'] ?? '',
        features: { 'web-submit': true, 'web-cancel': true, 'web-rescale': true },
      };
    },
  },
  {
    method: 'GET',
    url: '/jobs',
    summary: 'Job ids and states',
    flink: 'GET /jobs',
    schema: {},
    status: 200,
    async handle(b) {
      const { jobs } = await b.jobsOverview();
      return { jobs: jobs.map((j) => ({ id: j.jid, status: j.state })) };
    },
  },
  {
    method: 'GET',
    url: '/jobs/overview',
    summary: 'Every job: jid, name, state, start-time, end-time, duration, tasks',
    flink: 'GET /jobs/overview',
    schema: {},
    status: 200,
    handle: (b) => b.jobsOverview(),
  },
  {
    method: 'POST',
    url: '/jobs',
    summary: 'Submit a job file or SQL text; answers {jobid}',
    flink: 'POST /jars/:jarid/run',
    schema: { body: SUBMIT_BODY },
    status: 200,
    handle: (b, r) => b.submit(r.body),
  },
  jobResource('Job details: plan, vertices with status and metrics', '/jobs/:jid', 'GET /jobs/:jobid', () => ''),
  {
    method: 'PATCH',
    url: '/jobs/:jid',
    summary: 'Cancel the job (?mode=cancel)',
    flink: 'PATCH /jobs/:jobid?mode=cancel',
    schema: { params: JOB_PARAMS, querystring: CANCEL_QUERY },
    status: 202,
    async handle(b, { params }) {
      await b.cancel(params.jid!);
      return {};
    },
  },
  jobResource('Job plan: vertices and edges', '/jobs/:jid/plan', 'GET /jobs/:jobid/plan', () => '/plan'),
  jobResource('Job configuration', '/jobs/:jid/config', 'GET /jobs/:jobid/config', () => '/config'),
  jobResource(
    'Checkpoint counts, latest and history (duration, size, alignment)',
    '/jobs/:jid/checkpoints',
    'GET /jobs/:jobid/checkpoints',
    () => '/checkpoints',
  ),
  jobResource(
    'Exceptions: root cause and history',
    '/jobs/:jid/exceptions',
    'GET /jobs/:jobid/exceptions',
    () => '/exceptions',
  ),
  jobResource('Job metrics (?get=name,…)', '/jobs/:jid/metrics', 'GET /jobs/:jobid/metrics', () => '/metrics', {
    params: JOB_PARAMS,
    querystring: METRICS_QUERY,
  }),
  jobResource(
    'Recent per-vertex samples (rates, busy and back-pressured time, watermark) for live plots',
    '/jobs/:jid/metrics-history',
    '',
    () => '/metrics-history',
  ),
  jobResource(
    "The autoscaler's decisions, newest first, with their inputs per vertex (`enabled` false without `--autoscale`)",
    '/jobs/:jid/autoscaler',
    '',
    () => '/autoscaler',
  ),
  jobResource(
    'Critical path and bottleneck of the latest analysed window (`sluice analyze`; `report` null otherwise)',
    '/jobs/:jid/critical-path',
    '',
    () => '/critical-path',
  ),
  jobResource(
    'Structured log lines, paged (?offset=&limit=&q=), also after the job ended',
    '/jobs/:jid/logs',
    '',
    () => '/logs',
    { params: JOB_PARAMS, querystring: LOGS_QUERY },
  ),
  jobResource(
    'Vertex: per-subtask status and metrics',
    '/jobs/:jid/vertices/:vid',
    'GET /jobs/:jobid/vertices/:vertexid',
    (p) => `/vertices/${p.vid}`,
  ),
  jobResource(
    'Vertex back pressure per subtask',
    '/jobs/:jid/vertices/:vid/backpressure',
    'GET /jobs/:jobid/vertices/:vertexid/backpressure',
    (p) => `/vertices/${p.vid}/backpressure`,
  ),
  jobResource(
    'Vertex watermarks per subtask',
    '/jobs/:jid/vertices/:vid/watermarks',
    'GET /jobs/:jobid/vertices/:vertexid/watermarks',
    (p) => `/vertices/${p.vid}/watermarks`,
  ),
  jobResource(
    'Vertex metrics aggregated over subtasks (?get=name,…: min, max, avg, sum)',
    '/jobs/:jid/vertices/:vid/subtasks/metrics',
    'GET /jobs/:jobid/vertices/:vertexid/subtasks/metrics',
    (p) => `/vertices/${p.vid}/subtasks/metrics`,
    { params: VERTEX_PARAMS, querystring: METRICS_QUERY },
  ),
  {
    method: 'POST',
    url: '/jobs/:jid/savepoints',
    summary: 'Trigger a savepoint; answers {request-id}',
    flink: 'POST /jobs/:jobid/savepoints',
    schema: { params: JOB_PARAMS, body: SAVEPOINT_BODY },
    status: 202,
    handle: (b, r) => b.savepoint(r.params.jid!, r.body),
  },
  {
    method: 'GET',
    url: '/jobs/:jid/savepoints/:requestId',
    summary: 'Status of a savepoint request',
    flink: 'GET /jobs/:jobid/savepoints/:triggerid',
    schema: { params: SAVEPOINT_PARAMS },
    status: 200,
    async handle(b, { params }) {
      const doc = await b.savepointStatus(params.jid!, params.requestId!);
      if (doc === undefined) throw new NotFound(`Savepoint request ${params.requestId} of job ${params.jid} not found`);
      return doc;
    },
  },
  {
    method: 'POST',
    url: '/jobs/:jid/stop',
    summary: 'Stop the job with a savepoint; answers {request-id}',
    flink: 'POST /jobs/:jobid/stop',
    schema: { params: JOB_PARAMS, body: STOP_BODY },
    status: 202,
    handle: (b, r) => b.stop(r.params.jid!, r.body),
  },
  {
    method: 'PUT',
    url: '/jobs/:jid/resource-requirements',
    summary: 'Rescale: stop with a savepoint, restart at the new parallelism',
    flink: 'PUT /jobs/:jobid/resource-requirements',
    schema: { params: JOB_PARAMS, body: RESCALE_BODY },
    status: 202,
    async handle(b, r) {
      await b.rescale(r.params.jid!, r.body);
      return {};
    },
  },
  {
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus text exposition of every job',
    flink: '(Flink: PrometheusReporter on its own port)',
    schema: {},
    status: 200,
    text: true,
    handle: (b) => b.prometheus(),
  },
];
