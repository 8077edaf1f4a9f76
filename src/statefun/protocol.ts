/**
 * The messages and invocation format shared by the runtime and function code, embedded or remote. Everything here
 * is plain JSON: remote functions receive and return exactly these objects (see docs/STATEFUN.md, "Remote
 * functions").
 */

/** Where the answer to a message goes. */
export type ReplyTo =
  /** A function instance (`type:id`); `c` is the sender's correlation. */
  | { readonly a: string; readonly c?: string }
  /** An ingress request with an idempotency key (the runtime keeps its final answer). */
  | { readonly i: string }
  /** An ingress request without idempotency key (its request id). */
  | { readonly r: string };

/**
 * A message to a function instance. A message with `replyTo` gets exactly one answer: the handler's reply or
 * failure, a deferred one, a failure when the handler throws, or else null when the handler returns.
 */
export interface Envelope {
  /** Target address, `type:id`. */
  readonly to: string;
  readonly body: unknown;
  /** Sender address when a function sent it; absent for ingress messages. */
  readonly from?: string;
  /** Present when the sender expects an answer. */
  readonly replyTo?: ReplyTo;
  /** Present when this message is an answer: the request's correlation and whether it succeeded. */
  readonly re?: { readonly c?: string; readonly ok: boolean };
}

/** One call of one instance with a batch of messages (handled in order) and the instance's current state. */
export interface Invocation {
  /** Unique per invocation; a result is applied only once per id. */
  readonly id: string;
  /** `type:id`. */
  readonly address: string;
  /** Current values by state name (absent: no value). */
  readonly state: Readonly<Record<string, unknown>>;
  readonly messages: readonly Envelope[];
  /** The runtime's processing time when the invocation was made (ms since the epoch). */
  readonly now: number;
}

/** A change of one state value: a new value (expiring after `ttl` ms when given) or its removal. */
export type StateChange = { readonly set: unknown; readonly ttl?: number } | { readonly clear: true };

/** An answer to the sender of a message. */
export interface Reply {
  readonly to: ReplyTo;
  readonly ok: boolean;
  readonly body: unknown;
}

/** A message sent after a delay; cancellable by its token (tokens are scoped to the sending instance). */
export interface DelayedSend {
  readonly token: string;
  readonly delayMs: number;
  readonly message: Envelope;
}

/** Everything one invocation did. The runtime applies it atomically, once. */
export interface InvocationResult {
  readonly id: string;
  state?: Record<string, StateChange>;
  /** Values whose expiry restarts because the instance was invoked (expireMode 'access'): name → ttl ms. */
  touch?: Record<string, number>;
  send?: Envelope[];
  replies?: Reply[];
  delayed?: DelayedSend[];
  cancel?: string[];
  egress?: { readonly name: string; readonly value: unknown }[];
  /** Messages whose handler threw: their effects were dropped (and their senders got a failure answer). */
  errors?: string[];
}

/** Body of a POST to a remote function service. */
export interface InvokeRequest {
  readonly invocations: readonly Invocation[];
}

/** Answer of a remote function service: one result per invocation it handled. */
export interface InvokeResponse {
  readonly results: readonly InvocationResult[];
}
