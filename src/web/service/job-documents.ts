import { existsSync, readFileSync } from 'node:fs';
import type { JobMeta } from './job-store.js';

/**
 * `DATA/jobs/JID/job.json`, written by the job's child process (`--job-dir`) every ~2 s and at the end:
 * `resources` maps each path under `/jobs/:jid` ('' for the job itself, '/vertices/<vid>', '/checkpoints',
 * '/exceptions', '/config', '/plan', '/vertices/<vid>/subtasks/metrics' as Flink's array of `{id, min, max, avg, sum}`
 * over every metric, ...) to the document the child's own REST server answers there; `overview` is the job's entry
 * of `/jobs/overview`; `metrics` the final Prometheus text.
 */
export interface JobDocuments {
  overview?: Record<string, unknown>;
  resources?: Record<string, unknown>;
  metrics?: string;
}

/** Reads a JSON file; undefined when missing or unreadable (a child cut short may leave none). */
export function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The job's `/jobs/overview` entry: the child's (live or last written), with the service's id, name, state and times. */
export function overviewEntry(meta: JobMeta, child: Record<string, unknown> | undefined): Record<string, unknown> {
  const start = typeof child?.['start-time'] === 'number' ? (child['start-time'] as number) : meta.submitTime;
  const end = meta.endTime ?? -1;
  return {
    tasks: {
      running: 0,
      finished: 0,
      canceled: 0,
      failed: 0,
      total: 0,
      created: 0,
      scheduled: 0,
      deploying: 0,
      reconciling: 0,
      initializing: 0,
    },
    ...child,
    jid: meta.id,
    name: meta.name,
    state: meta.status,
    'start-time': start,
    'end-time': end,
    duration: (end === -1 ? Date.now() : end) - start,
    'last-modification': meta.endTime ?? meta.startTime,
  };
}

/** Keeps only the metrics `get` names (comma-separated) of a Flink metrics array. */
function selectMetrics(doc: unknown, get: string | undefined): unknown {
  if (get === undefined || !Array.isArray(doc)) return doc;
  const names = new Set(get.split(',').map((s) => s.trim()));
  return doc.filter((m) => names.has(String((m as { id?: unknown }).id)));
}

/**
 * A resource of a job that is not running (or whose child does not answer): from job.json, else what the service
 * knows itself (details, config, exceptions from the exit, empty checkpoint statistics); undefined for paths it has
 * nothing for.
 */
export function storedResource(
  meta: JobMeta,
  docs: JobDocuments | undefined,
  exceptions: Record<string, unknown> | undefined,
  path: string,
  query: Readonly<Record<string, string>>,
): unknown {
  const stored = docs?.resources?.[path];
  if (path === '') {
    const entry = overviewEntry(meta, docs?.overview);
    return {
      vertices: [],
      plan: { jid: meta.id, name: meta.name, nodes: [] },
      ...(stored as object | undefined),
      jid: meta.id,
      name: meta.name,
      state: meta.status,
      'start-time': entry['start-time'],
      'end-time': entry['end-time'],
      duration: entry.duration,
      now: Date.now(),
    };
  }
  if (path === '/exceptions') {
    if (stored !== undefined) return stored;
    return (
      exceptions ?? {
        'root-exception': null,
        timestamp: null,
        'all-exceptions': [],
        truncated: false,
        exceptionHistory: { entries: [], truncated: false },
      }
    );
  }
  if (stored !== undefined) return path.endsWith('/metrics') ? selectMetrics(stored, query.get) : stored;
  if (path === '/config') {
    return {
      jid: meta.id,
      name: meta.name,
      'execution-config': {
        'job-parallelism': meta.request.parallelism ?? 1,
        'user-config': meta.request,
      },
    };
  }
  if (path === '/checkpoints') {
    return {
      counts: { restored: 0, total: 0, in_progress: 0, completed: 0, failed: 0 },
      summary: {},
      latest: { completed: null, savepoint: null, failed: null, restored: null },
      history: [],
    };
  }
  return undefined;
}

/** Flink's exceptions document for a run that failed with `reason` (its stderr tail as the stack trace). */
export function exceptionsOf(reason: string, stderrTail: readonly string[], time: number): Record<string, unknown> {
  const entry = {
    exceptionName: 'JobFailure',
    stacktrace: stderrTail.join('\n'),
    timestamp: time,
    taskName: null,
    endpoint: null,
  };
  return {
    'root-exception': reason,
    timestamp: time,
    'all-exceptions': [],
    truncated: false,
    exceptionHistory: { entries: [{ ...entry, exceptionName: reason }], truncated: false },
  };
}
