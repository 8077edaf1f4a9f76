import { PlanError } from '../core/errors.js';
import { type Address, checkType } from './address.js';
import type { SagaDefinition } from './saga.js';

/** Declares one persisted value of a function's state. */
export interface ValueSpec<T> {
  readonly kind: 'value';
  /** The value is removed this long after it was last written (or, with expireMode 'access', last invoked). */
  readonly expireAfterMs?: number;
  /** 'write' (default): the expiry restarts when the value is written; 'access': whenever the instance is invoked. */
  readonly expireMode?: 'write' | 'access';
  /** Phantom field carrying the value type; never set. */
  readonly __type?: T;
}

/** A value of type T in a function's state, JSON-serialisable. */
export function value<T>(options: { expireAfterMs?: number; expireMode?: 'write' | 'access' } = {}): ValueSpec<T> {
  if (options.expireAfterMs !== undefined && !(options.expireAfterMs > 0)) {
    throw new PlanError(`expireAfterMs must be positive, got ${options.expireAfterMs}`);
  }
  return { kind: 'value', ...options };
}

// biome-ignore lint/suspicious/noExplicitAny: state specs of any value type
export type StateSpecs = Record<string, ValueSpec<any>>;

/** Reads and writes one declared value of the current instance. */
export interface StateHandle<T> {
  /** The value, or undefined when there is none (never written, cleared or expired). */
  get(): T | undefined;
  /** Sets the value (undefined clears it). */
  set(value: T | undefined): void;
  clear(): void;
}

/** The typed state of an instance: one handle per declared value. */
export type StateAccess<S extends StateSpecs> = {
  readonly [K in keyof S]: StateHandle<S[K] extends ValueSpec<infer T> ? T : never>;
};

/** What a function knows about the message it handles. */
export interface MessageInfo {
  /** The sending function instance; undefined for ingress messages (HTTP, streams). */
  readonly from: Address | undefined;
  /** True when the message is an answer to a request this instance made. */
  readonly isReply: boolean;
  /** For answers: false when the other side failed (`ctx.fail`, or its handler threw). */
  readonly ok: boolean;
  /** For answers: the correlation given to `request`. */
  readonly correlation: string | undefined;
  /** True when the sender waits for an answer (`ctx.reply` / `ctx.fail`). */
  readonly expectsReply: boolean;
}

/**
 * What a function may do while it handles one message. Effects (state changes, messages, delayed messages,
 * answers, egress records) take effect together when the handler returns, exactly once; if the handler throws,
 * none of them happens and a waiting sender gets a failure answer.
 */
export interface Context<S extends StateSpecs = StateSpecs> {
  /** This instance's address. */
  readonly self: Address;
  readonly message: MessageInfo;
  readonly state: StateAccess<S>;
  /** The runtime's processing time of this invocation (ms since the epoch). */
  now(): number;
  /** Sends a message to any address (one-way). */
  send(to: Address, message: unknown): void;
  /** Sends a message whose answer comes back to this instance as a message with `ctx.message.isReply`. */
  request(to: Address, message: unknown, correlation?: string): void;
  /**
   * Sends a message after `delayMs`. Returns its cancellation token (`token`, or a generated one); sending again
   * with a pending token replaces that message.
   */
  sendAfter(delayMs: number, to: Address, message: unknown, token?: string): string;
  /** Cancels a pending delayed message of this instance; no effect when it was delivered already. */
  cancelDelayed(token: string): void;
  /**
   * Answers the sender (an HTTP request's answer, or a message to the requesting function). No-op if none waits. A
   * message that expects an answer and gets none from its handler (no reply, fail or deferReply) is answered null.
   */
  reply(message?: unknown): void;
  /** Answers the sender with a business failure (a saga step that fails makes its saga compensate). */
  fail(reason: string): void;
  /**
   * Answers the current message later, from another invocation: returns a token (plain JSON text, keep it in
   * state) for {@link replyTo}. Undefined when nobody waits for an answer.
   */
  deferReply(): ReplyToken | undefined;
  /** Answers a message whose reply was deferred (`ok` false: a failure answer with `message` as the reason). */
  replyTo(token: ReplyToken, message?: unknown, ok?: boolean): void;
  /** Emits a record to the named egress (a DataStream: files, Kafka, any sink). */
  egress(name: string, value: unknown): void;
  /** Starts the named saga of this function with `input`; returns the saga id (see {@link saga}). */
  saga(name: string, input: unknown): string;
}

/** Where a deferred answer goes (see {@link Context.deferReply}). */
export type ReplyToken = string & { readonly __replyToken?: never };

/** A function type: its name, declared state, sagas and message handler. */
export interface FunctionSpec<S extends StateSpecs = StateSpecs, M = unknown> {
  readonly type: string;
  readonly state: S;
  // biome-ignore lint/suspicious/noExplicitAny: sagas of any input type
  readonly sagas: Readonly<Record<string, SagaDefinition<any, any>>>;
  handle(ctx: Context<S>, message: M): void;
}

// biome-ignore lint/suspicious/noExplicitAny: the erased form the runtime works with
export type AnyFunctionSpec = FunctionSpec<any, any>;

/** Reserved state name of running sagas. User state names must not start with `__`. */
export const SAGA_STATE = '__sagas';

/**
 * Declares a function type. `state` lists the persisted values each instance has; `handle` is called with one
 * message at a time per instance.
 */
export function statefun<S extends StateSpecs = {}, M = unknown>(def: {
  type: string;
  state?: S;
  // biome-ignore lint/suspicious/noExplicitAny: sagas of any input type
  sagas?: Record<string, SagaDefinition<any, any>>;
  handle(ctx: Context<S>, message: M): void;
}): FunctionSpec<S, M> {
  checkType(def.type);
  const state = (def.state ?? {}) as S;
  for (const name of Object.keys(state)) {
    if (name.startsWith('__')) throw new PlanError(`${def.type}: state name '${name}' is reserved (starts with '__')`);
  }
  return { type: def.type, state, sagas: def.sagas ?? {}, handle: def.handle };
}
