import { keyGroupOf, keyGroupRange, normalizeKey, subtaskForKeyGroup } from '../core/key.js';
import type { KeyedContext, KeyedStateAccess, RuntimeContext } from '../functions/context.js';
import type { NamespacedState } from '../state/keyed-state-backend.js';
import type { ListState, ValueState } from '../state/state.js';

export type NsValue = ValueState<string> & NamespacedState;
export type NsList<T> = ListState<T> & NamespacedState;

/**
 * The keys of one dispatcher subtask: which key state and timers refer to now, which keys this subtask owns, and
 * its *home* key (a key of its own key-group range, for state that belongs to the subtask rather than to an
 * instance, e.g. the sweep index). Shared by the parts of the dispatcher so that they switch keys through one place.
 */
export class Keyspace {
  ctx!: KeyedContext<string> & KeyedStateAccess;
  /** The current key of state and timers. */
  key: string | undefined;
  subtask = 0;
  parallelism = 1;
  maxParallelism = 1;
  /** A key this subtask owns at the current parallelism ({@link bootKey}). */
  home = '';

  open(rc: RuntimeContext): void {
    this.subtask = rc.subtaskIndex;
    this.parallelism = rc.parallelism;
    this.maxParallelism = rc.maxParallelism;
    this.home = bootKey(rc.subtaskIndex, rc.parallelism, rc.maxParallelism);
  }

  /** Called on every record and timer: the engine has set the current key. */
  enter(ctx: KeyedContext<string>): void {
    this.ctx = ctx as KeyedContext<string> & KeyedStateAccess;
    this.key = ctx.getCurrentKey();
  }

  /** Makes `key` (a key this subtask owns) the current key of state and timers. */
  use(key: string): void {
    if (this.key !== key) {
      this.ctx.setCurrentKey(key);
      this.key = key;
    }
  }

  /** Whether this subtask owns `key` (the same computation as the hash exchange before the dispatcher). */
  local(key: string): boolean {
    if (this.parallelism === 1) return true;
    const maxP = this.maxParallelism;
    return subtaskForKeyGroup(keyGroupOf(normalizeKey(key), maxP), maxP, this.parallelism) === this.subtask;
  }

  now(): number {
    return this.ctx.timerService().currentProcessingTime();
  }
}

/** The current key's value of `s` in namespace `ns`. */
export function nsGet(s: NsValue, ns: string): string | undefined {
  s.setNamespace(ns);
  return s.value();
}
export function nsSet(s: NsValue, ns: string, v: string): void {
  s.setNamespace(ns);
  s.update(v);
}
export function nsClear(s: NsValue | NsList<unknown>, ns: string): void {
  s.setNamespace(ns);
  s.clear();
}

/**
 * A key the exchange before the dispatcher routes to `subtask`: the ingress source of that subtask boots its
 * dispatcher subtask with it, and the subtask keeps its own state (the sweep index) under it.
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
