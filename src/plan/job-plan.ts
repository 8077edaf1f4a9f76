import { PlanError } from '../core/errors.js';
import { DEFAULT_MAX_PARALLELISM } from '../core/key.js';
import { assignDefaultUids, DEFAULT_UID } from './default-uids.js';
import type { PlanNode } from './nodes.js';
import type { RestartStrategyConfig } from './restart-strategy.js';

/** Options of a whole job. */
export interface JobConfig {
  /** Default parallelism of operators. */
  parallelism: number;
  /** Number of key groups; the upper bound for rescaling keyed state. */
  maxParallelism: number;
  runtimeMode: 'streaming' | 'batch';
  /** Records per batch pulled from a source. */
  batchSize: number;
  /** Batches in flight per channel between subtasks before the sender waits (backpressure). */
  channelCredits: number;
  /** Where keyed state lives: 'heap' (JS maps, fastest) or 'disk' (LMDB with a hot cache, for state beyond memory). */
  stateBackend: 'heap' | 'disk';
  /** Working directory of the disk backend; default: a fresh directory under the system temp directory. */
  stateDir: string | undefined;
  /** What to do when the job fails while running; undefined: exponential delay with checkpointing, else none. */
  restartStrategy: RestartStrategyConfig | undefined;
  /**
   * Local-global aggregation (default on): keyed aggregates whose function has `merge` (rolling aggregates with
   * `emit: 'final'`, tumbling and sliding event-time window aggregates with the default trigger) pre-aggregate each
   * batch before the exchange and merge the partial accumulators after it. Results are the same either way
   * (floating-point sums may differ in their last bits, as they are added in another order); `false` turns it off.
   */
  localAggregation?: boolean;
  /**
   * Parallelism of single operators by uid, over what the job set (the autoscaler rescales this way). A chain takes
   * the parallelism of its operators; an operator whose parallelism a source or sink caps keeps the cap.
   */
  parallelismByUid?: Readonly<Record<string, number>>;
}

export const DEFAULT_JOB_CONFIG: JobConfig = {
  parallelism: 1,
  maxParallelism: DEFAULT_MAX_PARALLELISM,
  runtimeMode: 'streaming',
  batchSize: 1024,
  channelCredits: 4,
  stateBackend: 'heap',
  stateDir: undefined,
  restartStrategy: undefined,
};

/** A finished job description: the nodes reachable from its sinks, and its configuration. */
export interface JobPlan {
  readonly name: string;
  readonly nodes: readonly PlanNode[];
  readonly config: JobConfig;
}

/** Accumulates plan nodes in creation order, giving each a sequential id. Used by the API layer. */
export class PlanBuilder {
  private readonly nodes: PlanNode[] = [];
  private readonly uids = new Set<string>();

  nextId(): number {
    return this.nodes.length + 1;
  }

  add<N extends PlanNode>(node: N): N {
    if (node.id !== this.nextId()) throw new PlanError(`plan node ids must be sequential (got ${node.id})`);
    if (node.uid !== DEFAULT_UID) {
      if (this.uids.has(node.uid)) throw new PlanError(`two operators share the uid '${node.uid}'`);
      this.uids.add(node.uid);
    }
    this.nodes.push(node);
    return node;
  }

  /** Replaces a node by a changed copy with the same id (e.g. after `.name()` or `.setParallelism()`). */
  replace<N extends PlanNode>(node: N): N {
    const old = this.nodes[node.id - 1];
    if (old === undefined) throw new PlanError(`no plan node ${node.id}`);
    if (old.uid !== node.uid) {
      if (this.uids.has(node.uid)) throw new PlanError(`two operators share the uid '${node.uid}'`);
      this.uids.delete(old.uid);
      if (node.uid !== DEFAULT_UID) this.uids.add(node.uid);
    }
    this.nodes[node.id - 1] = node;
    return node;
  }

  get(id: number): PlanNode {
    const n = this.nodes[id - 1];
    if (n === undefined) throw new PlanError(`no plan node ${id}`);
    return n;
  }

  build(name: string, config: JobConfig): JobPlan {
    if (!this.nodes.some((n) => n.kind === 'sink')) {
      throw new PlanError('the job has no sink: add one with sinkTo(), print() or collect() before executing');
    }
    // Inputs point at node objects that may have been replaced since; they are resolved by id.
    return { name, nodes: assignDefaultUids(this.nodes), config };
  }
}
