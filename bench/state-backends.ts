import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { open } from 'lmdb';
import { Packr } from 'msgpackr';

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
 *   the disk backend's cache and one ten times larger.
 *
 * Numbers are operations per second on one thread, best of three runs.
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
  const copy = Buffer.from(value);
  copy[0] = (copy[0]! + 1) & 0xff;
  return copy;
}

async function benchLibs(): Promise<void> {
  const { keys, values } = keysAndValues(N);
  // Reads and read-modify-writes go to the keys in another order than they were written.
  const order = Array.from({ length: N }, (_, i) => (i * 7919) % N);

  {
    const dir = scratchDir('lmdb');
    // The state store is scratch space (checkpoints provide durability), so no fsync.
    const db = open({ path: dir, keyEncoding: 'binary', encoding: 'binary', noSync: true, noMetaSync: true });
    report(
      'lmdb',
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
      'lmdb',
      'put, one transactionSync each',
      best(5_000, () => {
        for (let i = 0; i < 5_000; i++) db.transactionSync(() => db.put(keys[i]!, values[i]!));
      }),
    );
    report(
      'lmdb',
      'get (getBinary, synchronous)',
      best(N, () => {
        for (const i of order) if (db.getBinary(keys[i]!) === undefined) throw new Error('missing');
      }),
    );
    report(
      'lmdb',
      'get (getBinaryFast, reused buffer)',
      best(N, () => {
        for (const i of order) if (db.getBinaryFast(keys[i]!) === undefined) throw new Error('missing');
      }),
    );
    report(
      'lmdb',
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

const sections = process.argv.slice(2);
const wanted = (s: string) => sections.length === 0 || sections.includes(s);
if (wanted('libs')) await benchLibs();
if (wanted('codecs')) benchCodecs();

console.log('\n| section | operation | rate |\n| --- | --- | --- |');
for (const [s, w, r] of rows) console.log(`| ${s} | ${w} | ${r} |`);
