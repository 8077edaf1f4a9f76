import type { MessageToProduce, Producer } from '@platformatic/kafka';
import { SluiceError } from '../../core/errors.js';
import type { SinkWriter, SinkWriterContext } from '../../core/sink.js';
import { NO_TIMESTAMP } from '../../core/time.js';
import { brokerList, describeKafkaError, type KafkaLib, loadKafka } from './client.js';
import type { KafkaSinkOptions } from './kafka-sink.js';
import { serializer, toBuffer } from './serde.js';
import { TransactionAdmin } from './transaction-admin.js';

type Message = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;
/** The client's transaction type (its class is not exported by name). */
type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;

/** What a checkpoint records to commit one transaction later, possibly from another process. */
export interface KafkaCommittable {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly checkpointId: number;
  /** When the transaction was pre-committed (epoch ms), to tell a late commit from a lost one. */
  readonly preparedAt: number;
}

/** The exactly-once writer's own checkpoint state (informative: recovery works from committables and the cluster). */
export interface KafkaSinkWriterState {
  readonly transactionalIdPrefix: string;
  readonly subtask: number;
}

const DEFAULT_TRANSACTION_TIMEOUT_MS = 900_000;

/** Turns records into producer messages. */
function messageBuilder<T>(options: KafkaSinkOptions<T>): (value: T, timestamp: number) => Message {
  const topic = options.topic;
  const value = serializer(options.value, 'value');
  const { key, partition, headers } = options;
  const writeTimestamps = options.writeTimestamps !== false;
  return (v, ts) => {
    const m: Message = { topic: typeof topic === 'string' ? topic : topic(v) };
    const bytes = value(v);
    if (bytes !== undefined) m.value = bytes;
    if (key !== undefined) {
      const k = toBuffer(key(v));
      if (k !== undefined) m.key = k;
    }
    if (partition !== undefined) m.partition = partition(v);
    if (headers !== undefined) {
      const h = new Map<Buffer, Buffer>();
      for (const [name, hv] of Object.entries(headers(v))) h.set(Buffer.from(name, 'utf8'), toBuffer(hv)!);
      m.headers = h;
    }
    if (writeTimestamps && ts !== NO_TIMESTAMP && Number.isFinite(ts)) m.timestamp = BigInt(Math.trunc(ts));
    return m;
  };
}

/**
 * Sends messages in the background, one produce request at a time (an idempotent producer must not have two
 * requests to a partition in flight), in chunks of up to `chunk` messages. `add` returns a promise only while more
 * than `max` messages wait (backpressure); `drain` resolves when everything added is acknowledged.
 */
class SendQueue {
  private pending: Message[] = [];
  private running = false;
  private error: unknown;
  private idle: (() => void)[] = [];
  private space: (() => void)[] = [];

  constructor(
    private readonly send: (messages: Message[]) => Promise<unknown>,
    private readonly chunk: number,
    private readonly max: number,
  ) {}

  add(messages: readonly Message[]): void | Promise<void> {
    if (this.error !== undefined) throw this.error;
    for (const m of messages) this.pending.push(m);
    if (!this.running) void this.loop();
    if (this.pending.length > this.max) return new Promise((resolve) => this.space.push(resolve));
  }

  private async loop(): Promise<void> {
    this.running = true;
    while (this.pending.length > 0 && this.error === undefined) {
      const batch = this.pending.length <= this.chunk ? this.pending : this.pending.slice(0, this.chunk);
      this.pending = batch === this.pending ? [] : this.pending.slice(this.chunk);
      try {
        await this.send(batch);
      } catch (e) {
        this.error = e;
      }
      if (this.pending.length <= this.max || this.error !== undefined) this.wake('space');
    }
    this.running = false;
    this.wake('space');
    this.wake('idle');
  }

  private wake(which: 'idle' | 'space'): void {
    const list = this[which];
    this[which] = [];
    for (const w of list) w();
  }

  /** @throws the first send error. */
  async drain(): Promise<void> {
    while (this.running) await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.error !== undefined) throw this.error;
  }
}

function producerOptions<T>(options: KafkaSinkOptions<T>) {
  return {
    clientId: options.clientId ?? 'sluice',
    bootstrapBrokers: brokerList(options.brokers),
    idempotent: true,
    // Retriable errors (e.g. CONCURRENT_TRANSACTIONS while the previous transaction of an id completes) are retried
    // every 50 ms for up to 20 s.
    retries: 400,
    retryDelay: 50,
    autocreateTopics: options.autoCreateTopics === true,
    ...(options.compression === undefined ? {} : { compression: options.compression }),
  };
}

function wrap(name: string, what: string, e: unknown): SluiceError {
  return e instanceof SluiceError ? e : new SluiceError(`${name}: ${what}: ${describeKafkaError(e)}`);
}

/** At-least-once: an idempotent producer; everything written is acknowledged at each checkpoint and at the end. */
export class AtLeastOnceWriter<T> implements SinkWriter<T> {
  private producer: Producer | undefined;
  private queue!: SendQueue;
  private readonly build: (value: T, timestamp: number) => Message;

  constructor(
    private readonly name: string,
    private readonly options: KafkaSinkOptions<T>,
    _ctx: SinkWriterContext,
  ) {
    this.build = messageBuilder(options);
  }

  async open(): Promise<void> {
    const lib = await loadKafka();
    const producer = new lib.Producer(producerOptions(this.options));
    this.producer = producer;
    this.queue = new SendQueue(
      (messages) => producer.send({ messages }).catch((e: unknown) => Promise.reject(wrap(this.name, 'send', e))),
      this.options.sendBatchSize ?? 5000,
      this.options.maxBufferedRecords ?? 20_000,
    );
  }

  write(values: readonly T[], timestamps: readonly number[]): void | Promise<void> {
    const messages = new Array<Message>(values.length);
    for (let i = 0; i < values.length; i++) messages[i] = this.build(values[i]!, timestamps[i]!);
    return this.queue.add(messages);
  }

  /** At a checkpoint: waits until everything written so far is acknowledged. Nothing to commit later. */
  async prepareCommit(): Promise<undefined> {
    await this.queue.drain();
    return undefined;
  }

  flush(): Promise<void> {
    return this.queue.drain();
  }

  async close(): Promise<void> {
    await this.queue?.drain().catch(() => {});
    await this.producer?.close(true);
  }
}

/**
 * One transactional id of a subtask; reused once its transaction is committed. Each transaction has a producer of
 * its own, created when it begins and closed when it is committed or aborted.
 */
interface Slot {
  readonly id: string;
  state: 'free' | 'open' | 'prepared';
  producer: Producer | undefined;
  tx: Transaction | undefined;
  queue: SendQueue | undefined;
  producerId: bigint;
  producerEpoch: number;
  /** When the slot became free (ms): the least recently freed slot is used next, its last commit long complete. */
  freedAt: number;
}

/**
 * Exactly-once: the records between two checkpoints go into one Kafka transaction. `prepareCommit` (at the
 * barrier) waits until all of them are acknowledged and hands the transaction's id, producer id and epoch to the
 * checkpoint; `commit` (once the checkpoint is complete) commits it. Writing goes on meanwhile in the next
 * transaction, on another transactional id of the subtask: ids are `<prefix>-<subtask>-<slot>`, a slot being free
 * again once its transaction is committed, so a subtask uses about two ids however long the job runs.
 *
 * Every transaction gets a new producer epoch (the transactional id's generation). A committable therefore names
 * exactly one transaction, and any process can finish it with EndTxn(id, producer id, epoch) — also the one that
 * restores the checkpoint after a crash: the broker answers "fenced" when that transaction is long finished and a
 * later one uses the id. `recover` first commits the restored checkpoint's transactions, then fences every other
 * transactional id of this job prefix (and of the previous subtasks whose output this one takes over) that still
 * has an open transaction: those hold output written after the checkpoint, which the job will write again.
 */
export class ExactlyOnceWriter<T> implements SinkWriter<T> {
  private lib!: KafkaLib;
  private admin: TransactionAdmin | undefined;
  private readonly slots: Slot[] = [];
  private current: Slot | undefined;
  private recovered = false;
  private readonly build: (value: T, timestamp: number) => Message;
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly name: string,
    private readonly options: KafkaSinkOptions<T>,
    private readonly ctx: SinkWriterContext,
  ) {
    this.build = messageBuilder(options);
    this.prefix = options.transactionalIdPrefix!;
    this.timeoutMs = options.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
  }

  async open(): Promise<void> {
    this.lib = await loadKafka();
  }

  private transactionAdmin(): TransactionAdmin {
    this.admin ??= new TransactionAdmin(
      this.lib,
      brokerList(this.options.brokers),
      `${this.options.clientId ?? 'sluice'}-txn-admin`,
    );
    return this.admin;
  }

  private async ensureRecovered(): Promise<void> {
    if (!this.recovered) await this.recover([], []);
  }

  async write(values: readonly T[], timestamps: readonly number[]): Promise<void> {
    if (values.length === 0) return;
    if (!this.recovered) await this.ensureRecovered();
    const messages = new Array<Message>(values.length);
    for (let i = 0; i < values.length; i++) messages[i] = this.build(values[i]!, timestamps[i]!);
    const slot = this.current ?? (await this.begin());
    await slot.queue!.add(messages);
  }

  /**
   * Starts the next transaction on a free slot (a new one if all are in use). A new producer per transaction: its
   * InitProducerId gives the transactional id a new epoch (fencing any zombie), so that (id, producer id, epoch)
   * names this one transaction — which the client's producer, reusing one epoch for all its transactions, would not.
   */
  private async begin(): Promise<Slot> {
    let slot: Slot | undefined;
    for (const s of this.slots) if (s.state === 'free' && (slot === undefined || s.freedAt < slot.freedAt)) slot = s;
    if (slot === undefined) {
      slot = {
        id: `${this.prefix}-${this.ctx.subtaskIndex}-${this.slots.length}`,
        state: 'free',
        producer: undefined,
        tx: undefined,
        queue: undefined,
        producerId: -1n,
        producerEpoch: -1,
        freedAt: 0,
      };
      this.slots.push(slot);
    }
    const s = slot;
    const producer = new this.lib.Producer({
      ...producerOptions(this.options),
      transactionalId: s.id,
      // InitProducerId with producer id -1 and epoch -1 (the protocol's "no producer yet"): the coordinator bumps
      // the epoch of whatever producer id the transactional id has. The client's default (0, 0) would ask it to
      // bump producer id 0, which fails (PRODUCER_FENCED) once the id belongs to another producer id. Both, and the
      // new epoch per producer, are checked by test/kafka-client-contract.test.ts.
      producerId: -1n,
      producerEpoch: -1,
      // The producer sends its `timeout` as the transaction timeout.
      timeout: this.timeoutMs,
    });
    try {
      s.tx = await producer.beginTransaction();
    } catch (e) {
      await producer.close().catch(() => {});
      throw wrap(this.name, `cannot begin a transaction as ${s.id}`, e);
    }
    s.producer = producer;
    // Set by beginTransaction's InitProducerId (test/kafka-client-contract.test.ts checks them against the broker).
    s.producerId = producer.producerId!;
    s.producerEpoch = producer.producerEpoch!;
    const tx = s.tx;
    s.queue = new SendQueue(
      (messages) => tx.send({ messages }).catch((e: unknown) => Promise.reject(wrap(this.name, `send (${s.id})`, e))),
      this.options.sendBatchSize ?? 5000,
      this.options.maxBufferedRecords ?? 20_000,
    );
    s.state = 'open';
    this.current = s;
    return s;
  }

  /** Ends the checkpoint's transaction: everything in it is acknowledged; it is committed when the checkpoint is. */
  async prepareCommit(checkpointId: number): Promise<KafkaCommittable | undefined> {
    await this.ensureRecovered();
    const slot = this.current;
    if (slot === undefined) return undefined;
    await slot.queue!.drain();
    this.current = undefined;
    slot.state = 'prepared';
    return {
      transactionalId: slot.id,
      producerId: slot.producerId,
      producerEpoch: slot.producerEpoch,
      checkpointId,
      preparedAt: Date.now(),
    };
  }

  /** Commits transactions of completed checkpoints; idempotent (a finished transaction is left as it is). */
  async commit(committables: readonly unknown[]): Promise<void> {
    for (const c of committables as KafkaCommittable[]) {
      const slot = this.slots.find(
        (s) =>
          s.state === 'prepared' &&
          s.id === c.transactionalId &&
          s.producerId === c.producerId &&
          s.producerEpoch === c.producerEpoch,
      );
      if (slot === undefined) {
        await this.commitElsewhere(c);
        continue;
      }
      try {
        await slot.tx!.commit();
      } catch (e) {
        throw wrap(this.name, `cannot commit transaction ${slot.id} of checkpoint ${c.checkpointId}`, e);
      }
      const producer = slot.producer!;
      slot.producer = undefined;
      slot.tx = undefined;
      slot.queue = undefined;
      slot.state = 'free';
      slot.freedAt = Date.now();
      // The transaction is committed: a failure to close its connections cannot change the output.
      await producer.close().catch(() => {});
    }
  }

  /** Commits a transaction this writer's producers do not hold (a restored one) by its producer id and epoch. */
  private async commitElsewhere(c: KafkaCommittable): Promise<void> {
    const outcome = await this.transactionAdmin().endTransaction(
      c.transactionalId,
      c.producerId,
      c.producerEpoch,
      true,
    );
    if (outcome === 'done') return;
    if (outcome === 'invalid-state') {
      throw new SluiceError(
        `${this.name}: transaction ${c.transactionalId} of checkpoint ${c.checkpointId} was aborted before it ` +
          `could be committed (raise transactionTimeoutMs?): its output is lost`,
      );
    }
    // The id has a newer epoch (or expired): that transaction was finished earlier — committed by the run that
    // prepared it or by an earlier recovery, unless the broker aborted it for exceeding its timeout.
    const age = Date.now() - c.preparedAt;
    if (age > this.timeoutMs) {
      process.stderr.write(
        `warning: ${this.name}: transaction ${c.transactionalId} of checkpoint ${c.checkpointId} was prepared ` +
          `${Math.round(age / 1000)} s ago, longer than its timeout: if it was not committed before, the broker ` +
          `aborted it and its output is lost\n`,
      );
    }
  }

  snapshotState(): KafkaSinkWriterState {
    return { transactionalIdPrefix: this.prefix, subtask: this.ctx.subtaskIndex };
  }

  /**
   * Before the first write: commits the restored checkpoint's transactions, then aborts (by fencing their ids) the
   * transactions still open under this prefix for subtask indexes j with j mod parallelism = this subtask: what a
   * failed run wrote after the restored checkpoint, or before its first checkpoint on a fresh start.
   */
  async recover(committables: readonly unknown[], _states: readonly unknown[]): Promise<void> {
    this.recovered = true;
    try {
      for (const c of committables as KafkaCommittable[]) await this.commitElsewhere(c);
      const own = new RegExp(`^${this.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)-(\\d+)$`);
      const finished = new Set(['Empty', 'CompleteCommit', 'CompleteAbort', 'Dead']);
      const admin = this.transactionAdmin();
      for (const t of await admin.listTransactions()) {
        const m = own.exec(t.transactionalId);
        if (m === null || Number(m[1]) % this.ctx.parallelism !== this.ctx.subtaskIndex) continue;
        if (finished.has(t.state)) continue;
        await admin.fence(t.transactionalId, this.timeoutMs);
      }
    } catch (e) {
      this.recovered = false;
      throw wrap(this.name, 'recovering transactions', e);
    }
  }

  async flush(): Promise<void> {
    await this.current?.queue?.drain();
  }

  /**
   * Aborts the transaction being written (it belongs to no checkpoint). Pre-committed transactions stay open: their
   * checkpoint may be complete, and the next run commits them (until then read_committed consumers wait for them).
   */
  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (current?.tx !== undefined) {
      await current.queue!.drain().catch(() => {});
      await current.tx.abort().catch(() => {});
    }
    await Promise.allSettled(this.slots.map((s) => s.producer?.close(true)));
    await this.admin?.close().catch(() => {});
  }
}
