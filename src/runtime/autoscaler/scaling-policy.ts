import { keyGroupRange } from '../../core/key.js';
import type { AutoscalerOptions } from './autoscaler-options.js';
import type { VertexWindow } from './vertex-window.js';

/** What the autoscaler decided for one vertex, with the figures it decided on. */
export interface VertexDecision {
  readonly id: number;
  readonly name: string;
  readonly current: number;
  readonly proposed: number;
  /** Records in per second of busy time, per subtask (undefined: too little work to measure). */
  readonly trueRate: number | undefined;
  /** Records in per second observed, and the rate the vertex must sustain (input rate plus catching up). */
  readonly observedRate: number;
  readonly targetRate: number;
  /** Busy share the target rate needs of the busiest subtask at the current parallelism. */
  readonly neededUtilization: number | undefined;
  /** Busy share of the busiest subtask over the window. */
  readonly busy: number;
  readonly reason: string;
}

/** Parallelism whose capacity is within this share of the best any parallelism gives is enough: more cannot help. */
const CAPACITY_TOLERANCE = 0.9;

/**
 * DS2 (Kalavri et al., OSDI '18): every vertex sized in one step. Target rates start at the sources (records read per
 * second plus the growth of their backlog, plus the backlog spread over the catch-up duration) and flow downstream
 * through each vertex's measured ratio of output to input. A vertex needs ⌈target ÷ (true rate × target
 * utilisation)⌉ subtasks, where the true rate is records per second of busy time — what a subtask could do if it
 * never waited. For a keyed vertex the busiest subtask is what must keep up: the measured load per key group tells
 * how records would spread at each candidate parallelism, so a hot key is seen before scaling, and parallelism that
 * cannot help is not added.
 */
export function ds2(windows: readonly VertexWindow[], o: AutoscalerOptions): VertexDecision[] {
  const byId = new Map(windows.map((w) => [w.id, w]));
  const targetOut = new Map<number, number>();
  const decisions: VertexDecision[] = [];
  for (const w of [...windows].sort((a, b) => a.id - b.id)) {
    let target: number;
    if (w.source) {
      const backlog = w.backlog;
      target =
        backlog === undefined
          ? w.inRate
          : Math.max(0, w.inRate + (w.backlogGrowth ?? 0)) + backlog / (o.catchUpDurationMs / 1000);
    } else {
      let observed = 0;
      let wanted = 0;
      for (const u of w.inputs) {
        observed += byId.get(u)?.outRate ?? 0;
        wanted += targetOut.get(u) ?? 0;
      }
      // DS2 proper: the input a vertex must take is what its inputs are to emit. Scaling its observed input instead
      // would under-size it while the queues in front of it fill (it then takes in less than they send).
      target = w.inputsCarryAll ? wanted : w.inRate * (observed > 0 ? wanted / observed : 1);
    }
    // Records out per record in; 1 while nothing came in (a source held back by back pressure the whole window).
    const selectivity = w.inRate > 0 ? w.outRate / w.inRate : 1;
    targetOut.set(w.id, target * selectivity);
    decisions.push(sizeVertex(w, target, o));
  }
  return alignForwardPeers(decisions, byId);
}

/** Sizes one vertex for `target` records in per second. */
function sizeVertex(w: VertexWindow, target: number, o: AutoscalerOptions): VertexDecision {
  const busy = Math.max(0, ...w.busy);
  const base = { id: w.id, name: w.name, current: w.parallelism, observedRate: w.inRate, targetRate: target, busy };
  const tr = w.trueRate;
  if (tr === undefined || tr <= 0) {
    return {
      ...base,
      proposed: w.parallelism,
      trueRate: tr,
      neededUtilization: undefined,
      reason: 'too little busy time measured to size it (it waits for input)',
    };
  }
  const share = (p: number) => busiestShare(w.keyGroupLoad, p);
  const needed = (target * share(w.parallelism)) / tr;
  const fits = (p: number) => (target * share(p)) / tr <= o.targetUtilization;
  const result = (proposed: number, reason: string): VertexDecision => ({
    ...base,
    proposed,
    trueRate: tr,
    neededUtilization: needed,
    reason,
  });
  const lo = o.targetUtilization - o.utilizationBoundary;
  const hi = o.targetUtilization + o.utilizationBoundary;
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  const rate = (x: number) => `${Math.round(x)}/s`;
  const figures = `target ${rate(target)}, true rate ${rate(tr)} per subtask, needs ${pct(needed)} busy at p=${w.parallelism}`;
  if (needed >= lo && needed <= hi) return result(w.parallelism, `${figures}: within ${pct(lo)}–${pct(hi)}, keep`);

  const maxP = Math.min(o.maxParallelism, w.maxParallelism);
  if (maxP <= w.parallelism && needed > hi) {
    return result(w.parallelism, `${figures}: cannot keep up, and it runs with at most p=${maxP} (its source or sink)`);
  }
  const floorP = Math.max(o.minParallelism, Math.ceil(w.parallelism * (1 - o.maxScaleDownFactor)));
  let p = Math.max(1, Math.ceil(target / (tr * o.targetUtilization)));
  // With keys, the busiest subtask must keep up: walk up while the measured spread over key groups says it cannot.
  while (p < maxP && !fits(p)) p++;
  let reason = `${figures}: DS2 sizes it to p=${p}`;
  if (!fits(p)) {
    const hot = hottestKeyGroup(w.keyGroupLoad);
    const best = smallestNearBestParallelism(share, maxP);
    if (hot !== undefined && best < maxP) {
      p = best;
      reason =
        `${figures}: key group ${hot.group} carries ${pct(hot.share)} of its records and its subtask bounds the ` +
        `vertex (a hot key): more than p=${best} cannot help`;
    } else {
      p = Math.min(p, maxP);
      reason = `${figures}: even the maximum p=${maxP} will not keep up`;
    }
  }
  p = Math.min(maxP, Math.max(floorP, p));
  if (p === w.parallelism) return result(p, `${reason}; keep`);
  return result(p, reason);
}

/** The share of records the busiest subtask would get at parallelism `p` (1/p without key group figures). */
export function busiestShare(load: Float64Array | undefined, p: number): number {
  if (load === undefined) return 1 / p;
  let total = 0;
  for (let g = 0; g < load.length; g++) total += load[g]!;
  if (total <= 0) return 1 / p;
  let max = 0;
  for (let s = 0; s < p; s++) {
    const [start, end] = keyGroupRange(s, load.length, p);
    let sum = 0;
    for (let g = start; g < end; g++) sum += load[g]!;
    if (sum > max) max = sum;
  }
  return max / total;
}

/** The smallest parallelism whose busiest subtask's share gives nearly the best capacity any parallelism up to `maxP` gives. */
function smallestNearBestParallelism(share: (p: number) => number, maxP: number): number {
  let bestCapacity = 0;
  for (let q = 1; q <= maxP; q++) bestCapacity = Math.max(bestCapacity, 1 / share(q));
  for (let q = 1; q <= maxP; q++) if (1 / share(q) >= bestCapacity * CAPACITY_TOLERANCE) return q;
  return maxP;
}

function hottestKeyGroup(load: Float64Array | undefined): { group: number; share: number } | undefined {
  if (load === undefined) return undefined;
  let total = 0;
  let group = 0;
  for (let g = 0; g < load.length; g++) {
    total += load[g]!;
    if (load[g]! > load[group]!) group = g;
  }
  return total > 0 ? { group, share: load[group]! / total } : undefined;
}

/**
 * Vertices joined by forward edges need equal parallelism: each group takes its highest proposal, within the lowest
 * limit of its members (a source's split limit, a sink's required parallelism).
 */
function alignForwardPeers(decisions: VertexDecision[], byId: ReadonlyMap<number, VertexWindow>): VertexDecision[] {
  const proposed = new Map(decisions.map((d) => [d.id, d.proposed]));
  const limit = new Map(decisions.map((d) => [d.id, byId.get(d.id)?.maxParallelism ?? Number.POSITIVE_INFINITY]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const d of decisions) {
      for (const peer of byId.get(d.id)?.forwardPeers ?? []) {
        const p = Math.max(proposed.get(d.id)!, proposed.get(peer) ?? 0);
        const cap = Math.min(limit.get(d.id)!, limit.get(peer) ?? Number.POSITIVE_INFINITY);
        const value = Math.min(p, cap);
        for (const id of [d.id, peer]) {
          if (proposed.has(id) && proposed.get(id) !== value) {
            proposed.set(id, value);
            changed = true;
          }
          if (limit.get(id) !== cap) {
            limit.set(id, cap);
            changed = true;
          }
        }
      }
    }
  }
  return decisions.map((d) =>
    proposed.get(d.id) === d.proposed
      ? d
      : { ...d, proposed: proposed.get(d.id)!, reason: `${d.reason}; p=${proposed.get(d.id)} to match a forward edge` },
  );
}

/** The simple policy DS2 is measured against: one more subtask for every vertex whose busiest subtask is > 80 % busy. */
export function thresholdPolicy(windows: readonly VertexWindow[], o: AutoscalerOptions): VertexDecision[] {
  const decisions = windows.map((w): VertexDecision => {
    const busy = Math.max(0, ...w.busy);
    const up = busy > 0.8 && w.parallelism < Math.min(o.maxParallelism, w.maxParallelism);
    return {
      id: w.id,
      name: w.name,
      current: w.parallelism,
      proposed: up ? w.parallelism + 1 : w.parallelism,
      trueRate: w.trueRate,
      observedRate: w.inRate,
      targetRate: w.inRate,
      neededUtilization: undefined,
      busy,
      reason: `busiest subtask ${Math.round(busy * 100)} % busy: ${up ? 'one more subtask' : 'keep'} (threshold 80 %)`,
    };
  });
  return alignForwardPeers(decisions, new Map(windows.map((w) => [w.id, w])));
}
