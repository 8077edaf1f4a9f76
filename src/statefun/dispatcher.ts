import { OutputTag } from '../core/output-tag.js';
import type { Collector, KeyedContext, OnTimerContext, RuntimeContext } from '../functions/context.js';
import type { KeyedProcessFunction } from '../functions/functions.js';
import { listState, mapState, valueState } from '../state/descriptors.js';
import type { NamespacedState } from '../state/keyed-state-backend.js';
import type { ListState, MapState, ValueState } from '../state/state.js';
import { parseAddressKey, typeOfKey } from './address.js';
import type { AnyFunctionSpec, StateSpecs } from './function.js';
import { parallelismError } from './http-ingress.js';
import type { Hub, IngressRecord, ReplyRecord } from './hub.js';
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
  a?: { ok: boolean; body: unknown; status?: number };
  h?: number;
  x?: number;
}

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

type NsValue = ValueState<string> & NamespacedState;
type NsList<T> = ListState<T> & NamespacedState;

const bucket = (t: number, size: number) => Math.ceil(t / size) * size;

/**
 * The runtime of an application: one keyed process function (every record has the same key, so at parallelism 1
 * all instances live here) that delivers messages to function instances one at a time.
 *
 * Its state, all in Sluice keyed state and hence in every checkpoint: instance state (a JSON string per address, in
 * the address's namespace), idempotency entries, the queue of messages not yet delivered when a call ended,
 * delayed messages and the due index of time buckets (with one processing-time timer per bucket), and, for remote
 * functions, each instance's mailbox and in-flight invocation. Messages between embedded functions are delivered
 * inside the same call, through an in-memory queue that is written to state only if a call ends before it is empty.
 */
export class Dispatcher implements KeyedProcessFunction<string, IngressRecord, ReplyRecord> {
  private inst!: NsValue;
  private idem!: NsValue;
  private queueState!: ValueState<string>;
  private delayedState!: NsValue;
  private due!: NsList<string>;
  private mailbox!: NsList<Envelope>;
  private inflight!: NsValue;
  private busy!: MapState<string, number>;

  private q: Envelope[] = [];
  private qHead = 0;
  private queueStored = false;
  private booted = false;
  private ctx!: KeyedContext<string>;
  private out!: Collector<ReplyRecord>;
  private readonly clients = new Map<RemoteEndpointOptions, RemoteClient>();
  private readonly remoteOf = new Map<string, RemoteEndpointOptions | null>();
  private readonly tags = new Map<string, OutputTag<unknown>>();
  private nextInvocation = 0;
  private warned = 0;
  private suppressed = 0;

  constructor(
    private readonly hub: Hub,
    private readonly bindings: Bindings,
    private readonly options: DispatcherOptions,
  ) {}

  open(rc: RuntimeContext): void {
    if (rc.parallelism !== 1) throw parallelismError(rc.parallelism);
    const ns = (name: string) => rc.getState(valueState<string>(name)) as NsValue;
    this.inst = ns('statefun.instances');
    this.idem = ns('statefun.idempotency');
    this.queueState = rc.getState(valueState<string>('statefun.queue'));
    this.delayedState = ns('statefun.delayed');
    this.due = rc.getListState(listState<string>('statefun.due')) as NsList<string>;
    this.mailbox = rc.getListState(listState<Envelope>('statefun.mailboxes')) as NsList<Envelope>;
    this.inflight = ns('statefun.inflight');
    this.busy = rc.getMapState(mapState<string, number>('statefun.busy'));
    this.q = [];
    this.qHead = 0;
    this.queueStored = false;
    this.booted = false;
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
        break; // boot (handled on entry) and poke (continue the queue)
    }
    this.drain();
  }

  onTimer(time: number, ctx: OnTimerContext<string>, out: Collector<ReplyRecord>): void {
    this.enter(ctx, out);
    this.fireDue(time);
    this.drain();
  }

  // ---- state helpers ----
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
    this.ctx = ctx;
    this.out = out;
    if (!this.booted) this.boot();
  }

  /** First call of a run: resume the queue and the remote invocations that the restored checkpoint had open. */
  private boot(): void {
    this.booted = true;
    const raw = this.queueState.value();
    if (raw !== undefined) {
      this.q = JSON.parse(raw) as Envelope[];
      this.qHead = 0;
      this.queueStored = true;
    }
    for (const addr of this.busy.keys()) {
      const remote = this.remoteFor(typeOfKey(addr));
      const f = this.inflightOf(addr);
      if (remote === undefined) {
        // The type is no longer served remotely: deliver what waits to whatever serves it now.
        this.clear(this.inflight, addr);
        this.mailbox.setNamespace(addr);
        const waiting = this.mailbox.get();
        this.mailbox.clear();
        this.busy.remove(addr);
        for (const m of waiting) this.q.push(m);
      } else if (f !== undefined) this.issue(remote, addr, f);
      else this.startRemote(remote, addr);
    }
  }

  private drain(): void {
    let budget = this.options.maxMessagesPerCall;
    const q = this.q;
    while (this.qHead < q.length) {
      if (--budget < 0) {
        // Yield: the rest stays queued in state and a loopback record continues it.
        this.q = q.slice(this.qHead);
        this.qHead = 0;
        this.queueState.update(JSON.stringify(this.q));
        this.queueStored = true;
        this.hub.loopback({ k: 'poke' });
        return;
      }
      this.deliver(q[this.qHead++]!);
    }
    q.length = 0;
    this.qHead = 0;
    if (this.queueStored) {
      this.queueState.clear();
      this.queueStored = false;
    }
  }

  private emit(r: ReplyRecord): void {
    this.out.collect(r);
  }

  // ---- ingress ----
  private ingress(rec: Extract<IngressRecord, { k: 'msg' }>): void {
    const { rid, idem } = rec;
    if (idem !== undefined && rid !== undefined) {
      const raw = this.get(this.idem, idem);
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
          this.set(this.idem, idem, JSON.stringify(e));
        }
        return;
      }
      if (rec.ow) {
        this.q.push({ to: rec.to, body: rec.body });
        this.set(this.idem, idem, JSON.stringify({ w: [rid], h: rec.h } satisfies IdemEntry));
        this.completeIdem(idem, { ok: true, body: { accepted: true }, status: 202 });
        return;
      }
      this.set(this.idem, idem, JSON.stringify({ w: [rid], h: rec.h } satisfies IdemEntry));
      this.q.push({ to: rec.to, body: rec.body, replyTo: { i: idem } });
    } else if (rid !== undefined) {
      if (rec.ow) {
        this.q.push({ to: rec.to, body: rec.body });
        this.emit({ rid, ok: true, status: 202, body: { accepted: true } });
      } else this.q.push({ to: rec.to, body: rec.body, replyTo: { r: rid } });
    } else this.q.push({ to: rec.to, body: rec.body });
  }

  private completeIdem(key: string, answer: NonNullable<IdemEntry['a']>): void {
    const raw = this.get(this.idem, key);
    const e: IdemEntry = raw === undefined ? {} : (JSON.parse(raw) as IdemEntry);
    if (e.a !== undefined) return;
    for (const rid of e.w ?? []) this.emit({ rid, ...answer });
    const x = this.now() + this.options.idempotencyTtlMs;
    this.set(this.idem, key, JSON.stringify({ a: answer, h: e.h, x } satisfies IdemEntry));
    this.scheduleDue(bucket(x, IDEM_BUCKET_MS), `i${key}`);
  }

  private routeReply(from: string, r: Reply): void {
    const to = r.to;
    if ('a' in to) {
      this.q.push({ to: to.a, from, body: r.body, re: to.c === undefined ? { ok: r.ok } : { c: to.c, ok: r.ok } });
    } else if ('r' in to) this.emit({ rid: to.r, ok: r.ok, body: r.body });
    else this.completeIdem(to.i, { ok: r.ok, body: r.body });
  }

  // ---- delivery ----
  private deliver(env: Envelope): void {
    const type = typeOfKey(env.to);
    const spec = this.bindings.embedded.get(type);
    if (spec !== undefined) {
      const now = this.now();
      const loaded = this.load(env.to, now);
      const res = invokeFunction(spec, { id: '', address: env.to, state: loaded.state, messages: [env], now });
      this.apply(env.to, res, loaded);
      return;
    }
    const remote = this.remoteFor(type);
    if (remote !== undefined) {
      this.mailbox.setNamespace(env.to);
      this.mailbox.add(env);
      if (this.get(this.inflight, env.to) === undefined) this.startRemote(remote, env.to);
      return;
    }
    const reason = `no function of type '${type}'`;
    if (env.replyTo === undefined) this.warn(`dropped a message to ${env.to}: ${reason}`);
    else this.apply(env.to, unknownTypeResult({ id: '', address: env.to, state: {}, messages: [env], now: 0 }, reason));
  }

  private load(addr: string, now: number): Loaded {
    const raw = this.get(this.inst, addr);
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
    const defaults = this.bindings.defaults.get(typeOfKey(addr));
    const values = rec?.v ?? {};
    return { rec, dirty, state: defaults === undefined ? values : { ...defaults, ...values } };
  }

  private saveInstance(addr: string, rec: InstanceRecord | undefined): void {
    if (rec === undefined || Object.keys(rec.v).length === 0) {
      this.clear(this.inst, addr);
      return;
    }
    if (rec.e !== undefined && Object.keys(rec.e).length === 0) delete rec.e;
    this.set(this.inst, addr, JSON.stringify(rec));
  }

  /** Applies everything one invocation did, once. */
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
            this.scheduleDue(bucket(x, EXPIRY_BUCKET_MS), `x${addr}`);
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
        this.scheduleDue(bucket(x, EXPIRY_BUCKET_MS), `x${addr}`);
        dirty = true;
      }
    }
    if (dirty) this.saveInstance(addr, rec);
    if (res.send !== undefined) for (const m of res.send) this.q.push(m);
    if (res.replies !== undefined) for (const r of res.replies) this.routeReply(addr, r);
    if (res.cancel !== undefined) for (const t of res.cancel) this.clear(this.delayedState, `${addr}|${t}`);
    if (res.delayed !== undefined) for (const d of res.delayed) this.storeDelayed(addr, d, now);
    if (res.egress !== undefined) for (const e of res.egress) this.ctx.output(this.tag(e.name), e.value);
    if (res.errors !== undefined) for (const e of res.errors) this.warn(e);
  }

  private tag(name: string): OutputTag<unknown> {
    let t = this.tags.get(name);
    if (t === undefined) this.tags.set(name, (t = egressTag(name)));
    return t;
  }

  // ---- delayed messages, expiry, the due index ----
  private storeDelayed(addr: string, d: DelayedSend, now: number): void {
    const key = `${addr}|${d.token}`;
    const due = now + d.delayMs;
    this.set(this.delayedState, key, JSON.stringify({ t: due, m: d.message }));
    this.scheduleDue(bucket(due, DELAY_BUCKET_MS), `d${key}`);
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
      const rest = item.slice(1);
      switch (item[0]) {
        case 'd': {
          const raw = this.get(this.delayedState, rest);
          if (raw === undefined) break; // cancelled or delivered
          const d = JSON.parse(raw) as { t: number; m: Envelope };
          if (d.t > time) break; // replaced by a later message under the same token
          this.clear(this.delayedState, rest);
          this.q.push(d.m);
          break;
        }
        case 'x': {
          const loaded = this.load(rest, now);
          if (loaded.dirty) this.saveInstance(rest, loaded.rec);
          break;
        }
        case 'i': {
          const raw = this.get(this.idem, rest);
          if (raw === undefined) break;
          const e = JSON.parse(raw) as IdemEntry;
          if (e.a !== undefined && e.x !== undefined && e.x <= now) this.clear(this.idem, rest);
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

  private inflightOf(addr: string): { id: string; n: number } | undefined {
    const raw = this.get(this.inflight, addr);
    return raw === undefined ? undefined : (JSON.parse(raw) as { id: string; n: number });
  }

  /** Starts an invocation of `addr` with the first messages of its mailbox. */
  private startRemote(endpoint: RemoteEndpointOptions, addr: string): void {
    this.mailbox.setNamespace(addr);
    const waiting = this.mailbox.get();
    if (waiting.length === 0) {
      this.busy.remove(addr);
      return;
    }
    const f = {
      id: `${this.hub.nonce}-${++this.nextInvocation}`,
      n: Math.min(waiting.length, endpoint.maxMessagesPerInvocation ?? 32),
    };
    this.set(this.inflight, addr, JSON.stringify(f));
    this.busy.put(addr, 1);
    this.issue(endpoint, addr, f, waiting);
  }

  /** Sends the in-flight invocation `f` of `addr` (again, after a restore). */
  private issue(
    endpoint: RemoteEndpointOptions,
    addr: string,
    f: { id: string; n: number },
    waiting?: Envelope[],
  ): void {
    if (waiting === undefined) {
      this.mailbox.setNamespace(addr);
      waiting = this.mailbox.get();
    }
    const now = this.now();
    const loaded = this.load(addr, now);
    if (loaded.dirty) this.saveInstance(addr, loaded.rec);
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
    this.clear(this.inflight, addr);
    this.mailbox.setNamespace(addr);
    const rest = this.mailbox.get().slice(f.n);
    if (rest.length > 0) this.mailbox.update(rest);
    else this.mailbox.clear();
    this.apply(addr, res, this.load(addr, this.now()));
    const endpoint = this.remoteFor(typeOfKey(addr));
    if (rest.length > 0 && endpoint !== undefined) this.startRemote(endpoint, addr);
    else this.busy.remove(addr);
  }

  // ---- state API ----
  private known(type: string): AnyFunctionSpec | RemoteEndpointOptions | undefined {
    return this.bindings.embedded.get(type) ?? this.remoteFor(type);
  }

  private stateView(addr: string): unknown {
    const a = parseAddressKey(addr);
    const loaded = this.load(addr, this.now());
    if (loaded.dirty) this.saveInstance(addr, loaded.rec);
    this.mailbox.setNamespace(addr);
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
    this.apply(addr, { id: '', state }, this.load(addr, this.now()));
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
