import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { dashboardDir } from '../web/dashboard-dir.js';
import { isLoopback } from '../web/request-guards.js';
import { createRestServer, listenOnFreePort } from '../web/rest-server.js';
import { ServiceBackend } from '../web/service/service-backend.js';

/** Options of `sluice serve`. */
export interface ServeOptions {
  port: number;
  host: string;
  dataDir: string;
  token?: string;
  generateToken?: boolean;
  allowDir: string[];
  allowOrigin: string[];
  maxHistory: number;
  maxLogMb: number;
  staticDir?: string;
  /** The script each job runs as, instead of this package's bin/sluice.mjs. */
  jobCommand?: string;
}

const root = new URL('../../', import.meta.url);

/**
 * `sluice serve`: the long-running service. Binds `--port` or the next free port after it (0: any), prints the
 * address on stderr (`sluice serve: listening on URL`), runs until SIGINT/SIGTERM, then stops the job processes
 * (their jobs resume on the next start when they have checkpoints). Returns the exit code: 2 when a non-loopback
 * bind has no token.
 */
export async function serveCommand(opts: ServeOptions): Promise<number> {
  let token = opts.token ?? process.env.SLUICE_TOKEN;
  if (token === '') token = undefined;
  if (opts.generateToken && token === undefined) {
    token = randomBytes(24).toString('base64url');
    // Printed once: it is not stored anywhere.
    process.stderr.write(`sluice serve: token (shown once; clients read it from SLUICE_TOKEN): ${token}\n`);
  }
  if (!isLoopback(opts.host) && token === undefined) {
    process.stderr.write(
      `error: binding ${opts.host} needs a token: give --token T (or SLUICE_TOKEN), or --generate-token; only loopback addresses are served without one\n`,
    );
    return 2;
  }
  const cwd = process.cwd();
  const allowDirs = opts.allowDir.length > 0 ? opts.allowDir.map((d) => resolve(d)) : [cwd];
  if (opts.allowDir.length === 0 && isLoopback(opts.host)) allowDirs.push(tmpdir());
  const version = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string }).version;
  const backend = new ServiceBackend({
    dataDir: resolve(opts.dataDir),
    cwd,
    allowDirs,
    bin: opts.jobCommand === undefined ? new URL('bin/sluice.mjs', root).pathname : resolve(opts.jobCommand),
    maxHistory: opts.maxHistory,
    maxLogBytes: opts.maxLogMb * 1024 * 1024,
    version,
    log: (line) => process.stderr.write(`sluice serve: ${line}\n`),
  });
  await backend.start();
  const staticDir = opts.staticDir === undefined ? dashboardDir() : resolve(opts.staticDir);
  let server: Awaited<ReturnType<typeof createRestServer>>;
  try {
    server = await listenOnFreePort(opts.port, (port) =>
      createRestServer(backend, {
        host: opts.host,
        port,
        ...(token === undefined ? {} : { token }),
        allowedOrigins: opts.allowOrigin,
        ...(staticDir === undefined ? {} : { staticDir }),
      }),
    );
  } catch (e) {
    await backend.shutdown();
    process.stderr.write(`error: cannot listen on ${opts.host}:${opts.port}: ${(e as Error).message}\n`);
    return 1;
  }
  process.stderr.write(
    `sluice serve: listening on ${server.url} (data ${resolve(opts.dataDir)}; job files from ${allowDirs.join(', ')})\n`,
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  process.stderr.write('sluice serve: stopping\n');
  await server.close();
  await backend.shutdown();
  return 0;
}
