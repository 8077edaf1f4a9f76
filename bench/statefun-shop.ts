/**
 * Benchmark of the shop example (examples/shop) as a real `sluice run` process with exactly-once checkpoints:
 * checkouts per second at saturation (closed loop, 2,048 keep-alive connections, with that loop's p50/p99) and p50/p99
 * latency at half that rate (open loop: latency counted from each request's scheduled send time, after a warm-up at
 * that rate whose figures are reported apart). Each checkout is 7 function invocations
 * (checkout, reserve, saga step answers, charge, order) plus the idempotency bookkeeping.
 *
 *   npx tsx bench/statefun-shop.ts [--seconds 10] [--connections 2048] [--skus 100] [--remote] [--state-backend heap|disk]
 *   [--checkpoint-interval MS] [--rate R (latency only, at R/s)] [--external --port P] [--output figures.json]
 *   [--parallelism N (sluice run -p N)] [--saturation-only] [--warm-up S (latency phase, default 2)]
 *
 * Besides the rate, both phases report the application's CPU time per checkout (user + system of the `sluice run`
 * process, all threads, from /proc): the figure to compare on a loaded machine, where rates are noise. With `--rate`
 * the work per second is the same in every run (same checkpoints per checkout), the fairest A/B.
 *
 * Each phase runs on a fresh application (its own checkpoint directory).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sleep } from '../test/fixtures/statefun-shop-client.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '2048' },
    skus: { type: 'string', default: '100' },
    remote: { type: 'boolean', default: false },
    'state-backend': { type: 'string', default: 'heap' },
    'checkpoint-interval': { type: 'string' },
    port: { type: 'string', default: '18480' },
    output: { type: 'string' },
    /** Skip the saturation phase: measure latency at this rate. */
    rate: { type: 'string' },
    /** Only the saturation (closed-loop) phase. */
    'saturation-only': { type: 'boolean', default: false },
    /** Seconds at the latency phase's rate before measuring (reported apart). */
    'warm-up': { type: 'string', default: '2' },
    /** Measure a shop already running on --port (e.g. under a profiler) instead of starting one. */
    external: { type: 'boolean', default: false },
    parallelism: { type: 'string', default: '1' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const skus = Number(values.skus);
const port = Number(values.port);
const warmUpSeconds = Number(values['warm-up']);

function start(cmd: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, cmd, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      err += s;
      if (ready.test(err)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`${cmd.join(' ')} exited ${code}\n${err}`)));
  });
}

let seq = 0;
const order = () => {
  const i = seq++;
  const cents = i % 10 === 3 ? 13 : i % 100;
  return { orderId: `b${i}`, sku: `sku-${(i * 7919) % skus}`, qty: 1, amount: 10 + cents / 100 };
};

/**
 * A minimal HTTP/1.1 keep-alive client (one request in flight per connection): node:http's client costs the
 * benchmark more CPU per request than the server spends on a checkout, on a machine where both share two cores.
 */
class Connection {
  private socket: Socket | undefined;
  private buffer = '';
  private waiting: { resolve: (a: { status: number; body: string }) => void; reject: (e: Error) => void } | undefined;

  private open(): Socket {
    const s = connect(port, '127.0.0.1');
    s.setNoDelay(true);
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      this.buffer += d;
      this.parse();
    });
    const fail = (e: Error) => {
      this.socket = undefined;
      this.buffer = '';
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(e);
    };
    s.on('error', fail);
    s.on('close', () => fail(new Error('closed')));
    return s;
  }

  private parse(): void {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buffer.slice(0, end);
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    // Bodies are ASCII JSON here, so string length = byte length.
    if (this.buffer.length < end + 4 + length) return;
    const body = this.buffer.slice(end + 4, end + 4 + length);
    this.buffer = this.buffer.slice(end + 4 + length);
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve({ status: Number(head.slice(9, 12)), body });
  }

  post(path: string, body: string, key: string): Promise<{ status: number; body: string }> {
    this.socket ??= this.open();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket!.write(
        `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nidempotency-key: ${key}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
    });
  }

  close(): void {
    this.socket?.destroy();
  }
}

/** One checkout until its final answer (retries 503s and errors); returns false if it never got one. */
async function checkout(conn: Connection): Promise<boolean> {
  const o = order();
  const body = JSON.stringify(o);
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const a = await conn.post('/checkout', body, o.orderId);
      if (a.status === 200 && a.body.includes('"status":')) return true;
    } catch {
      // retry
    }
    await sleep(5);
  }
  return false;
}

/** CPU seconds (user + system, all threads) the process `pid` has used; undefined where /proc is missing. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
  } catch {
    return undefined;
  }
}

let appPid: number | undefined;
let cpuPerCheckoutUs: number | undefined;
let latencyCpuPerCheckoutUs: number | undefined;

/** Closed-loop latencies (ms) of the checkouts counted in the saturation phase. */
const closedLoop: number[] = [];

async function saturation(durationMs: number): Promise<number> {
  let done = 0;
  let measuring = false;
  const end = Date.now() + durationMs + 2000;
  let measureStart = 0;
  let cpuStart: number | undefined;
  setTimeout(() => {
    measuring = true;
    measureStart = Date.now();
    cpuStart = cpuSeconds(appPid);
  }, 2000); // warm-up
  const loop = async () => {
    const conn = new Connection();
    while (Date.now() < end) {
      const t0 = performance.now();
      const counted = measuring;
      if ((await checkout(conn)) && measuring) {
        done++;
        // Latency only of checkouts begun after the warm-up: those begun before waited in its queue.
        if (counted) closedLoop.push(performance.now() - t0);
      }
    }
    conn.close();
  };
  await Promise.all(Array.from({ length: connections }, loop));
  const cpuEnd = cpuSeconds(appPid);
  if (cpuStart !== undefined && cpuEnd !== undefined && done > 0) cpuPerCheckoutUs = ((cpuEnd - cpuStart) / done) * 1e6;
  return done / ((Date.now() - measureStart) / 1000);
}

interface Latencies {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

function percentiles(latencies: number[]): Latencies {
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return { p50: q(0.5), p99: q(0.99), max: latencies[latencies.length - 1] ?? Number.NaN, n: latencies.length };
}

/**
 * Open-loop latency at `rate`: first `warmUpMs` at that rate on the fresh application (reported apart as `cold`: a
 * just-started process runs unoptimised code for a moment, and the queue built then takes a while to drain), then
 * `durationMs` measured.
 */
async function latency(
  rate: number,
  durationMs: number,
  warmUpMs: number,
): Promise<{ warm: Latencies; cold: Latencies }> {
  const idle: Connection[] = [];
  const warm: number[] = [];
  const cold: number[] = [];
  const started = performance.now();
  const total = Math.floor((rate * (warmUpMs + durationMs)) / 1000);
  const pending: Promise<void>[] = [];
  // CPU of the application over the measured part: at a fixed rate, the same work and checkpoints in every run.
  let cpuStart: number | undefined;
  for (let i = 0; i < total; i++) {
    const scheduled = started + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await sleep(wait);
    const measured = scheduled - started >= warmUpMs;
    if (measured && cpuStart === undefined) cpuStart = cpuSeconds(appPid);
    const conn = idle.pop() ?? new Connection();
    pending.push(
      checkout(conn).then((ok) => {
        idle.push(conn);
        if (ok) (measured ? warm : cold).push(performance.now() - scheduled);
      }),
    );
  }
  await Promise.all(pending);
  const cpuEnd = cpuSeconds(appPid);
  if (cpuStart !== undefined && cpuEnd !== undefined && warm.length > 0) {
    latencyCpuPerCheckoutUs = ((cpuEnd - cpuStart) / warm.length) * 1e6;
  }
  for (const c of idle) c.close();
  return { warm: percentiles(warm), cold: percentiles(cold) };
}

const dir = mkdtempSync(join(tmpdir(), 'statefun-bench-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts the shop (and its remote service) with a fresh checkpoint directory; returns a function that stops it. */
async function startShop(run: string): Promise<() => void> {
  if (values.external) return () => {};
  const started: ChildProcess[] = [];
  const appArgs = ['--port', String(port), '--stock', String(1e12)];
  if (values.remote) {
    started.push(await start(['--import', 'tsx', 'examples/shop/remote.ts', '--port', String(port + 1)], /listening/));
    appArgs.push('--remote', `http://127.0.0.1:${port + 1}`);
  }
  const engine = [
    '--checkpoint-dir',
    join(dir, `ck-${run}`),
    '--state-backend',
    values['state-backend']!,
    '-p',
    values.parallelism!,
  ];
  if (values['checkpoint-interval'] !== undefined) engine.push('--checkpoint-interval', values['checkpoint-interval']);
  const app = await start(['bin/sluice.mjs', 'run', 'examples/shop/app.ts', ...engine, '--', ...appArgs], /listening/);
  appPid = app.pid;
  started.push(app);
  children.push(...started);
  return () => {
    for (const c of started) c.kill('SIGKILL');
  };
}

try {
  let rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate === undefined) {
    const stop = await startShop('saturation');
    rate = await saturation(seconds * 1000);
    stop();
    const cpu = cpuPerCheckoutUs === undefined ? '' : `, ${Math.round(cpuPerCheckoutUs)} µs CPU per checkout`;
    const loop = percentiles(closedLoop);
    process.stderr.write(
      `saturation: ${Math.round(rate)} checkouts/s (${connections} concurrent clients${cpu}; ` +
        `closed-loop latency p50 ${loop.p50.toFixed(1)} ms, p99 ${loop.p99.toFixed(1)} ms)\n`,
    );
    await sleep(500);
  }
  if (!values['saturation-only']) await latencyPhase(rate);
} finally {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

async function latencyPhase(rate: number): Promise<void> {
  // Latency on a fresh application: the state the saturation phase left would make the figure depend on its length
  // (checkpoints grow with the state, see docs/STATEFUN.md).
  const half = values.rate === undefined ? Math.max(1, Math.round(rate / 2)) : rate;
  const stop = await startShop('latency');
  const { warm: lat, cold } = await latency(half, seconds * 1000, warmUpSeconds * 1000);
  stop();
  process.stderr.write(
    `at ${half}/s: p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms, max ${lat.max.toFixed(1)} ms (${lat.n} checkouts, ${Math.round(latencyCpuPerCheckoutUs ?? Number.NaN)} µs CPU per checkout); ` +
      `first ${warmUpSeconds} s after the start, not counted: p50 ${cold.p50.toFixed(1)} ms, p99 ${cold.p99.toFixed(1)} ms\n`,
  );
  const figures = {
    mode: values.remote ? 'remote' : 'embedded',
    stateBackend: values['state-backend'],
    checkpointIntervalMs: Number(values['checkpoint-interval'] ?? 20),
    parallelism: Number(values.parallelism),
    checkoutsPerSecond: values.rate === undefined ? Math.round(rate) : undefined,
    cpuPerCheckoutUs: cpuPerCheckoutUs === undefined ? undefined : Math.round(cpuPerCheckoutUs),
    latencyCpuPerCheckoutUs: latencyCpuPerCheckoutUs === undefined ? undefined : Math.round(latencyCpuPerCheckoutUs),
    latencyRate: half,
    seconds,
    p50Ms: Number(lat.p50.toFixed(1)),
    p99Ms: Number(lat.p99.toFixed(1)),
    maxMs: Number(lat.max.toFixed(1)),
    warmUpSeconds,
    coldP99Ms: Number(cold.p99.toFixed(1)),
  };
  console.log(JSON.stringify(figures));
  if (values.output !== undefined) writeFileSync(values.output, `${JSON.stringify(figures, null, 2)}\n`);
}
