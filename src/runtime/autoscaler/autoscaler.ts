import { availableParallelism } from 'node:os';
import type { ExecutionGraph } from '../execution-graph.js';
import type { RunObserver } from '../metrics/run-observer.js';
import type { SubtaskSample } from '../metrics/subtask-sample.js';
import type { AutoscalerOptions } from './autoscaler-options.js';
import { ds2, thresholdPolicy, type VertexDecision } from './scaling-policy.js';
import { measureWindow } from './vertex-window.js';

/** One decision of the autoscaler, with its inputs: what the log line, the REST document and the dashboard show. */
export interface ScalingDecision {
  /** 1-based number of the decision in this run. */
  readonly number: number;
  /** Epoch ms. */
  readonly time: number;
  readonly policy: AutoscalerOptions['policy'];
  readonly windowMs: number;
  /** 'rescale': the job is rescaled to `parallelism` now; 'keep': nothing changes; 'hold': a change that cannot help. */
  readonly action: 'rescale' | 'keep' | 'hold';
  /** Operator uid → parallelism after the decision (every operator of every vertex). */
  readonly parallelism: Readonly<Record<string, number>>;
  readonly vertices: readonly VertexDecision[];
  /** The vertex whose target rate needs the highest utilisation at its parallelism, and why (undefined: none measured). */
  readonly bottleneck: { readonly vertex: number; readonly name: string; readonly reason: string } | undefined;
  /** Cores the process used over the window, of the cores the machine has. */
  readonly cpuCores: number;
  readonly cores: number;
  readonly summary: string;
}

/** What the autoscaler asks of the run it watches. */
export interface AutoscalerHost {
  /** Stops the attempt right after a checkpoint and runs the job again from it with `parallelism` (operator uids). */
  rescale(parallelism: Record<string, number>): void;
  log(line: string): void;
  /** Every decision, for the job monitor (REST, dashboard, metrics). */
  onDecision?(decision: ScalingDecision): void;
}

/** The process is this busy (share of all cores) or more: adding subtasks buys no CPU; scale-ups are held. */
const CPU_SATURATED = 0.9;

/**
 * Watches a run's metric samples and, once per metrics window after a stabilisation interval, sizes every vertex
 * with the configured policy; a decision that changes some vertex's parallelism is handed to the host to rescale.
 * Decisions pause from a rescale until the next attempt starts.
 */
export class Autoscaler implements RunObserver {
  readonly decisions: ScalingDecision[] = [];
  private graph: ExecutionGraph | undefined;
  private readonly history = new Map<string, SubtaskSample[]>();
  private attemptStart = Number.POSITIVE_INFINITY;
  private lastDecision = 0;
  private pending = false;
  private cpuAt = { time: Date.now(), usage: process.cpuUsage() };

  constructor(
    private readonly options: AutoscalerOptions,
    private readonly host: AutoscalerHost,
    private readonly cores = availableParallelism(),
  ) {}

  onGraph(graph: ExecutionGraph): void {
    this.graph = graph;
    this.history.clear();
    this.attemptStart = Number.POSITIVE_INFINITY;
  }

  onAttemptStarted(): void {
    this.history.clear();
    this.pending = false;
    this.attemptStart = Date.now();
    this.lastDecision = this.attemptStart + this.options.stabilizationMs;
    this.cpuAt = { time: this.attemptStart, usage: process.cpuUsage() };
  }

  onRestart(): void {
    this.attemptStart = Number.POSITIVE_INFINITY;
  }

  onSamples(samples: readonly SubtaskSample[], now = Date.now()): void {
    if (this.graph === undefined || this.pending || now < this.attemptStart + this.options.stabilizationMs) return;
    for (const s of samples) {
      const key = `${s.vertex}/${s.subtask}`;
      const list = this.history.get(key) ?? [];
      if (list.length === 0 || list[list.length - 1]!.time < s.time) list.push(s);
      while (list.length > 2 && list[1]!.time <= now - this.options.metricsWindowMs) list.shift();
      this.history.set(key, list);
    }
    if (now - this.lastDecision >= this.options.metricsWindowMs) this.decide(now);
  }

  private decide(now: number): void {
    const graph = this.graph!;
    // A source at the end of its bounded input: its rates say nothing about the load to come, and the job is ending.
    for (const v of graph.vertices) {
      if (v.nodes[0]!.kind !== 'source') continue;
      for (let i = 0; i < v.parallelism; i++) {
        const list = this.history.get(`${v.id}/${i}`);
        if (list !== undefined && list[list.length - 1]!.status === 'FINISHED') return;
      }
    }
    const windows = measureWindow(graph, this.history, now - this.options.metricsWindowMs);
    if (windows === undefined) return;
    const usage = process.cpuUsage(this.cpuAt.usage);
    const cpuCores = (usage.user + usage.system) / 1000 / Math.max(1, now - this.cpuAt.time);
    this.cpuAt = { time: now, usage: process.cpuUsage() };
    this.lastDecision = now;
    const o = this.options;
    let vertices = o.policy === 'ds2' ? ds2(windows, o) : thresholdPolicy(windows, o);
    const up = vertices.some((v) => v.proposed > v.current);
    const saturated = cpuCores >= CPU_SATURATED * this.cores;
    if (up && saturated) {
      vertices = vertices.map((v) =>
        v.proposed > v.current
          ? {
              ...v,
              proposed: v.current,
              reason: `${v.reason}; held: the process already uses ${cpuCores.toFixed(1)} of ${this.cores} cores, more subtasks cannot help`,
            }
          : v,
      );
    }
    const changed = vertices.filter((v) => v.proposed !== v.current);
    const parallelism: Record<string, number> = {};
    for (const v of graph.vertices) {
      const p = vertices.find((d) => d.id === v.id)?.proposed ?? v.parallelism;
      for (const n of v.nodes) parallelism[n.uid] = p;
    }
    const action = changed.length > 0 ? 'rescale' : up && saturated ? 'hold' : 'keep';
    const summary =
      changed.length === 0
        ? `keep (${vertices.map((v) => `${v.name} p=${v.current}`).join(', ')})`
        : `rescale ${changed.map((v) => `${v.name} p=${v.current}→${v.proposed}`).join(', ')}`;
    const limiting = vertices
      .filter((v) => v.neededUtilization !== undefined)
      .sort((a, b) => b.neededUtilization! - a.neededUtilization!)[0];
    const bottleneck =
      limiting === undefined
        ? undefined
        : {
            vertex: limiting.id,
            name: limiting.name,
            reason:
              `its target rate needs ${Math.round(limiting.neededUtilization! * 100)} % busy at p=${limiting.current}, ` +
              `the most of any vertex (true rate ${Math.round(limiting.trueRate ?? 0)}/s per subtask)`,
          };
    const decision: ScalingDecision = {
      number: this.decisions.length + 1,
      time: now,
      policy: o.policy,
      windowMs: o.metricsWindowMs,
      action,
      parallelism,
      vertices,
      bottleneck,
      cpuCores,
      cores: this.cores,
      summary,
    };
    this.decisions.push(decision);
    this.host.log(`autoscaler: decision ${decision.number}: ${summary}`);
    for (const v of vertices) this.host.log(`autoscaler:   ${v.name} (p=${v.current}): ${v.reason}`);
    if (bottleneck !== undefined) this.host.log(`autoscaler:   bottleneck: ${bottleneck.name} — ${bottleneck.reason}`);
    this.host.onDecision?.(decision);
    if (action === 'rescale') {
      this.pending = true;
      this.host.rescale(parallelism);
    }
  }
}
