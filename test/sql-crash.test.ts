import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  committedLines,
  describeExit,
  type Exit,
  hiddenFiles,
  notCovered,
  runSluice,
  SluiceProcess,
  seededRandom,
  sleep,
} from './fixtures/ckpt-support.js';
import {
  appliedChangelog,
  dedupReference,
  intervalJoinReference,
  makeShipments,
  makeSqlEvents,
  nestedAggregateReference,
  regularJoinReference,
  type SqlEvent,
  sqlTs,
  topNReference,
  tumbleReference,
  udfHopReference,
  writeJsonLines,
} from './fixtures/sql-crash-support.js';

/**
 * Exactly-once of `sluice sql` through kills: each script runs with checkpoints every 200 ms at parallelism 2 and
 * is SIGKILLed after a checkpoint completed, then run again with the same command line until it exits 0. The
 * committed output of its filesystem sinks (part files only) must equal a brute-force reference computed here, and
 * the output of an uninterrupted run without checkpoints, and of batch mode at parallelism 1 and 2. Query shapes:
 * window aggregates, an aggregate over an aggregate (retractions) into debezium-json, regular and interval joins,
 * Top-N and deduplication (two INSERTs sharing a source), inline and module user functions. Also: a savepoint
 * taken at parallelism 2 resumed at parallelism 1, and a second run of a finished script on its checkpoints.
 *
 * Kill moments come from a seeded PRNG (SLUICE_CRASH_SEED=N replays the choices; timing still varies).
 */

const seed = Number(process.env.SLUICE_CRASH_SEED ?? 20260611);
const dir = mkdtempSync(join(tmpdir(), 'sluice-sql-crash-'));
const USERS = 60;
const events = makeSqlEvents(80_000, USERS, seed);
const shipments = makeShipments(events, seed + 1);
const eventsDir = writeJsonLines(join(dir, 'data', 'events'), events, 2, (e: SqlEvent) => ({
  id: e.id,
  user: e.user,
  amount: e.amount,
  ts: sqlTs(e.ts),
}));
const shipmentsDir = writeJsonLines(
  join(dir, 'data', 'shipments'),
  shipments,
  2,
  (s: { oid: number; ship_ts: number }) => ({
    oid: s.oid,
    ship_ts: sqlTs(s.ship_ts),
  }),
);
const users = Array.from({ length: USERS }, (_, i) => ({ user: `u${i}`, tier: i % 3 }));
const usersDir = writeJsonLines(join(dir, 'data', 'users'), users, 1, (u: object) => u);

const DDL = `
CREATE TABLE events (id BIGINT, \`user\` STRING, amount BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${eventsDir}', 'format' = 'json');
CREATE TABLE shipments (oid BIGINT, ship_ts TIMESTAMP(3),
  WATERMARK FOR ship_ts AS ship_ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${shipmentsDir}', 'format' = 'json');
CREATE TABLE users (\`user\` STRING, tier INT) WITH ('connector' = 'filesystem', 'path' = '${usersDir}', 'format' = 'json');
`;

/** A query shape: its script (sinks write to directories relative to the script) and each sink's expected lines. */
interface SqlCase {
  name: string;
  script: string;
  /** Sink directory (relative to the script) → how to read it → the reference. */
  sinks: { path: string; read: 'lines' | 'changelog'; reference: string[] }[];
  /** Extra files next to the script (module functions). */
  files?: Record<string, string>;
  kills: number;
  /** Parallelism of each attempt of the crash loop (the last one repeats); default 2 throughout. */
  parallelism?: number[];
}

const sink = (name: string, columns: string, format: string) =>
  `CREATE TABLE ${name} (${columns}) WITH ('connector' = 'filesystem', 'path' = '${name}', 'format' = '${format}');`;

const cases: SqlCase[] = [
  {
    name: 'tumble',
    script: `${DDL}
${sink('out', '`user` STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), cnt BIGINT, total BIGINT', 'json')}
INSERT INTO out
SELECT \`user\`, window_start, window_end, COUNT(*), SUM(amount)
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY \`user\`, window_start, window_end;`,
    sinks: [{ path: 'out', read: 'lines', reference: tumbleReference(events) }],
    kills: 3,
    // Restored at another parallelism from the checkpoints: down to 1, then up to 2 again.
    parallelism: [2, 1, 2],
  },
  {
    name: 'nested-aggregate',
    script: `${DDL}
${sink('out', 'cnt BIGINT, users BIGINT, total BIGINT', 'debezium-json')}
INSERT INTO out
SELECT cnt, COUNT(*), SUM(total)
FROM (SELECT \`user\`, COUNT(*) AS cnt, SUM(amount) AS total FROM events GROUP BY \`user\`)
GROUP BY cnt;`,
    sinks: [{ path: 'out', read: 'changelog', reference: nestedAggregateReference(events) }],
    kills: 2,
  },
  {
    name: 'regular-join',
    script: `${DDL}
${sink('out', 'id BIGINT, `user` STRING, tier INT, amount BIGINT, ship_ts TIMESTAMP(3)', 'json')}
INSERT INTO out
SELECT e.id, e.\`user\`, u.tier, e.amount, s.ship_ts
FROM events e JOIN shipments s ON e.id = s.oid JOIN users u ON e.\`user\` = u.\`user\`;`,
    sinks: [{ path: 'out', read: 'lines', reference: regularJoinReference(events, shipments) }],
    kills: 2,
  },
  {
    name: 'top-n-and-dedup',
    script: `${DDL}
${sink('top', '`user` STRING, amount BIGINT, id BIGINT, rn BIGINT', 'debezium-json')}
${sink('firsts', '`user` STRING, id BIGINT, ts TIMESTAMP(3)', 'debezium-json')}
EXECUTE STATEMENT SET BEGIN
INSERT INTO top
SELECT \`user\`, amount, id, rn FROM (
  SELECT \`user\`, amount, id, ROW_NUMBER() OVER (PARTITION BY \`user\` ORDER BY amount DESC) AS rn FROM events
) WHERE rn <= 3;
INSERT INTO firsts
SELECT \`user\`, id, ts FROM (
  SELECT \`user\`, id, ts, ROW_NUMBER() OVER (PARTITION BY \`user\` ORDER BY ts ASC) AS rn FROM events
) WHERE rn = 1;
END;`,
    sinks: [
      { path: 'top', read: 'changelog', reference: topNReference(events) },
      { path: 'firsts', read: 'changelog', reference: dedupReference(events) },
    ],
    kills: 2,
  },
  {
    name: 'interval-join',
    script: `${DDL}
${sink('out', 'id BIGINT, amount BIGINT, ts TIMESTAMP(3), ship_ts TIMESTAMP(3)', 'json')}
INSERT INTO out
SELECT e.id, e.amount, e.ts, s.ship_ts
FROM events e, shipments s
WHERE e.id = s.oid AND s.ship_ts BETWEEN e.ts AND e.ts + INTERVAL '10' SECOND;`,
    sinks: [{ path: 'out', read: 'lines', reference: intervalJoinReference(events, shipments) }],
    kills: 2,
  },
  {
    name: 'udfs',
    script: `${DDL}
CREATE FUNCTION bucket(a BIGINT) RETURNS BIGINT AS $$ (a) => a % 7 $$ LANGUAGE JAVASCRIPT;
CREATE FUNCTION label(u STRING) RETURNS STRING AS './udfs.ts#label' LANGUAGE TYPESCRIPT;
CREATE VIEW labelled AS SELECT label(\`user\`) AS lbl, bucket(amount) AS b, ts FROM events;
${sink('out', 'lbl STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), cnt BIGINT, buckets BIGINT', 'json')}
INSERT INTO out
SELECT lbl, window_start, window_end, COUNT(*), SUM(b)
FROM TABLE(HOP(TABLE labelled, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY lbl, window_start, window_end;`,
    files: {
      'udfs.ts': "export function label(u: string): string {\n  return 'L' + (Number(u.slice(1)) % 4);\n}\n",
    },
    sinks: [{ path: 'out', read: 'lines', reference: udfHopReference(events) }],
    kills: 2,
  },
];

/** Writes the case's script (and its module files) into a fresh directory for one variant; returns the script. */
function scriptIn(c: SqlCase, variant: string): string {
  const d = join(dir, c.name, variant);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'q.sql'), c.script);
  for (const [name, text] of Object.entries(c.files ?? {})) writeFileSync(join(d, name), text);
  return join(d, 'q.sql');
}

const read = (scriptDir: string, s: SqlCase['sinks'][number]) =>
  s.read === 'lines' ? committedLines(join(scriptDir, s.path)) : appliedChangelog(join(scriptDir, s.path));

/** Asserts every sink of a finished run against its reference; no hidden files left. */
function checkSinks(c: SqlCase, variant: string, what: string): void {
  const d = join(dir, c.name, variant);
  for (const s of c.sinks) {
    const got = read(d, s);
    assert.equal(got.length, s.reference.length, `${c.name}/${s.path} ${what}: wrong number of rows`);
    assert.deepEqual(got, s.reference, `${c.name}/${s.path} ${what}: differs from the brute-force reference`);
    assert.deepEqual(hiddenFiles(join(d, s.path)), [], `${c.name}/${s.path} ${what}: hidden files left behind`);
  }
}

/** Runs `sluice sql` on a script to the end and checks its sinks. */
async function runToEnd(c: SqlCase, variant: string, args: string[]): Promise<void> {
  const e = await runSluice(['sql', '-f', scriptIn(c, variant), ...args]);
  assert.equal(e.code, 0, `${c.name} ${variant}\n${describeExit(e)}`);
  checkSinks(c, variant, variant);
}

/**
 * The crash loop: kill after a checkpoint of the attempt completed (and a random 0-150 ms), rerun until the script
 * ends. Committed json output must at every moment be part of the reference (nothing wrong, nothing twice).
 */
async function crashLoop(
  c: SqlCase,
  random: () => number,
): Promise<{ kills: number; restores: number; log: string[] }> {
  const script = scriptIn(c, 'crash');
  const scriptDir = join(dir, c.name, 'crash');
  const command = (p: number, fresh: boolean) => [
    'sql',
    '-f',
    script,
    ...(fresh ? ['--fresh'] : []),
    '-p',
    String(p),
    '--checkpoint-dir',
    join(scriptDir, 'ck'),
    '--checkpoint-interval',
    '200',
    '-v',
  ];
  const log: string[] = [];
  let kills = 0;
  let restores = 0;
  // A run may end before its first kill on a fast or idle machine: then it starts over (--fresh) and is killed at
  // its first checkpoint, a few times at most, so that the test always exercises a kill.
  let startOvers = 0;
  let fresh = false;
  for (let attempt = 1; ; attempt++) {
    assert.ok(attempt <= c.kills + 10, `${c.name}: no clean end after ${attempt - 1} attempts\n${log.join('\n')}`);
    const schedule = c.parallelism ?? [2];
    const parallelism = schedule[Math.min(attempt - 1, schedule.length - 1)]!;
    const p = new SluiceProcess(command(parallelism, fresh));
    fresh = false;
    let killed = false;
    if (kills < c.kills) {
      const checkpoints = startOvers > 0 || random() < 0.7 ? 1 : 2;
      // Before the parallelism changes, subtask 1 must have published output, which later runs must keep.
      const published = () =>
        c.parallelism === undefined ||
        attempt > 1 ||
        existsSync(join(scriptDir, c.sinks[0]!.path, 'part-1-000000.json'));
      const reached = await p.waitUntil(() => p.completedCheckpoints().length >= checkpoints && published(), 90_000);
      if (reached && p.exit === undefined) {
        if (startOvers === 0) await sleep(Math.round(random() * 150));
        if (p.exit === undefined) {
          await p.kill();
          killed = p.exit!.signal === 'SIGKILL' && !p.timedOut;
        }
      }
    }
    const e: Exit = await p.exited;
    assert.ok(!p.timedOut, `${c.name}: attempt ${attempt} hung\n${describeExit(e)}`);
    if (/^restoring from checkpoint \d+/m.test(e.stderr)) restores++;
    log.push(
      `attempt ${attempt} at p=${parallelism}: ${killed ? 'killed' : `exit ${e.code}`}, ${/^restoring from .*$/m.exec(e.stderr)?.[0] ?? 'from the beginning'}, checkpoints [${p.completedCheckpoints().join(',')}]`,
    );
    if (killed) kills++;
    else assert.equal(e.code, 0, `${c.name}: attempt ${attempt} failed\n${describeExit(e)}\n${log.join('\n')}`);
    assert.doesNotMatch(e.stderr, /warning: checkpoint|error:/, `${c.name}: attempt ${attempt}\n${describeExit(e)}`);
    for (const s of c.sinks) {
      if (s.read !== 'lines') continue;
      const extra = notCovered(committedLines(join(scriptDir, s.path)), s.reference);
      assert.deepEqual(extra.slice(0, 3), [], `${c.name}/${s.path} after attempt ${attempt}: wrong or duplicate rows`);
    }
    if (!killed && kills === 0 && c.kills > 0 && startOvers < 4) {
      startOvers++;
      fresh = true;
      continue;
    }
    if (!killed) return { kills, restores, log };
  }
}

for (const [i, c] of cases.entries()) {
  test(`sql ${c.name}: killed and rerun (p ${(c.parallelism ?? [2]).join(' → ')}), exactly the reference; equal to a run without kills and to batch at p=1/p=2`, {
    timeout: 240_000,
  }, async (t) => {
    // The runs without kills go on beside the crash loop (their own directories).
    const others = Promise.all([
      runToEnd(c, 'plain-p2', ['-p', '2']),
      runToEnd(c, 'batch-p1', ['--mode', 'batch', '-p', '1']),
      runToEnd(c, 'batch-p2', ['--mode', 'batch', '-p', '2']),
    ]);
    others.catch(() => {});
    const outcome = await crashLoop(c, seededRandom(seed + 10 * i));
    for (const l of outcome.log) t.diagnostic(l);
    checkSinks(c, 'crash', `after ${outcome.kills} kills (SLUICE_CRASH_SEED=${seed})`);
    assert.ok(outcome.kills >= 1, `${c.name}: no kill happened\n${outcome.log.join('\n')}`);
    assert.ok(outcome.restores >= 1, `${c.name}: no rerun restored from a checkpoint\n${outcome.log.join('\n')}`);
    await others;
  });
}

/**
 * A rate-limited source (datagen, 4 000 rows a second, a sequence) for the savepoint test, whose job must still run
 * when the savepoint is asked for, whatever the machine's speed. The columns are computed from the sequence number,
 * so the rows are the events of {@link generatedEvents}.
 */
const GENERATED = 40_000;
const generatedEvents: SqlEvent[] = Array.from({ length: GENERATED }, (_, id) => ({
  id,
  user: `u${(id * 7) % USERS}`,
  amount: (id * 7919) % 100_003,
  ts: Date.UTC(2026, 0, 1) + id * 20,
}));
const GENERATED_DDL = `
CREATE TABLE events (id BIGINT,
  \`user\` AS CONCAT('u', CAST(MOD(id * 7, ${USERS}) AS STRING)),
  amount AS MOD(id * 7919, 100003),
  ts AS CAST(TO_TIMESTAMP_LTZ(${Date.UTC(2026, 0, 1)} + id * 20, 3) AS TIMESTAMP(3)),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'datagen', 'rows-per-second' = '4000', 'fields.id.kind' = 'sequence',
  'fields.id.start' = '0', 'fields.id.end' = '${GENERATED - 1}');
`;

test('sql savepoint: stopped with a savepoint at p=2, resumed at p=1 into the same output, exactly the reference', {
  timeout: 240_000,
}, async (t) => {
  const c: SqlCase = {
    name: 'savepoint',
    script: `${GENERATED_DDL}
${sink('windows', '`user` STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), cnt BIGINT, total BIGINT', 'json')}
${sink('histogram', 'cnt BIGINT, users BIGINT, total BIGINT', 'debezium-json')}
EXECUTE STATEMENT SET BEGIN
INSERT INTO windows
SELECT \`user\`, window_start, window_end, COUNT(*), SUM(amount)
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY \`user\`, window_start, window_end;
INSERT INTO histogram
SELECT cnt, COUNT(*), SUM(total)
FROM (SELECT \`user\`, COUNT(*) AS cnt, SUM(amount) AS total FROM events GROUP BY \`user\`)
GROUP BY cnt;
END;`,
    sinks: [
      { path: 'windows', read: 'lines', reference: tumbleReference(generatedEvents) },
      { path: 'histogram', read: 'changelog', reference: nestedAggregateReference(generatedEvents) },
    ],
    kills: 0,
  };
  const script = scriptIn(c, 'run');
  const runDir = join(dir, c.name, 'run');
  const ck = join(runDir, 'ck');
  const sp = join(dir, c.name, 'sp');
  const job = new SluiceProcess([
    'sql',
    '-f',
    script,
    '-p',
    '2',
    '--checkpoint-dir',
    ck,
    '--checkpoint-interval',
    '200',
    '-v',
  ]);
  try {
    const running = await job.waitUntil(
      () => job.completedCheckpoints().length >= 1 && committedLines(join(runDir, 'windows')).length > 0,
      120_000,
    );
    assert.ok(running, `the job did not get going\n${job.stderr}`);
    const s = await runSluice(['savepoint', '--checkpoint-dir', ck, '--target', sp, '--stop']);
    assert.equal(s.code, 0, `sluice savepoint failed\n${describeExit(s)}\n--- job stderr ---\n${job.stderr}`);
    const e = await job.exited;
    assert.equal(e.code, 0, describeExit(e));
  } finally {
    await job.kill();
  }
  const soFar = committedLines(join(runDir, 'windows'));
  t.diagnostic(`stopped with ${soFar.length} of ${c.sinks[0]!.reference.length} window rows committed`);
  assert.ok(soFar.length < c.sinks[0]!.reference.length, 'the savepoint came after the end of the input');
  const resumed = await runSluice(['sql', '-f', script, '-p', '1', '--from-savepoint', sp, '--checkpoint-dir', ck]);
  assert.equal(resumed.code, 0, describeExit(resumed));
  assert.match(resumed.stderr, /^restoring from savepoint /m, describeExit(resumed));
  checkSinks(c, 'run', 'resumed at p=1 from a savepoint taken at p=2');

  // Run again on the same checkpoint directory: the script is the same job, restored from its final checkpoint,
  // and the output stays exactly the reference (nothing written twice, nothing removed).
  const again = await runSluice(['sql', '-f', script, '-p', '2', '--checkpoint-dir', ck]);
  assert.equal(again.code, 0, describeExit(again));
  assert.match(again.stderr, /^restoring from checkpoint \d+/m, describeExit(again));
  checkSinks(c, 'run', 'run again after the end on the same checkpoints');
});
