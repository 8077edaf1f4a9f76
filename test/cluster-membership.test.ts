import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Connection } from '@platformatic/kafka';
import { GroupMember, type GroupMemberOptions } from '../src/cluster/group-membership.js';
import { brokers, kafkaSkip } from './fixtures/kafka-support.js';

/**
 * GroupMember against a real broker (bash scripts/kafka.sh start): several members of one group agree on who owns
 * which task, the tasks move when a member leaves or crashes, and a member whose heartbeats fail gives its tasks up.
 * Skipped without a broker unless CI=true or SLUICE_KAFKA_TESTS=1.
 */

const skip = await kafkaSkip();
const TASKS = ['t0', 't1', 't2', 't3', 't4', 't5'];

/** The leader's assignment: tasks round-robin over the members sorted by id. */
function roundRobin(members: readonly { memberId: string }[]): Map<string, Buffer> {
  const ids = members.map((m) => m.memberId).sort();
  const tasks = new Map(ids.map((id) => [id, [] as string[]]));
  TASKS.forEach((t, i) => tasks.get(ids[i % ids.length]!)!.push(t));
  return new Map([...tasks].map(([id, owned]) => [id, Buffer.from(JSON.stringify(owned))]));
}

/** A process of the job: what it was last told to run. */
class Worker {
  tasks: string[] = [];
  generation = -1;
  /** The generation of every assignment received. */
  readonly generations: number[] = [];
  readonly log: string[] = [];
  readonly member: GroupMember;

  constructor(groupId: string, options: Partial<GroupMemberOptions> = {}) {
    this.member = new GroupMember({
      brokers,
      groupId,
      clientId: 'sluice-test',
      metadata: () => Buffer.from(JSON.stringify(this.tasks)),
      assign: roundRobin,
      onAssignment: (assignment, generation) => {
        this.tasks = assignment.length === 0 ? [] : (JSON.parse(assignment.toString('utf8')) as string[]);
        this.generation = generation;
        this.generations.push(generation);
      },
      log: (line) => this.log.push(`${new Date().toISOString()} ${line}`),
      ...options,
    });
  }
}

const newGroup = () => `sluice-test-membership-${randomBytes(6).toString('hex')}`;

/** Whether the workers agree on one generation and own every task exactly once, `each` apiece. */
function settled(workers: readonly Worker[], each: number): boolean {
  const generation = workers[0]!.generation;
  if (generation < 0 || workers.some((w) => w.generation !== generation || w.tasks.length !== each)) return false;
  const owned = workers.flatMap((w) => w.tasks).sort();
  return JSON.stringify(owned) === JSON.stringify(TASKS);
}

async function waitFor(what: string, condition: () => boolean, workers: readonly Worker[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      const state = workers.map((w) => `${w.member.memberId} gen ${w.generation}: ${w.tasks.join(',')}`);
      const logs = workers.flatMap((w) => w.log);
      assert.fail(`not ${what} within ${timeoutMs} ms\n${state.join('\n')}\n${logs.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts `n` workers of a new group and waits until they share the tasks evenly. */
async function startGroup(n: number, options: Partial<GroupMemberOptions> = {}): Promise<Worker[]> {
  const groupId = newGroup();
  const workers = Array.from({ length: n }, () => new Worker(groupId, options));
  try {
    await Promise.all(workers.map((w) => w.member.start()));
    await waitFor('balanced', () => settled(workers, TASKS.length / n), workers, 15_000);
  } catch (e) {
    await stopAll(workers);
    throw e;
  }
  return workers;
}

const stopAll = (workers: readonly Worker[]) => Promise.all(workers.map((w) => w.member.stop()));

/**
 * Heartbeats failing as on a broken network: while set, every Heartbeat request of this process fails at once with
 * a network-like error (tests run one at a time, so only the test that sets it is affected).
 */
let failHeartbeats = false;
const HEARTBEAT_API_KEY = 12;
const send = Connection.prototype.send;
Connection.prototype.send = function (this: Connection, apiKey: number, ...rest: unknown[]) {
  if (failHeartbeats && apiKey === HEARTBEAT_API_KEY) {
    const callback = rest.at(-1) as (e: Error) => void;
    setImmediate(() => callback(new Error('simulated network failure')));
    return;
  }
  return (send as (...args: unknown[]) => void).call(this, apiKey, ...rest);
} as typeof send;
after(() => {
  Connection.prototype.send = send;
});

describe('GroupMember (Kafka group coordinator)', { skip }, () => {
  it('three members each own two of six tasks, every task exactly once', async () => {
    const workers = await startGroup(3);
    try {
      const ids = workers.map((w) => w.member.memberId);
      assert.equal(new Set(ids).size, 3);
      assert.ok(ids.every((id) => id !== undefined));
      for (const w of workers) assert.equal(w.tasks.length, 2);
    } finally {
      await stopAll(workers);
    }
  });

  it('a member that stops (LeaveGroup) hands its tasks to the others at once', async () => {
    const workers = await startGroup(3);
    try {
      const [leaving, ...rest] = workers as [Worker, Worker, Worker];
      const t0 = Date.now();
      await leaving.member.stop();
      assert.deepEqual(leaving.tasks, [], 'stop() announces the empty assignment');
      assert.equal(leaving.generation, -1);
      assert.equal(leaving.member.memberId, undefined);
      await waitFor('taken over', () => settled(rest, 3), workers, 5_000);
      assert.ok(Date.now() - t0 < 5_000);
      await leaving.member.stop(); // idempotent
    } finally {
      await stopAll(workers);
    }
  });

  it('the tasks of a member that stops heartbeating move after about the session timeout', async () => {
    const sessionTimeoutMs = 6_000; // the broker's default group.min.session.timeout.ms
    const workers = await startGroup(3, { sessionTimeoutMs, heartbeatIntervalMs: 500 });
    try {
      const [crashed, ...rest] = workers as [Worker, Worker, Worker];
      const held = [...crashed.tasks];
      const t0 = Date.now();
      await crashed.member.kill();
      await waitFor('taken over', () => settled(rest, 3), workers, sessionTimeoutMs + 8_000);
      const took = Date.now() - t0;
      // Without LeaveGroup, the coordinator only notices when the session expires.
      assert.ok(took > sessionTimeoutMs / 2, `took ${took} ms`);
      assert.deepEqual(crashed.tasks, held, 'a crashed member is told nothing');
    } finally {
      await stopAll(workers);
    }
  });

  it('a member whose heartbeats fail beyond the session timeout gives up its tasks once, then rejoins', async () => {
    const sessionTimeoutMs = 6_000;
    const workers = await startGroup(1, { sessionTimeoutMs, heartbeatIntervalMs: 500 });
    const [worker] = workers as [Worker];
    try {
      const before = worker.generation;
      const t0 = Date.now();
      failHeartbeats = true;
      await waitFor('given up', () => worker.generation === -1, workers, sessionTimeoutMs + 3_000);
      const took = Date.now() - t0;
      assert.ok(took > sessionTimeoutMs - 1_500, `gave up after ${took} ms`);
      assert.deepEqual(worker.tasks, []);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      failHeartbeats = false;
      await waitFor('rejoined', () => settled(workers, TASKS.length), workers, 10_000);
      assert.ok(worker.generation > before);
      assert.equal(worker.generations.filter((g) => g === -1).length, 1, 'lost membership is announced once');
    } finally {
      failHeartbeats = false;
      await stopAll(workers);
    }
  });
});
