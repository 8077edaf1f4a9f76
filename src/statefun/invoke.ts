import { randomUUID } from 'node:crypto';
import { type Address, addressKey, parseAddressKey } from './address.js';
import {
  type AnyFunctionSpec,
  type Context,
  type MessageInfo,
  type ReplyToken,
  SAGA_STATE,
  type StateHandle,
  type StateSpecs,
} from './function.js';
import type { DelayedSend, Envelope, Invocation, InvocationResult, Reply, ReplyTo, StateChange } from './protocol.js';
import type { SagaCall, SagaDefinition, SagaFailure } from './saga.js';

/** A running saga as stored in the starting instance's state. */
interface SagaRun {
  /** Saga name. */
  n: string;
  /** Input. */
  in: unknown;
  /** Current step index. */
  i: number;
  /** Phase: forward ('f') or compensating ('c'). */
  ph: 'f' | 'c';
  /** Results of completed steps by name. */
  res: Record<string, unknown>;
  /** The failure that made the saga compensate. */
  f?: { step: string; reason: string };
  /** Compensations that failed. */
  cf: { step: string; reason: string }[];
  /** Indexes of the steps that ran (skipped steps have nothing to compensate). */
  d: number[];
  /** Where the completion handler's reply goes (the answer to the message that started the saga). */
  rt?: ReplyTo;
}

interface SagaTable {
  /** Last saga id. */
  s: number;
  r: Record<string, SagaRun>;
}

const SAGA_PREFIX = '__saga:';

/**
 * Runs one invocation of a function: its messages in order against the given state, and returns what it did. Pure
 * apart from generated cancellation tokens: the same function code runs embedded in the runtime and behind
 * `serveFunctions`. A message whose handler throws leaves no effect; its sender, if waiting, gets a failure answer.
 */
export function invokeFunction(spec: AnyFunctionSpec, invocation: Invocation): InvocationResult {
  return new Invoker(spec, invocation).run();
}

/** The result for an invocation of a type nobody implements: every waiting sender gets a failure answer. */
export function unknownTypeResult(invocation: Invocation, reason: string): InvocationResult {
  const replies: Reply[] = [];
  for (const m of invocation.messages)
    if (m.replyTo !== undefined) replies.push({ to: m.replyTo, ok: false, body: reason });
  return { id: invocation.id, replies, errors: [reason] };
}

class Invoker implements Context<StateSpecs> {
  readonly self: Address;
  private readonly work: Map<string, unknown>;
  private readonly changes = new Map<string, StateChange>();
  private readonly result: InvocationResult;
  // Effects of the message being handled, merged into the result when its handler returns.
  private send_: Envelope[] = [];
  private replies: Reply[] = [];
  private delayed: DelayedSend[] = [];
  private cancels: string[] = [];
  private egress_: { name: string; value: unknown }[] = [];
  private replyTarget: ReplyTo | undefined;
  private replied = false;
  private info!: MessageInfo;
  private stateAccess: Record<string, StateHandle<unknown>> | undefined;

  constructor(
    private readonly spec: AnyFunctionSpec,
    private readonly inv: Invocation,
  ) {
    this.self = parseAddressKey(inv.address);
    this.work = new Map(Object.entries(inv.state));
    this.result = { id: inv.id };
  }

  run(): InvocationResult {
    const several = this.inv.messages.length > 1;
    for (const m of this.inv.messages) {
      const backup = several ? JSON.stringify([[...this.work], [...this.changes]]) : undefined;
      this.begin(m);
      try {
        this.handle(m);
        // Every message that expects an answer gets exactly one: without reply, fail or deferral, null.
        if (!this.replied && this.replyTarget !== undefined)
          this.replies.push({ to: this.replyTarget, ok: true, body: null });
        this.commit();
      } catch (e) {
        const reason = `${this.spec.type} failed: ${errorText(e)}`;
        (this.result.errors ??= []).push(`${this.inv.address}: ${reason}`);
        this.work.clear();
        this.changes.clear();
        if (backup !== undefined) {
          const [w, c] = JSON.parse(backup) as [[string, unknown][], [string, StateChange][]];
          for (const [k, v] of w) this.work.set(k, v);
          for (const [k, v] of c) this.changes.set(k, v);
        } else {
          for (const [k, v] of Object.entries(this.inv.state)) this.work.set(k, v);
        }
        if (m.replyTo !== undefined) (this.result.replies ??= []).push({ to: m.replyTo, ok: false, body: reason });
      }
    }
    if (this.changes.size > 0) this.result.state = Object.fromEntries(this.changes);
    for (const [name, spec] of Object.entries(this.spec.state as StateSpecs)) {
      if (spec.expireMode === 'access' && spec.expireAfterMs !== undefined) {
        if (this.work.has(name) && !this.changes.has(name)) (this.result.touch ??= {})[name] = spec.expireAfterMs;
      }
    }
    return this.result;
  }

  private begin(m: Envelope): void {
    this.replyTarget = m.replyTo;
    this.replied = false;
    this.send_ = [];
    this.replies = [];
    this.delayed = [];
    this.cancels = [];
    this.egress_ = [];
    const re = m.re;
    this.info = {
      from: m.from === undefined ? undefined : parseAddressKey(m.from),
      isReply: re !== undefined,
      ok: re === undefined || re.ok,
      correlation: re?.c,
      expectsReply: m.replyTo !== undefined,
    };
  }

  private commit(): void {
    const r = this.result;
    if (this.send_.length > 0) (r.send ??= []).push(...this.send_);
    if (this.replies.length > 0) (r.replies ??= []).push(...this.replies);
    // A cancellation also drops messages sent under its token by earlier messages of this invocation.
    if (this.cancels.length > 0 && r.delayed !== undefined) {
      const cancelled = new Set(this.cancels);
      r.delayed = r.delayed.filter((d) => !cancelled.has(d.token));
    }
    if (this.delayed.length > 0) (r.delayed ??= []).push(...this.delayed);
    if (this.cancels.length > 0) (r.cancel ??= []).push(...this.cancels);
    if (this.egress_.length > 0) (r.egress ??= []).push(...this.egress_);
  }

  private handle(m: Envelope): void {
    const c = m.re?.c;
    if (c?.startsWith(SAGA_PREFIX)) this.sagaAnswer(c, m);
    else this.spec.handle(this, m.body);
  }

  // ---- Context ----
  get message(): MessageInfo {
    return this.info;
  }

  get state(): Record<string, StateHandle<unknown>> {
    if (this.stateAccess === undefined) {
      const access: Record<string, StateHandle<unknown>> = {};
      for (const name of Object.keys(this.spec.state as StateSpecs)) access[name] = this.handleFor(name);
      this.stateAccess = access;
    }
    return this.stateAccess;
  }

  private handleFor(name: string): StateHandle<unknown> {
    const ttl = (this.spec.state as StateSpecs)[name]!.expireAfterMs;
    return {
      get: () => this.work.get(name),
      set: (v) => {
        if (v === undefined) this.clearValue(name);
        else {
          this.work.set(name, v);
          this.changes.set(name, ttl === undefined ? { set: v } : { set: v, ttl });
        }
      },
      clear: () => this.clearValue(name),
    };
  }

  private clearValue(name: string): void {
    this.work.delete(name);
    this.changes.set(name, { clear: true });
  }

  now(): number {
    return this.inv.now;
  }

  send(to: Address, message: unknown): void {
    this.send_.push({ to: addressKey(to), body: message ?? null, from: this.inv.address });
  }

  request(to: Address, message: unknown, correlation?: string): void {
    const replyTo: ReplyTo =
      correlation === undefined ? { a: this.inv.address } : { a: this.inv.address, c: correlation };
    this.send_.push({ to: addressKey(to), body: message ?? null, from: this.inv.address, replyTo });
  }

  sendAfter(delayMs: number, to: Address, message: unknown, token?: string): string {
    if (!(delayMs >= 0)) throw new Error(`sendAfter: delay must be >= 0, got ${delayMs}`);
    const t = token ?? randomUUID();
    this.delayed.push({
      token: t,
      delayMs,
      message: { to: addressKey(to), body: message ?? null, from: this.inv.address },
    });
    return t;
  }

  cancelDelayed(token: string): void {
    // The runtime applies cancellations before new delayed messages: a message sent earlier in this invocation
    // under the same token is dropped here.
    this.delayed = this.delayed.filter((d) => d.token !== token);
    this.cancels.push(token);
  }

  reply(message?: unknown): void {
    this.answer(true, message ?? null);
  }

  fail(reason: string): void {
    this.answer(false, String(reason));
  }

  deferReply(): ReplyToken | undefined {
    if (this.replyTarget === undefined) return undefined;
    if (this.replied) throw new Error('this message was answered already');
    this.replied = true;
    return JSON.stringify(this.replyTarget) as ReplyToken;
  }

  replyTo(token: ReplyToken, message?: unknown, ok = true): void {
    const to = JSON.parse(token) as ReplyTo;
    this.replies.push({ to, ok, body: ok ? (message ?? null) : String(message) });
  }

  private answer(ok: boolean, body: unknown): void {
    if (this.replyTarget === undefined) return;
    if (this.replied) throw new Error('this message was answered already');
    this.replied = true;
    this.replies.push({ to: this.replyTarget, ok, body });
  }

  egress(name: string, value: unknown): void {
    this.egress_.push({ name, value });
  }

  saga(name: string, input: unknown): string {
    const def = this.spec.sagas[name];
    if (def === undefined) throw new Error(`${this.spec.type} has no saga '${name}'`);
    if (this.replied) throw new Error(`saga '${name}': this message was answered already`);
    const table = this.sagaTable();
    const id = String(++table.s);
    const run: SagaRun = { n: name, in: input ?? null, i: 0, ph: 'f', res: {}, cf: [], d: [] };
    if (this.replyTarget !== undefined) run.rt = this.replyTarget;
    // The saga's completion handler answers the message that started it.
    this.replied = true;
    table.r[id] = run;
    this.advance(table, def, id, run);
    return id;
  }

  // ---- sagas ----
  private sagaTable(): SagaTable {
    const t = this.work.get(SAGA_STATE) as SagaTable | undefined;
    // A copy (runs are copied before they change): the stored object stays as it was if this message fails.
    return t === undefined ? { s: 0, r: {} } : { s: t.s, r: { ...t.r } };
  }

  private saveSagas(table: SagaTable): void {
    if (Object.keys(table.r).length === 0) this.clearValue(SAGA_STATE);
    else {
      this.work.set(SAGA_STATE, table);
      this.changes.set(SAGA_STATE, { set: table });
    }
  }

  private sagaAnswer(correlation: string, m: Envelope): void {
    const [id, stepText, phase] = correlation.slice(SAGA_PREFIX.length).split(':');
    const table = this.sagaTable();
    const stored = table.r[id!];
    if (stored === undefined || stored.i !== Number(stepText) || stored.ph !== phase) return; // not (or no longer) awaited
    const run: SagaRun = { ...stored, res: { ...stored.res }, cf: [...stored.cf], d: [...stored.d] };
    table.r[id!] = run;
    const def = this.spec.sagas[run.n] as AnySaga | undefined;
    if (def === undefined) throw new Error(`${this.spec.type}: saga '${run.n}' is running but no longer declared`);
    const step = def.steps[run.i]!;
    const ok = m.re?.ok === true;
    if (run.ph === 'f' && ok) {
      run.res[step.name] = m.body;
      run.d.push(run.i);
      run.i++;
    } else if (run.ph === 'f') {
      run.f = { step: step.name, reason: String(m.body) };
      run.ph = 'c';
      run.i--;
    } else {
      if (!ok) run.cf.push({ step: step.name, reason: String(m.body) });
      run.i--;
    }
    this.advance(table, def, id!, run);
  }

  /**
   * Moves a saga on until it waits for an answer (its progress saved) or is complete. Errors thrown by step
   * actions count as failures of their step, errors of compensations as failed compensations: a saga never stalls.
   */
  private advance(table: SagaTable, def: AnySaga, id: string, run: SagaRun): void {
    for (;;) {
      if (run.ph === 'f') {
        if (run.i >= def.steps.length) {
          this.complete(table, def, id, run, true);
          return;
        }
        const step = def.steps[run.i]!;
        let call: SagaCall | undefined;
        try {
          call = step.action(run.in, run.res);
        } catch (e) {
          run.f = { step: step.name, reason: `its action failed: ${errorText(e)}` };
          run.ph = 'c';
          run.i--;
          continue;
        }
        if (call !== undefined) {
          this.sendStep(call, id, run.i, 'f');
          this.saveSagas(table);
          return;
        }
        run.res[step.name] = null;
        run.i++;
      } else {
        if (run.i < 0) {
          this.complete(table, def, id, run, false);
          return;
        }
        const step = def.steps[run.i]!;
        let call: SagaCall | undefined;
        if (run.d.includes(run.i) && step.compensate !== undefined) {
          try {
            call = step.compensate(run.in, run.res[step.name], run.res);
          } catch (e) {
            run.cf.push({ step: step.name, reason: `its compensation failed: ${errorText(e)}` });
          }
        }
        if (call !== undefined) {
          this.sendStep(call, id, run.i, 'c');
          this.saveSagas(table);
          return;
        }
        run.i--;
      }
    }
  }

  private sendStep(call: SagaCall, id: string, step: number, phase: 'f' | 'c'): void {
    this.send_.push({
      to: addressKey(call.to),
      body: call.message ?? null,
      from: this.inv.address,
      replyTo: { a: this.inv.address, c: `${SAGA_PREFIX}${id}:${step}:${phase}` },
    });
  }

  /**
   * Ends a saga and runs its completion handler, whose `ctx.reply` answers the message that started the saga. If
   * the handler throws, its effects are dropped and that message gets a failure answer.
   */
  private complete(table: SagaTable, def: AnySaga, id: string, run: SagaRun, committed: boolean): void {
    delete table.r[id];
    this.saveSagas(table);
    const savedTarget = this.replyTarget;
    const savedReplied = this.replied;
    this.replyTarget = run.rt;
    this.replied = false;
    const failure: SagaFailure = { step: run.f?.step ?? '', reason: run.f?.reason ?? '', compensationFailures: run.cf };
    const before = this.effectsMark();
    try {
      if (committed) def.committed?.(this, run.in, run.res);
      else def.aborted?.(this, run.in, failure);
    } catch (e) {
      this.rollbackTo(before);
      const reason = `saga '${run.n}' of ${this.spec.type}: its ${committed ? 'onCommitted' : 'onAborted'} handler failed: ${errorText(e)}`;
      (this.result.errors ??= []).push(`${this.inv.address}: ${reason}`);
      if (run.rt !== undefined) this.replies.push({ to: run.rt, ok: false, body: reason });
      this.replied = true;
    }
    const rt = this.replyTarget;
    if (!this.replied && rt !== undefined) {
      this.replies.push({ to: rt, ok: committed, body: committed ? null : `${failure.step}: ${failure.reason}` });
    }
    this.replyTarget = savedTarget;
    this.replied = savedReplied;
  }

  /** Where the effects of the current message stand (to drop what a failing completion handler did). */
  private effectsMark(): { lengths: number[]; state: string } {
    const lengths = [this.send_, this.replies, this.delayed, this.cancels, this.egress_].map((a) => a.length);
    return { lengths, state: JSON.stringify([[...this.work], [...this.changes]]) };
  }

  private rollbackTo(mark: { lengths: number[]; state: string }): void {
    [this.send_, this.replies, this.delayed, this.cancels, this.egress_].forEach((a, i) => {
      a.length = mark.lengths[i]!;
    });
    const [w, c] = JSON.parse(mark.state) as [[string, unknown][], [string, StateChange][]];
    this.work.clear();
    this.changes.clear();
    for (const [k, v] of w) this.work.set(k, v);
    for (const [k, v] of c) this.changes.set(k, v);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: sagas of any input type
type AnySaga = SagaDefinition<any, any>;

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
