import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ENGINE_OPTIONS } from '../web/engine-options.js';

/** Options every client command takes. */
export interface ClientOptions {
  server: string;
}

/** A refusal or failure of the service, with Flink's error messages. */
class ServiceError extends Error {}

/** Calls the service; the token comes from SLUICE_TOKEN. Throws ServiceError with the service's reasons. */
async function api(server: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const token = process.env.SLUICE_TOKEN;
  let r: Response;
  try {
    r = await fetch(new URL(path, server), {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ServiceError(`cannot reach the service at ${server}: ${(e as Error).cause ?? (e as Error).message}`);
  }
  const text = await r.text();
  const json = text === '' ? {} : (JSON.parse(text) as unknown);
  if (!r.ok) {
    const errors = (json as { errors?: string[] }).errors ?? [text];
    throw new ServiceError(`${r.status}: ${errors.join('; ')}`);
  }
  return json;
}

/** Runs a client action: prints `error: ...` and answers 1 on failure. */
async function client(action: () => Promise<void>): Promise<number> {
  try {
    await action();
    return 0;
  } catch (e) {
    if (!(e instanceof ServiceError)) throw e;
    process.stderr.write(`error: ${e.message}\n`);
    return 1;
  }
}

/**
 * The request body of `sluice submit`: the job file (absolute, as the service resolves paths against its own
 * directory) or the SQL text, the job arguments and the engine options given (camelCase, as commander stores them;
 * numbers converted by the option's schema type).
 */
export function submitBody(
  file: string | undefined,
  jobArgs: string[],
  opts: Record<string, unknown>,
): Record<string, unknown> {
  const body: Record<string, unknown> =
    opts.sql !== undefined ? { sql: readFileSync(String(opts.sql), 'utf8') } : { file: resolve(String(file)) };
  if (jobArgs.length > 0) body.args = jobArgs;
  if (opts.name !== undefined) body.name = opts.name;
  for (const [key, schema] of Object.entries(ENGINE_OPTIONS)) {
    const v = opts[key];
    if (v === undefined) continue;
    const type = (schema as { type: string }).type;
    body[key] =
      type === 'integer' || type === 'number'
        ? Number(v)
        : key === 'checkpointDir' || key === 'stateDir' || key === 'fromSavepoint'
          ? resolve(String(v))
          : v;
  }
  return body;
}

/** `sluice submit FILE [engine options] [-- args]` or `sluice submit --sql FILE`: prints the job id. */
export function submitCommand(
  file: string | undefined,
  jobArgs: string[],
  opts: ClientOptions & Record<string, unknown>,
) {
  return client(async () => {
    if (file === undefined && opts.sql === undefined) throw new ServiceError('give a job file or --sql FILE');
    const { jobid } = (await api(opts.server, 'POST', '/jobs', submitBody(file, jobArgs, opts))) as { jobid: string };
    process.stdout.write(`${jobid}\n`);
  });
}

/** `sluice list`: one line per job: id, state, start, duration, name. */
export function listCommand(opts: ClientOptions) {
  return client(async () => {
    const { jobs } = (await api(opts.server, 'GET', '/jobs/overview')) as { jobs: Record<string, unknown>[] };
    for (const j of jobs) {
      const start = new Date(Number(j['start-time'])).toISOString();
      const duration = `${(Number(j.duration) / 1000).toFixed(1)} s`;
      process.stdout.write(`${j.jid}  ${String(j.state).padEnd(10)}  ${start}  ${duration.padStart(9)}  ${j.name}\n`);
    }
  });
}

/** `sluice cancel JID`. */
export function cancelCommand(jid: string, opts: ClientOptions) {
  return client(async () => {
    await api(opts.server, 'PATCH', `/jobs/${encodeURIComponent(jid)}?mode=cancel`, {});
    process.stderr.write(`cancelling ${jid}\n`);
  });
}

/** Waits for a savepoint request and prints its location. */
async function awaitSavepoint(server: string, jid: string, requestId: string): Promise<void> {
  for (;;) {
    const s = (await api(server, 'GET', `/jobs/${jid}/savepoints/${requestId}`)) as {
      status: { id: string };
      operation?: { location?: string; 'failure-cause'?: { 'stack-trace'?: string } };
    };
    if (s.status.id === 'COMPLETED') {
      if (s.operation?.location === undefined) {
        throw new ServiceError(`savepoint failed: ${s.operation?.['failure-cause']?.['stack-trace'] ?? 'unknown'}`);
      }
      process.stdout.write(`${s.operation.location}\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `sluice savepoint JID [--target DIR]`: waits for the savepoint and prints where it is. */
export function savepointClientCommand(jid: string, opts: ClientOptions & { target?: string }) {
  return client(async () => {
    const body = opts.target === undefined ? {} : { 'target-directory': resolve(opts.target) };
    const r = (await api(opts.server, 'POST', `/jobs/${jid}/savepoints`, body)) as { 'request-id': string };
    await awaitSavepoint(opts.server, jid, r['request-id']);
  });
}

/** `sluice stop JID [--target DIR]`: stop with a savepoint; prints where it is. */
export function stopCommand(jid: string, opts: ClientOptions & { target?: string }) {
  return client(async () => {
    const body = opts.target === undefined ? {} : { targetDirectory: resolve(opts.target) };
    const r = (await api(opts.server, 'POST', `/jobs/${jid}/stop`, body)) as { 'request-id': string };
    await awaitSavepoint(opts.server, jid, r['request-id']);
  });
}

/** `sluice logs JID [--follow] [--source stderr]`: prints the job's log lines; with --follow until the job has ended. */
export function logsCommand(jid: string, opts: ClientOptions & { follow?: boolean; source?: string; q?: string }) {
  return client(async () => {
    let offset = 0;
    for (;;) {
      const query = new URLSearchParams({ offset: String(offset), limit: '1000' });
      if (opts.source !== undefined) query.set('source', opts.source);
      if (opts.q !== undefined) query.set('q', opts.q);
      const page = (await api(opts.server, 'GET', `/jobs/${jid}/logs?${query}`)) as {
        lines: Record<string, unknown>[];
        'next-offset': number;
      };
      for (const { line: _n, ...l } of page.lines) {
        process.stdout.write(
          `${typeof l.msg === 'string' && Object.keys(l).length === 1 ? l.msg : JSON.stringify(l)}\n`,
        );
      }
      const more = page['next-offset'] > offset;
      offset = page['next-offset'];
      if (more) continue;
      if (!opts.follow) return;
      const job = (await api(opts.server, 'GET', `/jobs/${jid}`)) as { state: string };
      if (job.state !== 'RUNNING' && job.state !== 'RESTARTING') {
        // One last read after the end: lines written just before it.
        const tail = (await api(opts.server, 'GET', `/jobs/${jid}/logs?${query}`)) as { lines: unknown[] };
        if (tail.lines.length === 0) return;
        continue;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  });
}
