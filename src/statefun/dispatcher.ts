import { keyGroupOf, keyGroupRange, normalizeKey, subtaskForKeyGroup } from '../core/key.js';
import { OutputTag } from '../core/output-tag.js';
import type {
  Collector,
  KeyedContext,
  KeyedStateAccess,
  OnTimerContext,
  RuntimeContext,
} from '../functions/context.js';
import type { KeyedProcessFunction } from '../functions/functions.js';
import { listState, valueState } from '../state/descriptors.js';
import type { NamespacedState } from '../state/keyed-state-backend.js';
import type { ListState, ValueState } from '../state/state.js';
import { parseAddressKey, typeOfKey } from './address.js';
import type { AnyFunctionSpec, StateSpecs } from './function.js';
import type { Answer, Hub, Hubs, IngressRecord, ReplyRecord } from './hub.js';
import { invokeFunction, unknownTypeResult } from './invoke.js';
import type { DelayedSend, Envelope, InvocationResult, Reply } from './protocol.js';
import { RemoteClient, type RemoteEndpointOptions } from './remote-client.js';

/** The functions an application runs and where. */
export interface Bindings {
  readonly embedded: ReadonlyMap<string, AnyFunctionSpec>;
  readonly remote: readonly RemoteEndpointOptions[];
  /** Values an instance has while it has none of its own, per type (e.g. the initial stock of every sku). */
  readonly defaults: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

/** What every subtask's copy of the dispatcher shares (a class instance: copies share it by reference). */
export class DispatcherSetup {
  constructor(
    readonly hubs: Hubs,
    readonly bindings: Bindings,
    readonly options: DispatcherOptions,
  ) {}
}

export interface DispatcherOptions {
  /** How long the final answer of an idempotent request is kept (ms). */
  readonly idempotencyTtlMs: number;
  /** Messages handled in one call before the dispatcher yields (the rest stays queued in state). */
  readonly maxMessagesPerCall: number;
  readonly log: (line: string) => void;
}

/** The stored state of one instance: values by name and, for expiring values, their expiry times. */
interface InstanceRecord {
  v: Record<string, unknown>;
  e?: Record<string, number>;
}

/** Idempotency entry: waiting request ids, or the final answer (kept until `x`); `h` the request's hash. */
interface IdemEntry {
  w?: string[];
  a?: Answer;
  h?: number;
  x?: number;
}

/** Work of one call: a message to deliver, or a final answer to store under idempotency key `i`. */
type Work = Envelope | { readonly i: string; readonly a: Answer };

interface Loaded {
  rec: InstanceRecord | undefined;
  /** Expired values were dropped: the record must be written back. */
  dirty: boolean;
  /** The values the function sees: stored ones over the type's defaults. */
  state: Record<string, unknown>;
}

/** Time buckets of the due index (one timer per bucket). */
const DELAY_BUCKET_MS = 5;
const EXPIRY_BUCKET_MS = 1000;
const IDEM_BUCKET_MS = 10_000;

export const egressTag = (name: string) => new OutputTag<unknown>(`statefun.egress.${name}`);

/** The dispatcher's output of records for other subtasks (and queues left over when a call yielded). */
export const FEEDBACK_TAG = new OutputTag<IngressRecord>('statefun.feedback');

type NsValue = ValueState<string> & NamespacedState;
type NsList<T> = ListState<T> & NamespacedState;

const bucket = (t: number, size: number) => Math.ceil(t / size) * size;

/**
 * The runtime of an application: a keyed process function, keyed by function address (an instance's `type:id`; an
 * idempotent request by its idempotency key), that delivers messages to function instances one at a time.
 *
 * Its state, all in Sluice keyed state under the instance's address and hence in every checkpoint and rescalable by
 * key group: instance state (one JSON string), delayed messages (namespace: token), the due index of time buckets
 * (namespace: bucket, one processing-time timer per key and bucket), and, for remote functions, the mailbox and the
 * in-flight invocation; under an idempotency key, its entry.
 *
 * Delivery: a message to an instance of this subtask is delivered inside the same call, through an in-memory queue
 * (the current key switched to the target); a message to an instance of another subtask goes to the feedback side
 * output ({@link FEEDBACK_TAG}), which the feedback sink of the owning subtask hands to its ingress source (see
 * `FeedbackLog` for its checkpoint semantics). A call that would exceed `maxMessagesPerCall` sends the rest of its
 * queue through the feedback loop too, so between records the queue is empty and a checkpoint sees every message
 * either delivered or in flight on the loop.
 */
export class Dispatcher implements KeyedProcessFunction<string, IngressRecord, ReplyRecord> {
  private inst!: NsValue;
  private idem!: NsValue;
  private delayedState!: NsValue;
  private due!: NsList<string>;
  private mailbox!: NsList<Envelope>;
  private inflight!: NsValue;

  private q: Work[] = [];
  private qHead = 0;
  private booted = false;
  private hub!: Hub;
  private subtask = 0;
  private parallelism = 1;
  private maxParallelism = 1;
  private key: string | undefined;
  private ctx!: KeyedContext<string> & KeyedStateAccess;
  private out!: Collector<ReplyRecord>;
  private readonly clients = new Map<RemoteEndpointOptions, RemoteClient>();
  private readonly remoteOf = new Map<string, RemoteEndpointOptions | null>();
  private readonly tags = new Map<string, OutputTag<unknown>>();
  private nextInvocation = 0;
  private warned = 0;
  private suppressed = 0;

  constructor(private readonly setup: DispatcherSetup) {}

  private get bindings(): Bindings {
    return this.setup.bindings;
  }
  private get options(): DispatcherOptions {
    return this.setup.options;
  }

  open(rc: RuntimeContext): void {
    const ns = (name: string) => rc.getState(valueState<string>(name)) as NsValue;
    this.inst = ns('statefun.instances');
    this.idem = ns('statefun.idempotency');
    this.delayedState = ns('statefun.delayed');
    this.due = rc.getListState(listState<string>('statefun.due')) as NsList<string>;
    this.mailbox = rc.getListState(listState<Envelope>('statefun.mailboxes')) as NsList<Envelope>;
    this.inflight = ns('statefun.inflight');
    this.q = [];
    this.qHead = 0;
    this.booted = false;
    this.subtask = rc.subtaskIndex;
    this.parallelism = rc.parallelism;
    this.maxParallelism = rc.maxParallelism;
    this.hub = this.setup.hubs.get(rc.subtaskIndex);
    this.hub.setBootKey(bootKey(rc.subtaskIndex, rc.parallelism, rc.maxParallelism));
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  processElement(rec: IngressRecord, ctx: KeyedContext<string>, out: Collector<ReplyRecord>): void {
    this.enter(ctx, out);
    switch (rec.k) {
      case 'msg':
        this.ingress(rec);
        break;
      case 'env':
        this.q.push(rec.e);
        break;
      case 'idone':
        this.completeIdem(rec.i, rec.a);
        break;
      case 'sget':
        this.stateGet(rec.rid, rec.to);
        break;
      case 'sput':
        this.statePut(rec.rid, rec.to, rec.values);
        break;
      case 'rres':
        this.remoteResult(rec.a, rec.id, rec.res);
        break;
      case 'rerr':
        if (this.inflightOf(rec.a)?.id === rec.id) throw new Error(`${rec.a}: ${rec.error}`);
        break;
      default:
        break; // boot: handled on entry
    }
    this.drain();
  }

  onTimer(time: number, ctx: OnTimerContext<string>, out: Collector<ReplyRecord>): void {
    this.enter(ctx, out);
    this.fireDue(time);
    this.drain();
  }

  // ---- keys and state helpers ----
  /** Makes `key` (an address or idempotency key of this subtask) the current key of state and timers. */
  private use(key: string): void {
    if (this.key !== key) {
      this.ctx.setCurrentKey(key);
      this.key = key;
    }
  }

  /** Whether this subtask owns `key` (the same computation as the hash exchange before the dispatcher). */
  private local(key: string): boolean {
    if (this.parallelism === 1) return true;
    const maxP = this.maxParallelism;
    return subtaskForKeyGroup(keyGroupOf(normalizeKey(key), maxP), maxP, this.parallelism) === this.subtask;
  }

  private get(s: NsValue, ns: string): string | undefined {
    s.setNamespace(ns);
    return s.value();
  }
  private set(s: NsValue, ns: string, v: string): void {
    s.setNamespace(ns);
    s.update(v);
  }
  private clear(s: NsValue | NsList<unknown>, ns: string): void {
    s.setNamespace(ns);
    s.clear();
  }

  private now(): number {
    return this.ctx.timerService().currentProcessingTime();
  }

  private enter(ctx: KeyedContext<string>, out: Collector<ReplyRecord>): void {
    this.ctx = ctx as KeyedContext<string> & KeyedStateAccess;
    this.out = out;
    this.key = ctx.getCurrentKey();
    if (!this.booted) this.boot();
  }

  /** First call of a run: resume the remote invocations that the restored checkpoint had open on this subtask. */
  private boot(): void {
    this.booted = true;
    const back = this.key!;
    const open: string[] = [];
    this.ctx.forEachKey('statefun.inflight', (k) => open.push(k as string));
    for (const addr of open) {
      this.use(addr);
      const remote = this.remoteFor(typeOfKey(addr));
      const f = this.inflightOf(addr);
      if (f === undefined) continue;
      if (remote === undefined) {
        // The type is no longer served remotely: deliver what waits to whatever serves it now.
        this.clear(this.inflight, '');
        this.mailbox.setNamespace('');
        const waiting = this.mailbox.get();
        this.mailbox.clear();
        for (const m of waiting) this.q.push(m);
      } else this.issue(remote, addr, f);
    }
    this.use(back);
  }

  private drain(): void {
    let budget = this.options.maxMessagesPerCall;
    const q = this.q;
    while (this.qHead < q.length) {
      if (--budget < 0) {
        // Yield: the rest goes round the feedback loop, which checkpoints record, and continues in later calls.
        for (let i = this.qHead; i < q.length; i++) this.forward(q[i]!);
        break;
      }
      const w = q[this.qHead++]!;
      if ('i' in w) {
        if (this.local(w.i)) this.completeIdem(w.i, w.a);
        else this.forward(w);
      } else if (this.local(w.to)) this.deliver(w);
      else this.forward(w);
    }
    q.length = 0;
    this.qHead = 0;
  }

  /** Sends work to the subtask that owns its key, over the feedback loop. */
  private forward(w: Work): void {
    this.ctx.output(FEEDBACK_TAG, 'i' in w ? { k: 'idone', i: w.i, a: w.a } : { k: 'env', e: w });
  }

  private emit(r: ReplyRecord): void {
    this.out.collect(r);
  }

  // ---- ingress (current key: the idempotency key if any, else the target) ----
  private ingress(rec: Extract<IngressRecord, { k: 'msg' }>): void {
    const { rid, idem } = rec;
    if (idem !== undefined && rid !== undefined) {
      const raw = this.get(this.idem, '');
      if (raw !== undefined) {
        const e = JSON.parse(raw) as IdemEntry;
        if (e.h !== undefined && rec.h !== undefined && e.h !== rec.h) {
          this.emit({
            rid,
            ok: false,
            status: 422,
            body: { error: 'this Idempotency-Key was used for a different request' },
          });
        } else if (e.a !== undefined) this.emit({ rid, ...e.a });
        else {
          (e.w ??= []).push(rid);
          this.set(this.idem, '', JSON.stringify(e));
        }
        return;
      }
      if (rec.ow) {
        this.q.push({ to: rec.to, body: rec.body });
        this.set(this.idem, '', JSON.stringify({ w: [rid], h: rec.h } satisfies IdemEntry));
        this.completeIdem(idem, { ok: true, body: { accepted: true }, status: 202 });
        return;
      }
      this.set(this.idem, '', JSON.stringify({ w: [rid], h: rec.h } satisfies IdemEntry));
      this.q.push({ to: rec.to, body: rec.body, replyTo: { i: idem } });
    } else if (rid !== undefined) {
      if (rec.ow) {
        this.q.push({ to: rec.to, body: rec.body });
        this.emit({ rid, ok: true, status: 202, body: { accepted: true } });
      } else this.q.push({ to: rec.to, body: rec.body, replyTo: { r: rid } });
    } else this.q.push({ to: rec.to, body: rec.body });
  }

  /** Stores the final answer under idempotency key `key` (of this subtask) and answers the waiting requests. */
  private completeIdem(key: string, answer: Answer): void {
    this.use(key);
    const raw = this.get(this.idem, '');
    const e: IdemEntry = raw === undefined ? {} : (JSON.parse(raw) as IdemEntry);
    if (e.a !== undefined) return;
    for (const rid of e.w ?? []) this.emit({ rid, ...answer });
    const x = this.now() + this.options.idempotencyTtlMs;
    this.set(this.idem, '', JSON.stringify({ a: answer, h: e.h, x } satisfies IdemEntry));
    this.scheduleDue(bucket(x, IDEM_BUCKET_MS), 'i');
  }

  private routeReply(from: string, r: Reply): void {
    const to = r.to;
    if ('a' in to) {
      this.q.push({ to: to.a, from, body: r.body, re: to.c === undefined ? { ok: r.ok } : { c: to.c, ok: r.ok } });
    } else if ('r' in to) this.emit({ rid: to.r, ok: r.ok, body: r.body });
    else this.q.push({ i: to.i, a: { ok: r.ok, body: r.body } });
  }

  // ---- delivery (to an instance of this subtask) ----
  private deliver(env: Envelope): void {
    this.use(env.to);
    const type = typeOfKey(env.to);
    const spec = this.bindings.embedded.get(type);
    if (spec !== undefined) {
      const now = this.now();
      const loaded = this.load(now);
      const res = invokeFunction(spec, { id: '', address: env.to, state: loaded.state, messages: [env], now });
      this.apply(env.to, res, loaded);
      return;
    }
    const remote = this.remoteFor(type);
    if (remote !== undefined) {
      this.mailbox.setNamespace('');
      this.mailbox.add(env);
      if (this.get(this.inflight, '') === undefined) this.startRemote(remote, env.to);
      return;
    }
    const reason = `no function of type '${type}'`;
    if (env.replyTo === undefined) this.warn(`dropped a message to ${env.to}: ${reason}`);
    else this.apply(env.to, unknownTypeResult({ id: '', address: env.to, state: {}, messages: [env], now: 0 }, reason));
  }

  /** The current key's instance state, with expired values dropped. */
  private load(now: number): Loaded {
    const raw = this.get(this.inst, '');
    const rec = raw === undefined ? undefined : (JSON.parse(raw) as InstanceRecord);
    let dirty = false;
    if (rec?.e !== undefined) {
      for (const [name, t] of Object.entries(rec.e)) {
        if (t <= now) {
          delete rec.v[name];
          delete rec.e[name];
          dirty = true;
        }
      }
    }
    const defaults = this.bindings.defaults.get(typeOfKey(this.key!));
    const values = rec?.v ?? {};
    return { rec, dirty, state: defaults === undefined ? values : { ...defaults, ...values } };
  }

  private saveInstance(rec: InstanceRecord | undefined): void {
    if (rec === undefined || Object.keys(rec.v).length === 0) {
      this.clear(this.inst, '');
      return;
    }
    if (rec.e !== undefined && Object.keys(rec.e).length === 0) delete rec.e;
    this.set(this.inst, '', JSON.stringify(rec));
  }

  /** Applies everything one invocation of `addr` (the current key) did, once. */
  private apply(addr: string, res: InvocationResult, loaded?: Loaded): void {
    let rec = loaded?.rec;
    let dirty = loaded?.dirty ?? false;
    const now = this.now();
    if (res.state !== undefined) {
      rec ??= { v: {} };
      for (const [name, change] of Object.entries(res.state)) {
        if ('clear' in change) {
          delete rec.v[name];
          if (rec.e !== undefined) delete rec.e[name];
        } else {
          rec.v[name] = change.set;
          if (change.ttl !== undefined) {
            const x = now + change.ttl;
            (rec.e ??= {})[name] = x;
            this.scheduleDue(bucket(x, EXPIRY_BUCKET_MS), 'x');
          } else if (rec.e !== undefined) delete rec.e[name];
        }
      }
      dirty = true;
    }
    if (res.touch !== undefined && rec !== undefined) {
      for (const [name, ttl] of Object.entries(res.touch)) {
        if (!(name in rec.v)) continue;
        const x = now + ttl;
        (rec.e ??= {})[name] = x;
        this.scheduleDue(bucket(x, EXPIRY_BUCKET_MS), 'x');
        dirty = true;
      }
    }
    if (dirty) this.saveInstance(rec);
    if (res.send !== undefined) for (const m of res.send) this.q.push(m);
    if (res.replies !== undefined) for (const r of res.replies) this.routeReply(addr, r);
    if (res.cancel !== undefined) for (const t of res.cancel) this.clear(this.delayedState, t);
    if (res.delayed !== undefined) for (const d of res.delayed) this.storeDelayed(d, now);
    if (res.egress !== undefined) for (const e of res.egress) this.ctx.output(this.tag(e.name), e.value);
    if (res.errors !== undefined) for (const e of res.errors) this.warn(e);
  }

  private tag(name: string): OutputTag<unknown> {
    let t = this.tags.get(name);
    if (t === undefined) this.tags.set(name, (t = egressTag(name)));
    return t;
  }

  // ---- delayed messages, expiry, the due index (all under the owning key) ----
  private storeDelayed(d: DelayedSend, now: number): void {
    const due = now + d.delayMs;
    this.set(this.delayedState, d.token, JSON.stringify({ t: due, m: d.message }));
    this.scheduleDue(bucket(due, DELAY_BUCKET_MS), `d${d.token}`);
  }

  private scheduleDue(time: number, item: string): void {
    this.due.setNamespace(String(time));
    this.due.add(item);
    this.ctx.timerService().registerProcessingTimeTimer(time);
  }

  private fireDue(time: number): void {
    this.due.setNamespace(String(time));
    const items = this.due.get();
    this.due.clear();
    const now = Math.max(time, this.now());
    for (const item of items) {
      switch (item[0]) {
        case 'd': {
          const token = item.slice(1);
          const raw = this.get(this.delayedState, token);
          if (raw === undefined) break; // cancelled or delivered
          const d = JSON.parse(raw) as { t: number; m: Envelope };
          if (d.t > time) break; // replaced by a later message under the same token
          this.clear(this.delayedState, token);
          this.q.push(d.m);
          break;
        }
        case 'x': {
          const loaded = this.load(now);
          if (loaded.dirty) this.saveInstance(loaded.rec);
          break;
        }
        case 'i': {
          const raw = this.get(this.idem, '');
          if (raw === undefined) break;
          const e = JSON.parse(raw) as IdemEntry;
          if (e.a !== undefined && e.x !== undefined && e.x <= now) this.clear(this.idem, '');
          break;
        }
      }
    }
  }

  // ---- remote functions ----
  private remoteFor(type: string): RemoteEndpointOptions | undefined {
    let r = this.remoteOf.get(type);
    if (r === undefined) {
      r = null;
      const ns = type.slice(0, type.lastIndexOf('/'));
      for (const e of this.bindings.remote) {
        if (e.types.includes(type) || e.types.includes(`${ns}/*`)) {
          r = e;
          break;
        }
      }
      this.remoteOf.set(type, r);
    }
    return r ?? undefined;
  }

  private client(endpoint: RemoteEndpointOptions): RemoteClient {
    let c = this.clients.get(endpoint);
    if (c === undefined) {
      c = new RemoteClient(endpoint, (r) => this.hub.loopback(r));
      this.clients.set(endpoint, c);
    }
    return c;
  }

  /** The in-flight invocation of `addr`, which becomes the current key. */
  private inflightOf(addr: string): { id: string; n: number } | undefined {
    this.use(addr);
    const raw = this.get(this.inflight, '');
    return raw === undefined ? undefined : (JSON.parse(raw) as { id: string; n: number });
  }

  /** Starts an invocation of `addr` (the current key) with the first messages of its mailbox. */
  private startRemote(endpoint: RemoteEndpointOptions, addr: string): void {
    this.mailbox.setNamespace('');
    const waiting = this.mailbox.get();
    if (waiting.length === 0) return;
    const f = {
      id: `${this.hub.nonce}-${++this.nextInvocation}`,
      n: Math.min(waiting.length, endpoint.maxMessagesPerInvocation ?? 32),
    };
    this.set(this.inflight, '', JSON.stringify(f));
    this.issue(endpoint, addr, f, waiting);
  }

  /** Sends the in-flight invocation `f` of `addr`, the current key (again, after a restore). */
  private issue(
    endpoint: RemoteEndpointOptions,
    addr: string,
    f: { id: string; n: number },
    waiting?: Envelope[],
  ): void {
    if (waiting === undefined) {
      this.mailbox.setNamespace('');
      waiting = this.mailbox.get();
    }
    const now = this.now();
    const loaded = this.load(now);
    if (loaded.dirty) this.saveInstance(loaded.rec);
    this.client(endpoint).invoke({
      id: f.id,
      address: addr,
      state: loaded.state,
      messages: waiting.slice(0, f.n),
      now,
    });
  }

  /** Applies the result of the in-flight invocation of `addr`; results of any other invocation are ignored. */
  private remoteResult(addr: string, id: string, res: InvocationResult): void {
    const f = this.inflightOf(addr);
    if (f === undefined || f.id !== id) return;
    this.clear(this.inflight, '');
    this.mailbox.setNamespace('');
    const rest = this.mailbox.get().slice(f.n);
    if (rest.length > 0) this.mailbox.update(rest);
    else this.mailbox.clear();
    this.apply(addr, res, this.load(this.now()));
    const endpoint = this.remoteFor(typeOfKey(addr));
    if (rest.length > 0 && endpoint !== undefined) this.startRemote(endpoint, addr);
  }

  // ---- state API ----
  private known(type: string): AnyFunctionSpec | RemoteEndpointOptions | undefined {
    return this.bindings.embedded.get(type) ?? this.remoteFor(type);
  }

  private stateView(addr: string): unknown {
    const a = parseAddressKey(addr);
    this.use(addr);
    const loaded = this.load(this.now());
    if (loaded.dirty) this.saveInstance(loaded.rec);
    this.mailbox.setNamespace('');
    return {
      type: a.type,
      id: a.id,
      state: loaded.rec?.v ?? {},
      expiresAt: loaded.rec?.e ?? {},
      defaults: this.bindings.defaults.get(a.type) ?? {},
      pendingMessages: this.mailbox.get().length,
    };
  }

  private stateGet(rid: string, addr: string): void {
    const type = typeOfKey(addr);
    if (this.known(type) === undefined) {
      this.emit({ rid, ok: false, status: 404, body: { error: `no function of type '${type}'` } });
      return;
    }
    this.emit({ rid, ok: true, status: 200, body: this.stateView(addr) });
  }

  /** Operator correction: sets (or, with null, clears) values of one instance, as one atomic change. */
  private statePut(rid: string, addr: string, values: Record<string, unknown>): void {
    const type = typeOfKey(addr);
    const binding = this.known(type);
    if (binding === undefined) {
      this.emit({ rid, ok: false, status: 404, body: { error: `no function of type '${type}'` } });
      return;
    }
    const declared = 'handle' in binding ? (binding.state as StateSpecs) : undefined;
    for (const name of Object.keys(values)) {
      if (name.startsWith('__') || (declared !== undefined && !(name in declared))) {
        const known = declared === undefined ? '' : ` (declared: ${Object.keys(declared).join(', ') || 'none'})`;
        this.emit({
          rid,
          ok: false,
          status: 400,
          body: { error: `'${name}' is not a state value of ${type}${known}` },
        });
        return;
      }
    }
    const state: Record<string, { set: unknown; ttl?: number } | { clear: true }> = {};
    for (const [name, v] of Object.entries(values)) {
      const ttl = declared?.[name]?.expireAfterMs;
      state[name] = v === null ? { clear: true } : ttl === undefined ? { set: v } : { set: v, ttl };
    }
    this.use(addr);
    this.apply(addr, { id: '', state }, this.load(this.now()));
    this.emit({ rid, ok: true, status: 200, body: this.stateView(addr) });
  }

  private warn(line: string): void {
    const now = Date.now();
    if (now - this.warned < 1000) {
      this.suppressed++;
      return;
    }
    const more = this.suppressed > 0 ? ` (and ${this.suppressed} more since the last report)` : '';
    this.warned = now;
    this.suppressed = 0;
    this.options.log(`statefun: ${line}${more}`);
  }
}

/**
 * A key the exchange before the dispatcher routes to `subtask`: the ingress source of that subtask boots its
 * dispatcher subtask with it.
 */
export function bootKey(subtask: number, parallelism: number, maxParallelism: number): string {
  const [start] = keyGroupRange(subtask, maxParallelism, parallelism);
  for (let i = 0; ; i++) {
    const key = `statefun.boot.${i}`;
    if (subtaskForKeyGroup(keyGroupOf(normalizeKey(key), maxParallelism), maxParallelism, parallelism) === subtask) {
      return key;
    }
    if (i > 1_000_000) throw new Error(`no boot key for key group ${start}`); // unreachable: groups are uniform
  }
}
