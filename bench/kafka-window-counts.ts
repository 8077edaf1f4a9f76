/**
 * Kafka → keyed window → Kafka, exactly-once with 1 s checkpoints: examples/kafka-window-counts.ts run with
 * `sluice run` (a child process, as in production) against the broker of scripts/kafka.sh.
 *
 *   npx tsx bench/kafka-window-counts.ts [--brokers 127.0.0.1:9092] [--parallelism 1,2] [--records 1000000]
 *                                        [--rate 50000] [--seconds 30] [--partitions 4] [--skip throughput|latency]
 *                                        [--processes 1,3] [--threads 0,2] [--repeat 1]
 *
 * With --processes, the job runs in cluster mode instead (docs/CLUSTER.md): that many `sluice run --cluster`
 * processes of one job, timed from the first start to the last exit. --threads lists the `--threads` values to
 * compare (worker threads hosting each process's tasks; 0: its main thread; default: the cores). --repeat runs the
 * whole list of modes again, interleaved, for A/B comparisons on a loaded machine.
 *
 * Every figure comes with the CPU time of the job's processes (user + system over all their threads, from
 * process.cpuUsage() at exit): µs of CPU per record is what a loaded machine cannot blur.
 *
 * Throughput: `records` events (1000 users, event times 1 ms apart with up to 4.9 s of disorder) are produced into
 * a fresh topic first; the job then reads them (--bounded: up to the end offsets at its start), counts per user and
 * 60 s window, and writes the rows in Kafka transactions. records/s = records / (wall time of the job − its
 * start-up time), the start-up time (loading TypeScript, worker threads, connecting, the sink's transaction
 * recovery, the final checkpoint) being measured on a run over a one-record topic.
 *
 * Latency: the job runs unbounded with 230 ms windows and a 200 ms out-of-orderness bound while a producer (a child
 * process) sends events at a fixed rate, each stamped with the wall clock when it is produced (event time = Kafka
 * timestamp = production time). A window [s, e) can only be complete once an event with a timestamp ≥ e + 200 ms
 * exists, i.e. at wall time e + 200 ms; its rows are then counted, written in the current transaction and become
 * visible when the next checkpoint completes and its transaction is committed. A read_committed consumer in this
 * process tails the output topic and stamps every row on arrival. Latency of a window = arrival of its last row −
 * (windowEnd + 200 ms): from the production of the first event that closes the window to its whole result being
 * visible — the engine's and the exactly-once commit's share, without the waiting that event-time windows imply by
 * definition (an event's own produce → visible time adds the rest of its window and the 200 ms bound). Windows are
 * short and 230 ms is not a divisor of the checkpoint interval, so their ends fall at every phase of the checkpoint
 * cycle (one sample per window); the first 5 s are warm-up and left out. The same machine's clock is used throughout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Admin, Producer } from '@platformatic/kafka';
import { KafkaSource } from '../src/connectors/kafka/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: `127.0.0.1:${process.env.KAFKA_PORT ?? 9092}` },
    parallelism: { type: 'string', default: '1,2' },
    records: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '50000' },
    seconds: { type: 'string', default: '40' },
    partitions: { type: 'string', default: '4' },
    skip: { type: 'string' },
    processes: { type: 'string' },
    threads: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    // Internal: the producer child of the latency run.
    produce: { type: 'string' },
  },
});
const brokers = values.brokers;
const run = `b${Date.now().toString(36)}`;
const USERS = 1000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

if (values.produce !== undefined) {
  await producerChild(values.produce, Number(values.rate), Number(values.seconds));
  process.exit(0);
}

async function createTopic(name: string, partitions: number): Promise<string> {
  const admin = new Admin({ clientId: 'sluice-bench', bootstrapBrokers: [brokers] });
  try {
    await admin.createTopics({
      topics: [name],
      partitions,
      replicas: 1,
      configs: [{ name: 'retention.ms', value: '-1' }],
    });
  } finally {
    await admin.close();
  }
  return name;
}

/** Produces `count` window-counts events (seeded, like scripts/generate-events.mjs) round-robin over partitions. */
async function produceBacklog(topic: string, count: number, partitions: number): Promise<number> {
  const producer = new Producer({ clientId: 'sluice-bench', bootstrapBrokers: [brokers], acks: 1 });
  const t0 = performance.now();
  let seed = 11;
  const random = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const start = Date.now() - count; // recent event times: no retention surprises
  const batch = 10_000;
  const inFlight: Promise<unknown>[] = [];
  try {
    for (let i = 0; i < count; i += batch) {
      const messages = [];
      for (let j = i; j < Math.min(count, i + batch); j++) {
        const ts = start + j - Math.floor(random() * 4900);
        const e = { user: `user-${Math.floor(random() ** 2 * USERS)}`, ts, amount: Math.round(random() * 10000) / 100 };
        messages.push({
          topic,
          partition: j % partitions,
          value: Buffer.from(JSON.stringify(e)),
          timestamp: BigInt(ts),
        });
      }
      inFlight.push(producer.send({ messages }));
      if (inFlight.length >= 4) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } finally {
    await producer.close();
  }
  return (performance.now() - t0) / 1000;
}

interface JobRun {
  seconds: number;
  /** CPU seconds of the job's processes (user + system, all threads). */
  cpu: number;
  checkpoints: number[];
  stderr: string;
  code: number | null;
}

/** How the job runs: `p` worker threads in one process, or `n` processes of one cluster job. */
type Mode =
  | { readonly kind: 'local'; readonly p: number }
  | { readonly kind: 'cluster'; readonly n: number; readonly threads: number | undefined };
const label = (m: Mode) =>
  m.kind === 'local'
    ? `p=${m.p}`
    : `cluster of ${m.n} process${m.n > 1 ? 'es' : ''}${m.threads === undefined ? '' : ` --threads ${m.threads}`}`;
/** Preloaded into each job process: reports its CPU time (all threads) on stderr as it exits. */
const CPU_PRELOAD =
  "data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('bench-cpu-us '+(u.user+u.system)+'\\n')})";
const CPU_LINE = /^bench-cpu-us (\d+)$/m;
/** Checkpoint lines of `-v`: `checkpoint N: …` (local) or `sNtM: checkpoint N: …` (cluster tasks). */
const CHECKPOINT_LINE = /^(?:s\d+t\d+: )?checkpoint \d+(?: \(final\))?: (\d+) ms/gm;

function spawnSluice(args: string[]): { child: ChildProcess; done: Promise<JobRun> } {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', CPU_PRELOAD, join(root, 'bin/sluice.mjs'), ...args], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const done = new Promise<JobRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const checkpoints = [...stderr.matchAll(CHECKPOINT_LINE)].map((m) => Number(m[1]));
      const cpu = Number(CPU_LINE.exec(stderr)?.[1] ?? Number.NaN) / 1e6;
      resolve({ seconds: (performance.now() - t0) / 1000, cpu, checkpoints, stderr, code });
    });
  });
  return { child, done };
}

/** Starts the job in `mode`; `done` resolves when every process has exited (codes: the first non-zero one). */
function sluice(
  mode: Mode,
  args: (instance: string[]) => string[],
): { children: ChildProcess[]; done: Promise<JobRun> } {
  if (mode.kind === 'local') {
    const one = spawnSluice(args(['-p', String(mode.p)]));
    return { children: [one.child], done: one.done };
  }
  const jobId = `bench-${Date.now().toString(36)}`;
  const runs = Array.from({ length: mode.n }, () =>
    spawnSluice(
      args([
        '--cluster',
        `kafka://${brokers}`,
        '--job-id',
        jobId,
        '--session-timeout',
        '6000',
        ...(mode.threads === undefined ? [] : ['--threads', String(mode.threads)]),
      ]),
    ),
  );
  const t0 = performance.now();
  const done = Promise.all(runs.map((r) => r.done)).then((all) => ({
    seconds: (performance.now() - t0) / 1000,
    cpu: all.reduce((sum, r) => sum + r.cpu, 0),
    checkpoints: all.flatMap((r) => r.checkpoints),
    stderr: all.map((r) => r.stderr).join('\n'),
    code: all.find((r) => r.code !== 0)?.code ?? 0,
  }));
  return { children: runs.map((r) => r.child), done };
}

function jobArgs(ck: string, input: string, output: string, extra: string[]): (instance: string[]) => string[] {
  return (instance) => [
    'run',
    'examples/kafka-window-counts.ts',
    ...instance,
    '--checkpoint-dir',
    ck,
    '--checkpoint-interval',
    '1000',
    '-v',
    '--',
    '--brokers',
    brokers,
    '--input-topic',
    input,
    '--output-topic',
    output,
    ...extra,
  ];
}

const percentile = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

function describeCheckpoints(durations: readonly number[]): string {
  if (durations.length === 0) return 'no checkpoints';
  const s = [...durations].sort((a, b) => a - b);
  return `${s.length} checkpoints, duration median ${percentile(s, 0.5)} ms, max ${s.at(-1)} ms`;
}

async function throughput(mode: Mode, records: number, partitions: number): Promise<void> {
  const tag = `${mode.kind === 'local' ? `p${mode.p}` : `c${mode.n}t${mode.threads ?? 'd'}`}-${++runs}`;
  const ck = mkdtempSync(join(tmpdir(), 'sluice-bench-kafka-'));
  try {
    // Start-up cost: the same job over a one-record topic.
    const tinyIn = await createTopic(`${run}-tiny-in-${tag}`, partitions);
    const tinyOut = await createTopic(`${run}-tiny-out-${tag}`, 2);
    await produceBacklog(tinyIn, 1, partitions);
    const tiny = await sluice(mode, jobArgs(join(ck, 'tiny'), tinyIn, tinyOut, ['--bounded'])).done;
    if (tiny.code !== 0) throw new Error(`start-up run failed:\n${tiny.stderr}`);

    const input = await createTopic(`${run}-in-${tag}`, partitions);
    const output = await createTopic(`${run}-out-${tag}`, 2);
    const produceSeconds = await produceBacklog(input, records, partitions);
    const job = await sluice(mode, jobArgs(join(ck, 'job'), input, output, ['--bounded'])).done;
    if (job.code !== 0) throw new Error(`job failed:\n${job.stderr}`);
    const net = Math.max(1e-3, job.seconds - tiny.seconds);
    console.log(
      `throughput ${label(mode)}: ${records} records in ${job.seconds.toFixed(2)} s (start-up ${tiny.seconds.toFixed(2)} s): ` +
        `${Math.round(records / net / 1000)}k records/s without start-up, ` +
        `${Math.round(records / job.seconds / 1000)}k records/s overall; ` +
        `CPU ${job.cpu.toFixed(1)} s (start-up ${tiny.cpu.toFixed(1)} s): ` +
        `${(((job.cpu - tiny.cpu) / records) * 1e6).toFixed(2)} µs of CPU per record without start-up; ` +
        `${describeCheckpoints(job.checkpoints)} ` +
        `(backlog produced at ${Math.round(records / produceSeconds / 1000)}k records/s)`,
    );
  } finally {
    rmSync(ck, { recursive: true, force: true });
  }
}

/** The latency run's producer: `rate` events/s for `seconds`, stamped with the wall clock, round-robin. */
async function producerChild(topic: string, rate: number, seconds: number): Promise<void> {
  const partitions = Number(values.partitions);
  const producer = new Producer({ clientId: 'sluice-bench-live', bootstrapBrokers: [brokers], acks: 1 });
  const tickMs = 5;
  const t0 = Date.now();
  let sent = 0;
  let n = 0;
  const pending = new Set<Promise<unknown>>();
  while (Date.now() - t0 < seconds * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * rate);
    // At most 2000 events per request (a late tick catches up in several requests, all stamped now).
    while (due > sent) {
      const messages = [];
      const ts = Date.now();
      for (const end = Math.min(due, sent + 2000); sent < end; sent++) {
        const e = { user: `user-${(n * 7919) % USERS}`, ts, amount: (n % 100) / 4 };
        messages.push({
          topic,
          partition: n++ % partitions,
          value: Buffer.from(JSON.stringify(e)),
          timestamp: BigInt(ts),
        });
      }
      const p = producer.send({ messages });
      pending.add(p);
      p.finally(() => pending.delete(p));
      if (pending.size > 32) await Promise.race(pending);
    }
    await sleep(tickMs);
  }
  await Promise.all(pending);
  await producer.close();
  const elapsed = (Date.now() - t0) / 1000;
  process.stderr.write(`producer: ${sent} events in ${elapsed.toFixed(1)} s (${Math.round(sent / elapsed)}/s)\n`);
}

async function latency(mode: Mode, rate: number, seconds: number, partitions: number): Promise<void> {
  const tag = `${mode.kind === 'local' ? `p${mode.p}` : `c${mode.n}t${mode.threads ?? 'd'}`}-${++runs}`;
  const windowMs = 230;
  const maxDelay = 200;
  const warmupMs = 5000;
  const ck = mkdtempSync(join(tmpdir(), 'sluice-bench-kafka-'));
  const input = await createTopic(`${run}-live-in-${tag}`, partitions);
  const output = await createTopic(`${run}-live-out-${tag}`, 2);
  const job = sluice(
    mode,
    jobArgs(ck, input, output, ['--window-ms', String(windowMs), '--max-delay-ms', String(maxDelay)]),
  );
  // The consumer: a read_committed KafkaSource reader tailing the output topic.
  const reader = new KafkaSource<{ windowEnd: number }>({ brokers, topics: output, fetchMaxWaitMs: 50 }).createReader({
    subtaskIndex: 0,
    parallelism: 1,
    reportBadRecord: (b) => {
      throw new Error(b.reason);
    },
  });
  await reader.open?.();
  /** Per window end: when its last row arrived. */
  const windows = new Map<number, number>();
  let rows = 0;
  let start = 0;
  let stop = false;
  const consume = (async () => {
    const out = {
      collect: (r: { windowEnd: number }) => {
        rows++;
        const now = Date.now();
        if (start > 0 && r.windowEnd > start + warmupMs) windows.set(r.windowEnd, now);
      },
    };
    while (!stop) {
      const res = reader.pollNext(out, 10_000);
      if (res === 'wait') await Promise.race([reader.available!(), sleep(200)]);
    }
  })();
  // Wait until the job runs (its first checkpoint), then produce.
  let stderr = '';
  for (const child of job.children) {
    child.stderr!.on('data', (s: string) => {
      stderr += s;
    });
  }
  const deadline = Date.now() + 60_000;
  while (!/^(?:s\d+t\d+: )?checkpoint \d+:/m.test(stderr) && Date.now() < deadline) await sleep(50);
  start = Date.now();
  const producer = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      self,
      '--produce',
      input,
      '--rate',
      String(rate),
      '--seconds',
      String(seconds),
      '--partitions',
      String(partitions),
      '--brokers',
      brokers,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  await new Promise((resolve) => producer.on('close', resolve));
  await sleep(3000);
  stop = true;
  await consume;
  await reader.close?.();
  for (const child of job.children) child.kill('SIGTERM');
  const result = await job.done;
  rmSync(ck, { recursive: true, force: true });
  const s = [...windows].map(([end, at]) => at - (end + maxDelay)).sort((a, b) => a - b);
  console.log(
    `latency ${label(mode)} at ${rate} events/s for ${seconds} s (${partitions} partitions, ${windowMs} ms windows, ` +
      `${maxDelay} ms bound, ${USERS} users): ${s.length} windows measured (${rows} rows in all); ` +
      'window closed → all its rows visible: ' +
      `p50 ${percentile(s, 0.5)} ms, p90 ${percentile(s, 0.9)} ms, p99 ${percentile(s, 0.99)} ms, max ${s.at(-1)} ms; ` +
      `${describeCheckpoints(result.checkpoints)}; CPU ${result.cpu.toFixed(1)} s`,
  );
}

const records = Number(values.records);
const partitions = Number(values.partitions);
const threadCounts = values.threads === undefined ? [undefined] : values.threads.split(',').map(Number);
const modes: Mode[] =
  values.processes !== undefined
    ? values.processes
        .split(',')
        .flatMap((n) => threadCounts.map((threads): Mode => ({ kind: 'cluster', n: Number(n), threads })))
    : values.parallelism.split(',').map((p) => ({ kind: 'local', p: Number(p) }));
let runs = 0;
for (const mode of Array.from({ length: Number(values.repeat) }, () => modes).flat()) {
  const scale = mode.kind === 'local' ? mode.p : mode.n;
  if (values.skip !== 'throughput') await throughput(mode, records * scale, partitions);
  if (values.skip !== 'latency') await latency(mode, Number(values.rate), Number(values.seconds), partitions);
}
