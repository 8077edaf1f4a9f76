import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { open } from 'lmdb';
import { Packr } from 'msgpackr';
import type { Key } from '../src/core/key.js';
import { aggregatingState, listState, valueState } from '../src/state/descriptors.js';
import { DiskKeyedStateBackend } from '../src/state/disk/disk-keyed-state-backend.js';
import { HeapKeyedStateBackend } from '../src/state/heap-keyed-state-backend.js';
import type { KeyedStateBackend } from '../src/state/keyed-state-backend.js';
import type { AggregatingState, ListState, ValueState } from '../src/state/state.js';

/**
 * Storage measurements behind the disk state backend. Usage:
 *
 *   npx tsx bench/state-backends.ts [libs|codecs|backends ...]
 *
 * - libs: the candidate stores with random 16-byte keys and 100-byte values: put, get, read-modify-write (get then
 *   put of the same key, the access pattern of a keyed state update). `classic-level` is not a dependency of the
 *   project; it is measured when it can be loaded, e.g. after `npm install --prefix /tmp/x classic-level` and
 *   `SLUICE_BENCH_NODE_MODULES=/tmp/x/node_modules`.
 * - codecs: encode + decode of typical state values with msgpackr and v8.serialize.
 * - backends: keyed state updates through the state API, heap backend vs disk backend, with a working set that fits
 *   the disk backend's cache and one ten times larger (with the write-behind thread and without).
 *
 * libs and codecs: operations per second on one thread, best of three runs. backends: operations per CPU second,
 * once for the whole process (all threads, the disk backend's writer included) and once for the processing thread
 * alone (Linux: /proc/self/task), so that a loaded machine does not distort the figures as wall time would.
 */

const rows: [string, string, string][] = [];
function report(section: string, what: string, opsPerSec: number): void {
  const text = opsPerSec >= 1e6 ? `${(opsPerSec / 1e6).toFixed(2)} M/s` : `${(opsPerSec / 1e3).toFixed(0)} k/s`;
  rows.push([section, what, text]);
  console.log(`${section.padEnd(10)} ${what.padEnd(64)} ${text.padStart(12)}`);
}

/** Runs `run` (which performs `ops` operations) three times and returns the best rate. */
function best(ops: number, run: () => void): number {
  let bestRate = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    run();
    const s = (performance.now() - t0) / 1000;
    bestRate = Math.max(bestRate, ops / s);
  }
  return bestRate;
}
async function bestAsync(ops: number, run: () => Promise<void>): Promise<number> {
  let bestRate = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await run();
    const s = (performance.now() - t0) / 1000;
    bestRate = Math.max(bestRate, ops / s);
  }
  return bestRate;
}

/** CPU seconds of the main (processing) thread so far; undefined where /proc is not available. */
function mainThreadCpu(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

function processCpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function scratchDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `sluice-bench-${name}-`));
}

const N = 200_000;
const BATCH = 1_000;

function keysAndValues(n: number): { keys: Buffer[]; values: Buffer[] } {
  const k = randomBytes(16 * n);
  const v = randomBytes(100 * n);
  const keys: Buffer[] = [];
  const values: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    keys.push(k.subarray(i * 16, i * 16 + 16));
    values.push(v.subarray(i * 100, i * 100 + 100));
  }
  return { keys, values };
}

/** Reads and modifies one byte of a value, as a state update would. */
function modified(value: Buffer | Uint8Array): Buffer {
  // lmdb's getBinaryFast buffer reports the value size as `length` over a larger allocation: copy `length` bytes.
  const copy = Buffer.allocUnsafe(value.length);
  copy.set(value.subarray(0, value.length));
  copy[0] = (copy[0]! + 1) & 0xff;
  return copy;
}

async function benchLibs(): Promise<void> {
  const { keys, values } = keysAndValues(N);
  // Reads and read-modify-writes go to the keys in another order than they were written.
  const order = Array.from({ length: N }, (_, i) => (i * 7919) % N);

  for (const writemap of [false, true]) {
    const label = writemap ? 'lmdb+wmap' : 'lmdb';
    const dir = scratchDir('lmdb');
    // The configuration of the disk backend: scratch space (checkpoints provide durability), so no fsync. The
    // writemap variant is measured for reference only: lmdb-js 3.5.6 aborts with it when deletions empty the database.
    const db = open({
      path: dir,
      keyEncoding: 'binary',
      encoding: 'binary',
      noSync: true,
      noMetaSync: true,
      overlappingSync: false,
      useWritemap: writemap,
    });
    report(
      label,
      `put, ${BATCH} per transactionSync`,
      best(N, () => {
        for (let i = 0; i < N; i += BATCH) {
          db.transactionSync(() => {
            for (let j = i; j < i + BATCH; j++) db.put(keys[j]!, values[j]!);
          });
        }
      }),
    );
    report(
      label,
      'get (getBinary, synchronous)',
      best(N, () => {
        for (const i of order) if (db.getBinary(keys[i]!) === undefined) throw new Error('missing');
      }),
    );
    report(
      label,
      'get (getBinaryFast, reused buffer)',
      best(N, () => {
        for (const i of order) if (db.getBinaryFast(keys[i]!) === undefined) throw new Error('missing');
      }),
    );
    report(
      label,
      `read-modify-write, ${BATCH} per transactionSync`,
      best(N, () => {
        for (let i = 0; i < N; i += BATCH) {
          db.transactionSync(() => {
            for (let j = i; j < i + BATCH; j++) {
              const k = keys[order[j]!]!;
              db.put(k, modified(db.getBinaryFast(k)!));
            }
          });
        }
      }),
    );
    // lmdb-js blocks in close() called in the same tick as a transactionSync.
    await new Promise((resolve) => setImmediate(resolve));
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const level = loadClassicLevel();
  if (level === undefined) {
    console.log('classic-level: not loadable (set SLUICE_BENCH_NODE_MODULES to a node_modules that has it)');
    return;
  }
  {
    const dir = scratchDir('level');
    const db = new level.ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    report(
      'level',
      `put, ${BATCH} per awaited batch()`,
      await bestAsync(N, async () => {
        for (let i = 0; i < N; i += BATCH) {
          const ops: { type: 'put'; key: Buffer; value: Buffer }[] = [];
          for (let j = i; j < i + BATCH; j++) ops.push({ type: 'put', key: keys[j]!, value: values[j]! });
          await db.batch(ops);
        }
      }),
    );
    report(
      'level',
      'get (getSync)',
      best(N, () => {
        for (const i of order) if (db.getSync(keys[i]!) === undefined) throw new Error('missing');
      }),
    );
    report(
      'level',
      'get (await get)',
      await bestAsync(N / 4, async () => {
        for (let j = 0; j < N / 4; j++) if ((await db.get(keys[order[j]!]!)) === undefined) throw new Error('missing');
      }),
    );
    // Writes are asynchronous only: a put becomes visible to getSync once its batch has been awaited.
    report(
      'level',
      `read-modify-write, getSync + ${BATCH} per awaited batch()`,
      await bestAsync(N, async () => {
        for (let i = 0; i < N; i += BATCH) {
          const ops: { type: 'put'; key: Buffer; value: Buffer }[] = [];
          for (let j = i; j < i + BATCH; j++) {
            const k = keys[order[j]!]!;
            ops.push({ type: 'put', key: k, value: modified(db.getSync(k)!) });
          }
          await db.batch(ops);
        }
      }),
    );
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ClassicLevelModule {
  ClassicLevel: new <K, V>(
    dir: string,
    options: { keyEncoding: string; valueEncoding: string },
  ) => {
    open(): Promise<void>;
    close(): Promise<void>;
    batch(ops: { type: 'put'; key: K; value: V }[]): Promise<void>;
    get(key: K): Promise<V | undefined>;
    getSync(key: K): V | undefined;
  };
}

function loadClassicLevel(): ClassicLevelModule | undefined {
  const dirs = [join(process.cwd(), 'node_modules'), process.env['SLUICE_BENCH_NODE_MODULES']];
  for (const dir of dirs) {
    if (dir === undefined) continue;
    try {
      return createRequire(join(dir, 'noop.js'))('classic-level') as ClassicLevelModule;
    } catch {
      // not installed there
    }
  }
  return undefined;
}

function benchCodecs(): void {
  // Records as the disk backend stores them: [key, namespace, value, expires?].
  const samples: [string, unknown][] = [
    ['accumulator {sum, count}', ['user-0123456789ab', '0|60000', { sum: 1234.5, count: 17 }]],
    ['list of 10 strings', ['user-0123456789ab', '', Array.from({ length: 10 }, (_, i) => `element-${i}`)]],
    [
      'Map of 10 entries (MapState)',
      ['user-0123456789ab', '', new Map(Array.from({ length: 10 }, (_, i) => [`k${i}`, { n: i, s: 'v' }]))],
    ],
    ['number (count)', ['user-0123456789ab', '0|60000', 42, 123456789]],
  ];
  const ops = 200_000;
  const shared = new Packr({ moreTypes: true, useBigIntExtension: true, structures: [] });
  const selfDescribing = new Packr({ moreTypes: true, useBigIntExtension: true });
  for (const [name, value] of samples) {
    const codecs: [string, (v: unknown) => Uint8Array, (b: Uint8Array) => unknown][] = [
      ['msgpackr, shared structures', (v) => shared.pack(v), (b) => shared.unpack(b)],
      ['msgpackr, self-describing', (v) => selfDescribing.pack(v), (b) => selfDescribing.unpack(b)],
      ['v8.serialize', (v) => serialize(v), (b) => deserialize(b)],
    ];
    for (const [codec, enc, dec] of codecs) {
      const bytes = enc(value).length;
      report(
        'codec',
        `${name}: ${codec} (${bytes} B) encode+decode`,
        best(ops, () => {
          for (let i = 0; i < ops; i++) dec(enc(value));
        }),
      );
    }
  }
}

interface Payload {
  n: number;
  text: string;
}

/** Random 16-byte keys as 32-character hex strings (the state API takes strings or numbers, not bytes). */
function stateKeys(n: number): string[] {
  const bytes = randomBytes(16 * n);
  return Array.from({ length: n }, (_, i) => bytes.toString('hex', i * 16, i * 16 + 16));
}

/** The order in which a run touches keys: uniform random, or 90% of accesses to the first `hot` keys. */
function accessOrder(keys: number, ops: number, hot?: number): Uint32Array {
  const order = new Uint32Array(ops);
  let x = 0x9e3779b9;
  const next = () => {
    // xorshift32: cheap and good enough to spread accesses
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let i = 0; i < ops; i++) {
    order[i] = hot !== undefined && next() % 10 !== 0 ? next() % hot : next() % keys;
  }
  return order;
}

const only = process.env['SLUICE_BENCH_CASE'];

async function benchBackends(): Promise<void> {
  const avg = {
    createAccumulator: () => ({ sum: 0, count: 0 }),
    add: (v: number, acc: { sum: number; count: number }) => {
      acc.sum += v;
      acc.count++;
      return acc;
    },
    getResult: (acc: { sum: number; count: number }) => acc.sum / acc.count,
  };
  const payloadText = 'x'.repeat(80); // with the counter: a value of about 100 bytes encoded
  const cache = 100_000;
  const cases: {
    name: string;
    keys: number;
    ops: number;
    /** When set, 90% of the accesses go to the first `hot` keys. */
    hot?: number;
    make: (dir: string) => KeyedStateBackend;
  }[] = [
    { name: 'heap, 50k keys', keys: 50_000, ops: 2_000_000, make: () => new HeapKeyedStateBackend(128, 0, 128) },
    {
      name: `disk, 50k keys (cache ${cache / 1000}k: fits)`,
      keys: 50_000,
      ops: 2_000_000,
      make: (directory) => new DiskKeyedStateBackend(128, 0, 128, Date.now, { directory, cacheEntries: cache }),
    },
    {
      name: `disk, 1M keys uniform (cache ${cache / 1000}k = 10% of them)`,
      keys: 1_000_000,
      ops: 500_000,
      make: (directory) => new DiskKeyedStateBackend(128, 0, 128, Date.now, { directory, cacheEntries: cache }),
    },
    {
      name: `disk, 1M keys uniform (cache ${cache / 1000}k = 10%), write-behind off`,
      keys: 1_000_000,
      ops: 500_000,
      make: (directory) =>
        new DiskKeyedStateBackend(128, 0, 128, Date.now, { directory, cacheEntries: cache, writeBehind: false }),
    },
    {
      name: `disk, 1M keys, 90% of accesses to 50k (cache ${cache / 1000}k)`,
      keys: 1_000_000,
      ops: 2_000_000,
      hot: 50_000,
      make: (directory) => new DiskKeyedStateBackend(128, 0, 128, Date.now, { directory, cacheEntries: cache }),
    },
  ];
  for (const c of cases) {
    if (only !== undefined && !c.name.includes(only)) continue;
    const keys = stateKeys(c.keys);
    const order = accessOrder(c.keys, c.ops, c.hot);
    const ops: [string, (b: KeyedStateBackend) => (key: Key, i: number) => void][] = [
      [
        'ValueState update of an existing key',
        (b) => {
          const s = b.getState<ValueState<Payload>>(valueState<Payload>('value'));
          return (_key, i) => {
            const v = s.value();
            s.update({ n: (v?.n ?? 0) + i, text: payloadText });
          };
        },
      ],
      [
        'AggregatingState.add',
        (b) => {
          const s = b.getState<AggregatingState<number, number>>(aggregatingState('aggregating', avg));
          return (_key, i) => s.add(i);
        },
      ],
      [
        'ListState.add',
        (b) => {
          const s = b.getState<ListState<number>>(listState<number>('list'));
          return (_key, i) => s.add(i);
        },
      ],
    ];
    for (const [opName, bind] of ops) {
      const dir = scratchDir('backend');
      const backend = c.make(dir);
      const op = bind(backend);
      // Every key exists before the measurement (for the list: one element each).
      for (let i = 0; i < keys.length; i++) {
        backend.setCurrentKey(keys[i]!);
        op(keys[i]!, i);
      }
      backend.snapshot(); // a checkpoint: the store holds everything, the cache is clean
      const cpu0 = processCpu();
      const main0 = mainThreadCpu();
      for (let i = 0; i < c.ops; i++) {
        const key = keys[order[i]!]!;
        backend.setCurrentKey(key);
        op(key, i);
      }
      // Writes still in flight count: the snapshot waits for them (and flushes the cache, a cost every run pays).
      (backend as Partial<DiskKeyedStateBackend>).beginSnapshot?.().release();
      const cpu = processCpu() - cpu0;
      const main1 = mainThreadCpu();
      report('backend', `${c.name}: ${opName}, per CPU-s (all threads)`, c.ops / cpu);
      if (main0 !== undefined && main1 !== undefined && c.name.startsWith('disk')) {
        report('backend', `${c.name}: ${opName}, per CPU-s of the processing thread`, c.ops / (main1 - main0));
      }
      const t1 = performance.now();
      const snap = backend.snapshot();
      const entries = Object.values(snap.states).reduce(
        (n, perGroup) => n + Object.values(perGroup).reduce((m, list) => m + list.length, 0),
        0,
      );
      const ms = performance.now() - t1;
      if (opName === 'AggregatingState.add') {
        console.log(`           full snapshot of ${entries} entries: ${ms.toFixed(0)} ms`);
      }
      await backend.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const sections = process.argv.slice(2);
const wanted = (s: string) => sections.length === 0 || sections.includes(s);
if (wanted('libs')) await benchLibs();
if (wanted('codecs')) benchCodecs();
if (wanted('backends')) await benchBackends();

console.log('\n| section | operation | rate |\n| --- | --- | --- |');
for (const [s, w, r] of rows) console.log(`| ${s} | ${w} | ${r} |`);
