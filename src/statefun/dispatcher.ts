import { OutputTag } from '../core/output-tag.js';
import type { Collector, KeyedContext, OnTimerContext, RuntimeContext } from '../functions/context.js';
import type { KeyedProcessFunction } from '../functions/functions.js';
import { listState, valueState } from '../state/descriptors.js';
import { typeOfKey } from './address.js';
import { DueIndex, type SweepKind } from './due-index.js';
import type { AnyFunctionSpec } from './function.js';
import type { Answer, Hub, Hubs, IngressRecord, ReplyRecord } from './hub.js';
import { Instances, type Loaded } from './instances.js';
import { invokeFunction, unknownTypeResult } from './invoke.js';
import { Keyspace, type NsList, type NsValue, nsClear, nsGet, nsSet } from './keyspace.js';
import type { DispatcherOutput } from './output-sink.js';
import type { DelayedSend, Envelope, InvocationResult, Reply } from './protocol.js';
import type { RemoteEndpointOptions } from './remote-client.js';
import { RemoteInvocations } from './remote-invocations.js';
import { StateApi } from './state-api.js';

export { bootKey } from './keyspace.js';

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

/** Idempotency entry: waiting request ids, or the final answer (kept until `x`); `h` the request's hash. */
interface IdemEntry {
  w?: string[];
  a?: Answer;
  h?: number;
  x?: number;
}

/** Work of one call: a message to deliver, or a final answer to store under idempotency key `i`. */
type Work = Envelope | { readonly i: string; readonly a: Answer };

/** Time buckets of the due index (one timer per bucket). */
const DELAY_BUCKET_MS = 5;
const EXPIRY_BUCKET_MS = 1000;
const IDEM_BUCKET_MS = 10_000;

export const egressTag = (name: string) => new OutputTag<unknown>(`statefun.egress.${name}`);

const bucket = (t: number, size: number) => Math.ceil(t / size) * size;

/**
 * The runtime of an application: a keyed process function, keyed by function address (an instance's `type:id`; an
 * idempotent request by its idempotency key), that delivers messages to function instances one at a time.
 *
 * Its state, all in Sluice keyed state under the instance's address and hence in every checkpoint and rescalable by
 * key group: instance state (one JSON string, {@link Instances}), delayed messages (namespace: token), what is due
 * when ({@link DueIndex}: delayed messages per key, sweeps of idempotency entries and expiring values per subtask),
 * and, for remote functions, the mailbox and the in-flight invocation ({@link RemoteInvocations}); under an
 * idempotency key, its entry.
 *
 * Delivery: a message to an instance of this subtask is delivered inside the same call, through an in-memory queue
 * (the current key switched to the target); a message to an instance of another subtask is a feedback record of the
 * main output (beside the HTTP answers; keyed by its target), which the output sink of the owning subtask hands to
 * its ingress source (see `DispatcherOutputSink` and `FeedbackLog` for its checkpoint semantics). A call that would
 * exceed `maxMessagesPerCall` sends the rest of its queue through the feedback loop too, so between records the
 * queue is empty and a checkpoint sees every message either delivered or in flight on the loop.
 */
export class Dispatcher implements KeyedProcessFunction<string, IngressRecord, DispatcherOutput> {
  /** Created in `open`: the engine copies the function per subtask, and class instances are shared by copies. */
  private ks!: Keyspace;
  private idem!: NsValue;
  private delayedState!: NsValue;
  private instances!: Instances;
  private due!: DueIndex;
  private remote!: RemoteInvocations;
  private stateApi!: StateApi;

  private q: Work[] = [];
  private qHead = 0;
  private booted = false;
  private hub!: Hub;
  private out!: Collector<DispatcherOutput>;
  private readonly tags = new Map<string, OutputTag<unknown>>();
  private warned = 0;
  private suppressed = 0;

  constructor(private readonly setup: DispatcherSetup) {}

  open(rc: RuntimeContext): void {
    const ns = (name: string) => rc.getState(valueState<string>(name)) as NsValue;
    const ks = (this.ks = new Keyspace());
    ks.open(rc);
    const { embedded, remote, defaults } = this.setup.bindings;
    this.idem = ns('statefun.idempotency');
    this.delayedState = ns('statefun.delayed');
    this.instances = new Instances(ks, ns('statefun.instances'), defaults);
    const perKeyDue = rc.getListState(listState<string>('statefun.due')) as NsList<string>;
    this.due = new DueIndex(ks, perKeyDue, ns('statefun.sweeps'));
    const mailbox = rc.getListState(listState<Envelope>('statefun.mailboxes')) as NsList<Envelope>;
    this.remote = new RemoteInvocations(ks, remote, mailbox, ns('statefun.inflight'), this.instances, () => this.hub, {
      apply: (addr, res, loaded) => this.apply(addr, res, loaded),
      enqueue: (env) => this.q.push(env),
    });
    this.stateApi = new StateApi(ks, this.instances, defaults, {
      known: (type) => embedded.get(type) ?? this.remote.endpointFor(type),
      pending: () => this.remote.pending(),
      apply: (addr, res, loaded) => this.apply(addr, res, loaded),
      emit: (r) => this.out.collect(r),
    });
    this.q = [];
    this.qHead = 0;
    this.booted = false;
    this.hub = this.setup.hubs.get(rc.subtaskIndex);
    this.hub.setBootKey(ks.home);
  }

  close(): void {
    this.remote.close();
  }

  processElement(rec: IngressRecord, ctx: KeyedContext<string>, out: Collector<DispatcherOutput>): void {
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
      case 'sweep':
        this.sweep(rec.x, rec.to, this.ks.now());
        break;
      case 'sget':
        this.stateApi.get(rec.rid, rec.to);
        break;
      case 'sput':
        this.stateApi.put(rec.rid, rec.to, rec.values);
        break;
      case 'rres':
        this.remote.result(rec.a, rec.id, rec.res);
        break;
      case 'rerr':
        this.remote.failed(rec.a, rec.id, rec.error);
        break;
      default:
        break; // boot: handled on entry
    }
    this.drain();
  }

  onTimer(time: number, ctx: OnTimerContext<string>, out: Collector<DispatcherOutput>): void {
    this.enter(ctx, out);
    this.fireDue(time);
    this.drain();
  }

  private enter(ctx: KeyedContext<string>, out: Collector<DispatcherOutput>): void {
    this.ks.enter(ctx);
    this.out = out;
    if (!this.booted) {
      // First call of a run: resume the remote invocations the restored checkpoint had open on this subtask.
      this.booted = true;
      const back = this.ks.key!;
      this.remote.resume();
      this.ks.use(back);
    }
  }

  /** Handles all work that follows from the current record, then writes the sweeps it scheduled. */
  private drain(): void {
    let budget = this.setup.options.maxMessagesPerCall;
    const q = this.q;
    const ks = this.ks;
    while (this.qHead < q.length) {
      if (--budget < 0) {
        // Yield: the rest goes round the feedback loop, which checkpoints record, and continues in later calls.
        for (let i = this.qHead; i < q.length; i++) this.forward(q[i]!);
        break;
      }
      const w = q[this.qHead++]!;
      if ('i' in w) {
        if (ks.local(w.i)) this.completeIdem(w.i, w.a);
        else this.forward(w);
      } else if (ks.local(w.to)) this.deliver(w);
      else this.forward(w);
    }
    q.length = 0;
    this.qHead = 0;
    this.due.flush();
  }

  /** Sends work to the subtask that owns its key, over the feedback loop. */
  private forward(w: Work): void {
    this.out.collect('i' in w ? { k: 'idone', i: w.i, a: w.a } : { k: 'env', e: w });
  }

  private emit(r: ReplyRecord): void {
    this.out.collect(r);
  }

  // ---- ingress (current key: the idempotency key if any, else the target) ----
  private ingress(rec: Extract<IngressRecord, { k: 'msg' }>): void {
    const { rid, idem } = rec;
    if (idem !== undefined && rid !== undefined) {
      const raw = nsGet(this.idem, '');
      if (raw !== undefined) {
        const e = JSON.parse(raw) as IdemEntry;
        if (e.h !== undefined && rec.h !== undefined && e.h !== rec.h) {
          const error = 'this Idempotency-Key was used for a different request';
          this.emit({ rid, ok: false, status: 422, body: { error } });
        } else if (e.a !== undefined) this.emit({ rid, ...e.a });
        else {
          (e.w ??= []).push(rid);
          nsSet(this.idem, '', JSON.stringify(e));
        }
        return;
      }
      if (rec.ow) {
        this.q.push({ to: rec.to, body: rec.body });
        nsSet(this.idem, '', JSON.stringify({ w: [rid], h: rec.h } satisfies IdemEntry));
        this.completeIdem(idem, { ok: true, body: { accepted: true }, status: 202 });
        return;
      }
      nsSet(this.idem, '', JSON.stringify({ w: [rid], h: rec.h } satisfies IdemEntry));
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
    this.ks.use(key);
    const raw = nsGet(this.idem, '');
    const e: IdemEntry = raw === undefined ? {} : (JSON.parse(raw) as IdemEntry);
    if (e.a !== undefined) return;
    for (const rid of e.w ?? []) this.emit({ rid, ...answer });
    const x = this.ks.now() + this.setup.options.idempotencyTtlMs;
    nsSet(this.idem, '', JSON.stringify({ a: answer, h: e.h, x } satisfies IdemEntry));
    // Short TTLs (tests) get buckets of their own size, so that sweeps are not 10 s late.
    this.due.scheduleSweep(bucket(x, Math.min(IDEM_BUCKET_MS, this.setup.options.idempotencyTtlMs)), 'i', key);
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
    this.ks.use(env.to);
    const type = typeOfKey(env.to);
    const spec = this.setup.bindings.embedded.get(type);
    if (spec !== undefined) {
      const now = this.ks.now();
      const loaded = this.instances.load(now);
      const res = invokeFunction(spec, { id: '', address: env.to, state: loaded.state, messages: [env], now });
      this.apply(env.to, res, loaded);
      return;
    }
    const remote = this.remote.endpointFor(type);
    if (remote !== undefined) {
      this.remote.deliver(remote, env);
      return;
    }
    const reason = `no function of type '${type}'`;
    if (env.replyTo === undefined) this.warn(`dropped a message to ${env.to}: ${reason}`);
    else {
      const res = unknownTypeResult({ id: '', address: env.to, state: {}, messages: [env], now: 0 }, reason);
      this.apply(env.to, res, this.instances.load(this.ks.now()));
    }
  }

  /** Applies everything one invocation of `addr` (the current key) did, once. */
  private apply(addr: string, res: InvocationResult, loaded: Loaded): void {
    let rec = loaded.rec;
    let dirty = loaded.dirty;
    const now = this.ks.now();
    if (res.state !== undefined) {
      rec ??= { v: {} };
      for (const name in res.state) {
        const change = res.state[name]!;
        if ('clear' in change) {
          delete rec.v[name];
          if (rec.e !== undefined) delete rec.e[name];
        } else {
          rec.v[name] = change.set;
          if (change.ttl !== undefined) {
            const x = now + change.ttl;
            (rec.e ??= {})[name] = x;
            this.due.scheduleSweep(bucket(x, EXPIRY_BUCKET_MS), 'x', addr);
          } else if (rec.e !== undefined) delete rec.e[name];
        }
      }
      dirty = true;
    }
    if (res.touch !== undefined && rec !== undefined) {
      for (const name in res.touch) {
        if (!(name in rec.v)) continue;
        const x = now + res.touch[name]!;
        (rec.e ??= {})[name] = x;
        this.due.scheduleSweep(bucket(x, EXPIRY_BUCKET_MS), 'x', addr);
        dirty = true;
      }
    }
    if (dirty) this.instances.save(rec);
    if (res.send !== undefined) for (const m of res.send) this.q.push(m);
    if (res.replies !== undefined) for (const r of res.replies) this.routeReply(addr, r);
    if (res.cancel !== undefined) for (const t of res.cancel) nsClear(this.delayedState, t);
    if (res.delayed !== undefined) for (const d of res.delayed) this.storeDelayed(d, now);
    if (res.egress !== undefined) for (const e of res.egress) this.ks.ctx.output(this.tag(e.name), e.value);
    if (res.errors !== undefined) for (const e of res.errors) this.warn(e);
  }

  private tag(name: string): OutputTag<unknown> {
    let t = this.tags.get(name);
    if (t === undefined) this.tags.set(name, (t = egressTag(name)));
    return t;
  }

  // ---- delayed messages and sweeps ----
  private storeDelayed(d: DelayedSend, now: number): void {
    const due = now + d.delayMs;
    nsSet(this.delayedState, d.token, JSON.stringify({ t: due, m: d.message }));
    this.due.scheduleKey(bucket(due, DELAY_BUCKET_MS), `d${d.token}`);
  }

  private fireDue(time: number): void {
    const key = this.ks.key!;
    const { items, sweeps } = this.due.take(time);
    const now = Math.max(time, this.ks.now());
    for (const item of items) {
      if (item[0] === 'd') this.fireDelayed(item.slice(1), time);
      // Sweeps scheduled per key by earlier versions of the index.
      else this.sweep(item[0] as SweepKind, key, now);
    }
    for (const [kind, k] of sweeps) {
      if (this.ks.local(k)) this.sweep(kind, k, now);
      else this.out.collect({ k: 'sweep', to: k, x: kind });
    }
  }

  /** Delivers the delayed message under `token` of the current key if it is (still) due at `time`. */
  private fireDelayed(token: string, time: number): void {
    const raw = nsGet(this.delayedState, token);
    if (raw === undefined) return; // cancelled or delivered
    const d = JSON.parse(raw) as { t: number; m: Envelope };
    if (d.t > time) return; // replaced by a later message under the same token
    nsClear(this.delayedState, token);
    this.q.push(d.m);
  }

  /** Removes what expired at `now` under `key`: its idempotency entry, or its instance's values. */
  private sweep(kind: SweepKind, key: string, now: number): void {
    this.ks.use(key);
    if (kind === 'x') {
      this.instances.sweep(now);
      return;
    }
    const raw = nsGet(this.idem, '');
    if (raw === undefined) return;
    const e = JSON.parse(raw) as IdemEntry;
    if (e.a !== undefined && e.x !== undefined && e.x <= now) nsClear(this.idem, '');
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
    this.setup.options.log(`statefun: ${line}${more}`);
  }
}
