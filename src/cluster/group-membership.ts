/**
 * Membership of the processes that run one job, and the assignment of its tasks (string ids) to them, through the
 * group coordinator of a Kafka cluster: the classic JoinGroup / SyncGroup / Heartbeat / LeaveGroup protocol with a
 * protocol type of its own ('sluice'), as Kafka Connect does with 'connect'. No partitions are consumed through the
 * group; it only answers "who is in, and who runs what".
 *
 * At every rebalance the coordinator elects one member leader and hands it the metadata of all members; the leader
 * decides the assignment and the coordinator passes each member its share. A member keeps its share while it
 * heartbeats. When a member joins, leaves (stop) or crashes (no heartbeat for the session timeout), the coordinator
 * answers the others' heartbeats with REBALANCE_IN_PROGRESS and they join again.
 *
 * Ownership changes are not fenced: around a rebalance the old and the new owner of a task can both run it for a
 * moment (each learns its new share when its own SyncGroup returns). Work that must not overlap should be fenced
 * with the generation passed to `onAssignment`.
 */
import type { Admin, Connection } from '@platformatic/kafka';
import {
  brokerList,
  describeKafkaError,
  type KafkaLib,
  loadKafka,
  protocolErrorIds,
} from '../connectors/kafka/client.js';
import { negotiateApi } from '../connectors/kafka/protocol-api.js';
import { SluiceError } from '../core/errors.js';

export interface GroupMemberOptions {
  readonly brokers: string | readonly string[];
  readonly groupId: string;
  /** Default 'sluice-group-member'. */
  readonly clientId?: string;
  /** Default 10_000. The broker must allow it (group.min.session.timeout.ms). */
  readonly sessionTimeoutMs?: number;
  /** Default 30_000: how long the coordinator waits for members to rejoin during a rebalance. */
  readonly rebalanceTimeoutMs?: number;
  /** Default 1_000. Must be below sessionTimeoutMs. */
  readonly heartbeatIntervalMs?: number;
  /** This member's metadata sent with every JoinGroup (e.g. JSON of the tasks it currently runs). */
  readonly metadata: () => Buffer;
  /**
   * Called on the member elected leader: the assignment for every member (memberId -> bytes). Members missing from
   * the map get an empty assignment. When it throws, the member logs and joins again after a backoff.
   */
  readonly assign: (members: readonly { memberId: string; metadata: Buffer }[]) => Map<string, Buffer>;
  /**
   * Called after every completed rebalance with this member's assignment (empty Buffer when none) and the generation.
   * Also called with an empty assignment (generation -1) when the member has lost its membership (heartbeats failing
   * for longer than the session timeout, or fenced): it must then stop its work because another member may own it.
   * stop() calls it so too, before it leaves the group.
   *
   * Calls never overlap and heartbeats pause while one runs, so it must return quickly (start or stop work in the
   * background): a call that outlasts the session timeout costs the membership. Errors it throws are logged. It must
   * not await stop(), which waits for it.
   */
  readonly onAssignment: (assignment: Buffer, generation: number) => void | Promise<void>;
  readonly log?: (line: string) => void;
}

const PROTOCOL_TYPE = 'sluice';
const PROTOCOL_NAME = 'sluice-tasks-v1';
const GROUP_KEY_TYPE = 0; // FindCoordinator key type of a group
const EMPTY = Buffer.alloc(0);
const MAX_BACKOFF_MS = 2_000;
/** Bound of the LeaveGroup sent by stop(): a member that cannot leave is expired by the coordinator anyway. */
const LEAVE_TIMEOUT_MS = 5_000;

/** The coordinator moved or is not ready yet: look it up again. */
const COORDINATOR_MOVED = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS']);
/** The coordinator no longer knows this member id (expired, removed, or its static instance was taken over). */
const MEMBER_GONE = new Set(['UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);
/** Configuration or permission errors that retrying cannot fix: they fail start() (later they are only logged). */
const FATAL = new Set([
  'INVALID_SESSION_TIMEOUT',
  'INCONSISTENT_GROUP_PROTOCOL',
  'INVALID_GROUP_ID',
  'GROUP_AUTHORIZATION_FAILED',
]);

type JoinGroupApi = KafkaLib['joinGroupV9']['api'];

/**
 * One member of a group. start() joins and keeps the membership in a background loop (heartbeats, rejoins, retries
 * with backoff); the loop never throws, it logs. stop() leaves the group so the others rebalance at once.
 */
export class GroupMember {
  readonly #options: GroupMemberOptions;
  readonly #brokers: string[];
  readonly #clientId: string;
  readonly #sessionTimeoutMs: number;
  readonly #rebalanceTimeoutMs: number;
  readonly #heartbeatIntervalMs: number;

  #lib: KafkaLib | undefined;
  /** Its connections to the cluster; dropped and created anew after a network error or a timeout. */
  #admin: Admin | undefined;
  /** Node id of the group coordinator, once looked up. */
  #coordinator: number | undefined;
  /** '' until the coordinator gives one (JoinGroup with '' is how a new member asks for an id). */
  #memberId = '';
  #generation = -1;
  #joinReason: string | null = 'starting';
  /** Whether the last delivered assignment is a real one, i.e. lost membership must still be announced. */
  #holding = false;
  #failures = 0;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #started: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void; done: boolean } | undefined;
  #pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #deliveries: Promise<void> = Promise.resolve();

  constructor(options: GroupMemberOptions) {
    this.#options = options;
    this.#brokers = brokerList(options.brokers);
    this.#clientId = options.clientId ?? 'sluice-group-member';
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.#rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? 30_000;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1_000;
    if (options.groupId === '') throw new SluiceError('a group id is required');
    if (this.#heartbeatIntervalMs >= this.#sessionTimeoutMs) {
      throw new SluiceError(
        `heartbeatIntervalMs (${this.#heartbeatIntervalMs}) must be below sessionTimeoutMs (${this.#sessionTimeoutMs})`,
      );
    }
  }

  /** The id the coordinator gave this member; undefined before the first JoinGroup answer, once lost, after stop(). */
  get memberId(): string | undefined {
    return this.#memberId === '' ? undefined : this.#memberId;
  }

  /**
   * Joins the group; resolves after the first assignment was delivered (or when stop() came first). Rejects when the
   * group cannot be joined at all (invalid session timeout, a group id used by another protocol type, no permission).
   * While the cluster is unreachable it keeps trying. Calling it again returns the same promise.
   */
  start(): Promise<void> {
    if (this.#started === undefined) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#started = { promise, resolve, reject, done: false };
      this.#loop = this.#run();
    }
    return this.#started.promise;
  }

  /**
   * Leaves the group and stops heartbeating: calls onAssignment(empty, -1) if the member holds an assignment, then
   * sends LeaveGroup, so the others rebalance at once rather than after the session timeout. Idempotent; safe while
   * a join is in progress. Afterwards no timer or connection of this member remains.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown(true);
    return this.#stopping;
  }

  /**
   * Simulates a crash, for tests: stops heartbeating and closes the connections without LeaveGroup and without
   * calling onAssignment, so the coordinator only notices after the session timeout.
   * @internal
   */
  kill(): Promise<void> {
    this.#stopping ??= this.#shutdown(false);
    return this.#stopping;
  }

  async #run(): Promise<void> {
    try {
      this.#lib = await loadKafka();
    } catch (e) {
      this.#settleStart(e instanceof Error ? e : new SluiceError(String(e)));
      this.#stopping ??= this.#shutdown(false);
      return;
    }
    while (!this.#stopped) {
      try {
        if (this.#joinReason !== null) {
          await this.#join();
        } else {
          await this.#sleep(this.#heartbeatIntervalMs);
          if (this.#stopped) break;
          await this.#heartbeat();
        }
        this.#failures = 0;
      } catch (e) {
        if (this.#stopped) break;
        await this.#onError(e);
      }
    }
    // start() after stop() ends here without joining.
    this.#settleStart();
  }

  /** JoinGroup, then SyncGroup (with the assignment when elected leader), then delivers this member's share. */
  async #join(): Promise<void> {
    const connection = await this.#connection();
    const lib = this.#lib!;
    // Each request goes in the highest version the broker supports of those Sluice can send (same arguments); the
    // answers' shapes are checked by test/kafka-client-contract.test.ts.
    const versions = [lib.joinGroupV9.api, lib.joinGroupV8.api, lib.joinGroupV7.api, lib.joinGroupV6.api];
    const joinGroup = await negotiateApi(lib, connection, 'JoinGroup', versions);
    const syncGroup = await negotiateApi(lib, connection, 'SyncGroup', [lib.syncGroupV5.api, lib.syncGroupV4.api]);
    const { groupId } = this.#options;
    const protocols = [{ name: PROTOCOL_NAME, metadata: this.#options.metadata() }];
    let joined: Awaited<ReturnType<JoinGroupApi['async']>>;
    try {
      joined = await joinGroup.async(
        connection,
        groupId,
        this.#sessionTimeoutMs,
        this.#rebalanceTimeoutMs,
        this.#memberId,
        null,
        PROTOCOL_TYPE,
        protocols,
        this.#joinReason,
      );
    } catch (e) {
      // A new member first gets an id, then joins with it: the coordinator can then tell a retry from a new member.
      // The client's error carries the answer as `response` (test/kafka-client-contract.test.ts).
      const given = (e as { response?: { memberId?: string | null } }).response?.memberId;
      if (protocolErrorIds(e).includes('MEMBER_ID_REQUIRED') && given) {
        this.#memberId = given;
        return;
      }
      throw e;
    }
    // Recorded even when stopping, so that stop() can leave with it.
    this.#memberId = joined.memberId ?? this.#memberId;
    if (this.#stopped) return;
    const leader = joined.leader === this.#memberId && !joined.skipAssignment;
    const assignments = leader ? this.#assignments(joined.members) : [];
    const synced = await syncGroup.async(
      connection,
      groupId,
      joined.generationId,
      this.#memberId,
      null,
      PROTOCOL_TYPE,
      joined.protocolName,
      assignments,
    );
    if (this.#stopped) return;
    this.#generation = joined.generationId;
    this.#joinReason = null;
    this.#log(
      `joined generation ${joined.generationId}${leader ? ` as leader of ${joined.members.length}` : ''} ` +
        `(${synced.assignment.length} bytes assigned)`,
    );
    await this.#deliver(Buffer.from(synced.assignment), joined.generationId);
  }

  /** The leader's SyncGroup assignments: one for every member, empty where `assign` gave none. */
  #assignments(members: readonly { memberId: string; metadata: Buffer | null }[]) {
    const decided = this.#options.assign(
      members.map((m) => ({ memberId: m.memberId, metadata: m.metadata ? Buffer.from(m.metadata) : EMPTY })),
    );
    const known = new Set(members.map((m) => m.memberId));
    for (const id of decided.keys()) if (!known.has(id)) this.#log(`assign named an unknown member ${id}: ignored`);
    return members.map((m) => ({ memberId: m.memberId, assignment: decided.get(m.memberId) ?? EMPTY }));
  }

  async #heartbeat(): Promise<void> {
    const connection = await this.#connection();
    const heartbeat = await negotiateApi(this.#lib!, connection, 'Heartbeat', [this.#lib!.heartbeatV4.api]);
    await heartbeat.async(connection, this.#options.groupId, this.#generation, this.#memberId, null);
    this.#armWatchdog();
    // Membership was declared lost while the coordinator still knew the member: join again to get work back.
    if (!this.#holding) this.#rejoin('membership was given up locally');
  }

  async #onError(e: unknown): Promise<void> {
    const ids = protocolErrorIds(e);
    if (ids.includes('REBALANCE_IN_PROGRESS')) {
      this.#rejoin('rebalance in progress');
      return;
    }
    if (ids.some((id) => MEMBER_GONE.has(id))) {
      this.#memberId = '';
      this.#generation = -1;
      const reason = `the coordinator no longer knows the member [${ids.join(', ')}]`;
      await this.#lose(reason);
      this.#rejoin(reason);
      return;
    }
    if (ids.includes('ILLEGAL_GENERATION')) {
      // A rebalance completed without this member. The member id is kept: if the coordinator still knows it, a new
      // id would leave a ghost member that every rebalance waits for until its session expires.
      this.#generation = -1;
      await this.#lose('its generation is stale');
      this.#rejoin('stale generation');
      return;
    }
    if (ids.some((id) => FATAL.has(id)) && this.#started?.done === false) {
      const error = new SluiceError(`cannot join group ${this.#options.groupId}: ${describeKafkaError(e)}`);
      this.#log(error.message);
      this.#settleStart(error);
      this.#stopping ??= this.#shutdown(true);
      return;
    }
    if (ids.some((id) => COORDINATOR_MOVED.has(id))) {
      this.#coordinator = undefined;
    } else if (ids.length === 0) {
      // A network error or a timeout. Fresh connections: after a request timeout the client's connection is not
      // reliable (it does not skip the late response), and the coordinator may have moved.
      await this.#closeClient();
    }
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.#failures++);
    this.#log(
      `${this.#joinReason !== null ? 'join' : 'heartbeat'} failed, retry in ${delay} ms: ${describeKafkaError(e)}`,
    );
    await this.#sleep(delay);
  }

  #rejoin(reason: string): void {
    if (this.#joinReason === null) this.#log(`rejoining: ${reason}`);
    this.#joinReason = reason;
  }

  /** Delivers an assignment; deliveries run one after the other, in order. */
  #deliver(assignment: Buffer, generation: number): Promise<void> {
    this.#holding = generation >= 0;
    if (this.#holding) this.#armWatchdog();
    this.#deliveries = this.#deliveries.then(async () => {
      try {
        await this.#options.onAssignment(assignment, generation);
      } catch (e) {
        this.#log(`onAssignment failed: ${describeKafkaError(e)}`);
      }
    });
    if (this.#holding) this.#deliveries = this.#deliveries.then(() => this.#settleStart());
    return this.#deliveries;
  }

  /** Announces lost membership (an empty assignment, generation -1), once per assignment held. */
  #lose(reason: string): Promise<void> {
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    if (!this.#holding) return this.#deliveries;
    this.#log(`lost membership: ${reason}`);
    return this.#deliver(EMPTY, -1);
  }

  /**
   * While an assignment is held, a timer one session timeout ahead, pushed back by every answer of the coordinator.
   * When it fires, the coordinator has probably expired the member and handed its tasks to others; it runs beside
   * the loop because the loop may be stuck in a request. A JoinGroup does not push it back: the coordinator keeps a
   * member whose JoinGroup never arrived until the rebalance timeout and then completes the rebalance without it. So
   * a rebalance that waits for a slow member longer than the session timeout also costs the assignment until it
   * completes: safe, if not necessary.
   */
  #armWatchdog(): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    if (!this.#holding || this.#stopped) return;
    this.#watchdog = setTimeout(() => {
      this.#watchdog = undefined;
      void this.#lose(`no successful heartbeat for ${this.#sessionTimeoutMs} ms`);
    }, this.#sessionTimeoutMs);
  }

  #settleStart(error?: Error): void {
    const started = this.#started;
    if (started === undefined || started.done) return;
    started.done = true;
    if (error === undefined) started.resolve();
    else started.reject(error);
  }

  async #shutdown(leave: boolean): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    if (this.#pause !== undefined) {
      clearTimeout(this.#pause.timer);
      this.#pause.resolve();
      this.#pause = undefined;
    }
    // Closing the connections fails the request in flight at once: a JoinGroup can be held by the coordinator for
    // the whole rebalance timeout, and the broker answers the requests of one connection in order.
    await this.#closeClient();
    await this.#loop;
    this.#settleStart();
    if (!leave) return;
    if (this.#holding) await this.#deliver(EMPTY, -1);
    else await this.#deliveries;
    if (this.#memberId !== '') await this.#leave(this.#memberId);
    this.#memberId = '';
    this.#generation = -1;
  }

  /** LeaveGroup on fresh connections, a few attempts; failing that, the coordinator expires the member later. */
  async #leave(memberId: string): Promise<void> {
    const lib = this.#lib;
    if (lib === undefined) return;
    const admin = new lib.Admin({
      clientId: this.#clientId,
      bootstrapBrokers: this.#brokers,
      retries: 0,
      requestTimeout: LEAVE_TIMEOUT_MS,
    });
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const [coordinator] = await admin.findCoordinator({ keyType: GROUP_KEY_TYPE, keys: [this.#options.groupId] });
          if (coordinator === undefined) throw new SluiceError('no group coordinator');
          const connection = await coordinatorConnection(admin, coordinator.nodeId);
          const leaveGroup = await negotiateApi(lib, connection, 'LeaveGroup', [
            lib.leaveGroupV5.api,
            lib.leaveGroupV4.api,
          ]);
          await leaveGroup.async(connection, this.#options.groupId, [
            { memberId, groupInstanceId: null, reason: 'stop' },
          ]);
          this.#log('left the group');
          return;
        } catch (e) {
          const ids = protocolErrorIds(e);
          if (ids.some((id) => MEMBER_GONE.has(id))) return;
          if (attempt >= 3) {
            this.#log(`leaving failed (the coordinator expires the member instead): ${describeKafkaError(e)}`);
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
        }
      }
    } catch (e) {
      this.#log(`leaving failed: ${describeKafkaError(e)}`);
    } finally {
      await admin.close().catch(() => {});
    }
  }

  /** A connection to the group coordinator, looked up once and again after it moved. */
  async #connection(): Promise<Connection> {
    const admin = this.#client();
    if (this.#coordinator === undefined) {
      const [coordinator] = await admin.findCoordinator({ keyType: GROUP_KEY_TYPE, keys: [this.#options.groupId] });
      if (coordinator === undefined) throw new SluiceError(`no coordinator for group ${this.#options.groupId}`);
      this.#coordinator = coordinator.nodeId;
    }
    return coordinatorConnection(admin, this.#coordinator);
  }

  #client(): Admin {
    // After stop() the loop may still be on its way out: it must not open new connections.
    if (this.#stopped) throw new SluiceError('stopped');
    this.#admin ??= new this.#lib!.Admin({
      clientId: this.#clientId,
      bootstrapBrokers: this.#brokers,
      // The loop retries with its own backoff.
      retries: 0,
      // The coordinator holds a JoinGroup until the rebalance completes, at most the rebalance timeout.
      requestTimeout: this.#rebalanceTimeoutMs + 5_000,
    });
    return this.#admin;
  }

  async #closeClient(): Promise<void> {
    const admin = this.#admin;
    this.#admin = undefined;
    this.#coordinator = undefined;
    if (admin !== undefined) await admin.close().catch((e: unknown) => this.#log(`closing: ${describeKafkaError(e)}`));
  }

  /** Waits, or less when stop() comes first. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stopped) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        this.#pause = undefined;
        resolve();
      }, ms);
      this.#pause = { timer, resolve };
    });
  }

  #log(line: string): void {
    this.#options.log?.(`group ${this.#options.groupId} member ${this.#memberId || '(new)'}: ${line}`);
  }
}

/** A connection to broker `nodeId` (the client's documented connectToBrokers, which reuses pooled connections). */
async function coordinatorConnection(admin: Admin, nodeId: number): Promise<Connection> {
  const connection = (await admin.connectToBrokers([nodeId])).get(nodeId);
  if (connection === undefined) throw new SluiceError(`group coordinator ${nodeId} is not in the cluster metadata`);
  return connection;
}
