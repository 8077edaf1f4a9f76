import type { JobsBackend } from './jobs-backend.js';

/**
 * PLACEHOLDER until the REST server is merged: the signatures `sluice run --web` builds on. The real module serves
 * Flink's REST paths over a {@link JobsBackend}; this one refuses to start.
 */
export interface RestServerOptions {
  host: string;
  port: number;
  token?: string;
}

/** A listening REST server. */
export interface RestServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** @throws Error always: the REST server is not merged yet. */
export async function createRestServer(_backend: JobsBackend, _options: RestServerOptions): Promise<RestServer> {
  throw new Error('the REST server is not merged yet');
}

/** Calls `listen(port)` for `start`, `start + 1`, … until one is not taken (`EADDRINUSE`). */
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
