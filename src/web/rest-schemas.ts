import { ENGINE_OPTIONS } from './engine-options.js';

/**
 * The JSON Schemas of the REST API's requests, written once: fastify validates requests with them and
 * `openapi.ts` publishes them. Plain JSON Schema objects (no schema builder library): they are few and small, ajv
 * (inside fastify) takes them as they are, and the OpenAPI 3.1 document embeds them unchanged. Every object schema
 * refuses unknown keys (`additionalProperties: false`), so a mistyped option is a 400 naming it, never ignored.
 */

/** `{jid}` (32 hex digits in Flink; any id without a slash here). */
export const JOB_PARAMS = {
  type: 'object',
  properties: { jid: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
  required: ['jid'],
} as const;

/** `{jid, vid}`. */
export const VERTEX_PARAMS = {
  type: 'object',
  properties: { ...JOB_PARAMS.properties, vid: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
  required: ['jid', 'vid'],
} as const;

/** `{jid, requestId}`. */
export const SAVEPOINT_PARAMS = {
  type: 'object',
  properties: { ...JOB_PARAMS.properties, requestId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
  required: ['jid', 'requestId'],
} as const;

/** POST /jobs: a job file with arguments, or SQL text, with the engine options of `sluice run`. */
export const SUBMIT_BODY = {
  type: 'object',
  description:
    'A DataStream job file (`file`, with `args`) or SQL text (`sql`), with the engine options of `sluice run` by their long names in camelCase.',
  properties: {
    file: { type: 'string', minLength: 1, description: 'job file on the service machine, in an allowed directory' },
    sql: { type: 'string', minLength: 1, description: 'SQL statements, run by `sluice sql`' },
    args: { type: 'array', items: { type: 'string' }, description: 'job arguments (after `--`)' },
    name: { type: 'string', maxLength: 200, description: 'display name (default: the file name)' },
    ...ENGINE_OPTIONS,
  },
  oneOf: [{ required: ['file'] }, { required: ['sql'] }],
  additionalProperties: false,
} as const;

/** POST /jobs/:jid/savepoints (Flink's body). */
export const SAVEPOINT_BODY = {
  type: 'object',
  properties: {
    'target-directory': { type: 'string', minLength: 1 },
    'cancel-job': { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

/** POST /jobs/:jid/stop (Flink's body). */
export const STOP_BODY = {
  type: 'object',
  properties: {
    targetDirectory: { type: 'string', minLength: 1 },
    drain: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

/**
 * PUT /jobs/:jid/resource-requirements: `{parallelism: N}`, or Flink's per-vertex form
 * `{"<vid>": {"parallelism": {"lowerBound": 1, "upperBound": N}}}` (the job is rescaled to the largest upper bound).
 */
export const RESCALE_BODY = {
  type: 'object',
  properties: { parallelism: { type: 'integer', minimum: 1 } },
  additionalProperties: {
    type: 'object',
    properties: {
      parallelism: {
        type: 'object',
        properties: { lowerBound: { type: 'integer', minimum: 1 }, upperBound: { type: 'integer', minimum: 1 } },
        required: ['upperBound'],
        additionalProperties: false,
      },
    },
    required: ['parallelism'],
    additionalProperties: false,
  },
  minProperties: 1,
} as const;

/** PATCH /jobs/:jid: `?mode=cancel` (Flink's only mode). */
export const CANCEL_QUERY = {
  type: 'object',
  properties: { mode: { type: 'string', enum: ['cancel'] } },
  additionalProperties: false,
} as const;

/**
 * GET /jobs/:jid/logs: `offset` (line number, from 0), `limit` (lines, default 100, at most 10000), `q` (substring),
 * `source` (`log`: the structured lines, default; `stdout`/`stderr`: the process's output).
 */
export const LOGS_QUERY = {
  type: 'object',
  properties: {
    offset: { type: 'string', pattern: '^[0-9]{1,15}$' },
    limit: { type: 'string', pattern: '^[0-9]{1,5}$' },
    q: { type: 'string', maxLength: 1000 },
    source: { type: 'string', enum: ['log', 'stdout', 'stderr'] },
  },
  additionalProperties: false,
} as const;

/** GET …/subtasks/metrics and /jobs/:jid/metrics: `get=name,name` selects metrics; `agg=min,max` the aggregates. */
export const METRICS_QUERY = {
  type: 'object',
  properties: { get: { type: 'string', maxLength: 4000 }, agg: { type: 'string', maxLength: 100 } },
  additionalProperties: false,
} as const;
