import { PlanError } from '../core/errors.js';
import type { Address } from './address.js';
import type { Context, StateSpecs } from './function.js';

/** A message a saga step sends: the step succeeds when the target answers with `ctx.reply`, fails on `ctx.fail`. */
export interface SagaCall {
  readonly to: Address;
  readonly message: unknown;
}

/** Results of the steps completed so far, by step name. */
export type SagaResults = Readonly<Record<string, unknown>>;

/** One step: an action and, optionally, the compensation that undoes it. */
export interface SagaStep<I> {
  readonly name: string;
  /** The request of this step; undefined skips the step (it counts as done, with an undefined result). */
  action(input: I, results: SagaResults): SagaCall | undefined;
  /** Undoes a completed step after a later step failed; undefined (or absent): nothing to undo. */
  compensate?(input: I, result: unknown, results: SagaResults): SagaCall | undefined;
}

/** Why a saga aborted: the failed step and its reason, and compensations that failed themselves. */
export interface SagaFailure {
  readonly step: string;
  readonly reason: string;
  readonly compensationFailures: readonly { readonly step: string; readonly reason: string }[];
}

/**
 * A saga: steps run one after another, each a request to some function instance. If every step succeeds,
 * `onCommitted` runs; if a step fails (its target answers with `ctx.fail`, or throws), the compensations of the steps
 * completed before it run in reverse order, each waiting for its answer, and then `onAborted` runs. The completion
 * handlers run in the instance that started the saga; their `ctx.reply` answers the message that started it.
 *
 * Saga progress is part of the starting instance's state, so it survives failures like any other state, and a step
 * is never sent twice. A step's target answers null when its handler neither replies nor fails (any message that
 * expects an answer gets one). A step whose action returned undefined was skipped and is not compensated.
 */
export class SagaDefinition<I, S extends StateSpecs = StateSpecs> {
  readonly steps: SagaStep<I>[] = [];
  committed: ((ctx: Context<S>, input: I, results: SagaResults) => void) | undefined;
  aborted: ((ctx: Context<S>, input: I, failure: SagaFailure) => void) | undefined;

  /** Adds a step. */
  step(
    name: string,
    step: {
      action: (input: I, results: SagaResults) => SagaCall | undefined;
      compensate?: (input: I, result: unknown, results: SagaResults) => SagaCall | undefined;
    },
  ): this {
    if (this.steps.some((s) => s.name === name)) throw new PlanError(`saga step '${name}' is declared twice`);
    this.steps.push({ name, action: step.action, compensate: step.compensate });
    return this;
  }

  /** Runs in the starting instance when every step succeeded. */
  onCommitted(fn: (ctx: Context<S>, input: I, results: SagaResults) => void): this {
    this.committed = fn;
    return this;
  }

  /** Runs in the starting instance after a step failed and the compensations ran. */
  onAborted(fn: (ctx: Context<S>, input: I, failure: SagaFailure) => void): this {
    this.aborted = fn;
    return this;
  }
}

/** Starts the declaration of a saga with input type I, run by a function with state S. */
export function saga<I, S extends StateSpecs = StateSpecs>(): SagaDefinition<I, S> {
  return new SagaDefinition<I, S>();
}
