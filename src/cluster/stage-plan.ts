/**
 * Cutting a job into stages for cluster mode, as Kafka Streams cuts a topology into sub-topologies: every keyBy
 * (hash partitioning) becomes a repartition topic; the nodes still connected without it form a stage. A stage runs
 * as tasks, one per partition of its input topics (its Kafka source topics, or the repartition topics it reads), and
 * each task is a small job of its own: the stage's operators at parallelism 1, reading that partition, with its own
 * checkpoints. Which process runs which task is decided through Kafka (see cluster-runner.ts).
 */

import { CollectSink, DiscardSink, PrintSink } from '../connectors/basic/simple-sinks.js';
import { AlignedKafkaSource } from '../connectors/kafka/aligned-source.js';
import { KafkaSink } from '../connectors/kafka/kafka-sink.js';
import { KafkaSource, topicList } from '../connectors/kafka/kafka-source.js';
import { PlanError } from '../core/errors.js';
import type { Sink } from '../core/sink.js';
import type { Source } from '../core/source.js';
import { WatermarkStrategies } from '../core/watermark-strategy.js';
import type { JobPlan } from '../plan/job-plan.js';
import type { KeySelector, PlanInput, PlanNode } from '../plan/nodes.js';
import { RepartitionSink, RepartitionSource, type RepartitionTopic } from './repartition.js';

/** A keyBy between two stages. */
export interface StageEdge {
  readonly topic: RepartitionTopic;
  readonly from: number;
  readonly to: number;
  /** The upstream node (written from) and the downstream node and input index (read into). */
  readonly upstream: PlanNode;
  readonly downstream: PlanNode;
  readonly input: number;
  readonly keySelector: KeySelector;
}

export interface Stage {
  readonly index: number;
  /** The job's nodes in this stage, in plan order. */
  readonly nodes: readonly PlanNode[];
  readonly tasks: number;
  readonly bounded: boolean;
}

export interface ClusterPlan {
  readonly jobId: string;
  readonly brokers: string;
  readonly plan: JobPlan;
  /** In dependency order: a stage comes after every stage it reads from. */
  readonly stages: readonly Stage[];
  readonly edges: readonly StageEdge[];
}

/** A task: one partition of one stage. Its name is also its state directory and transactional id suffix. */
export interface TaskId {
  readonly stage: number;
  readonly task: number;
}

export const taskName = (t: TaskId) => `s${t.stage}t${t.task}`;

/** Every task of the job, stage by stage. */
export function allTasks(cluster: ClusterPlan): TaskId[] {
  return cluster.stages.flatMap((s) => Array.from({ length: s.tasks }, (_, task) => ({ stage: s.index, task })));
}

/** The Kafka topics a source reads, or undefined when it is not a Kafka source. */
function kafkaTopics(source: Source<unknown>): readonly string[] | undefined {
  if (!(source instanceof KafkaSource || source instanceof AlignedKafkaSource)) return undefined;
  const options = source.options;
  if (options.topicPattern !== undefined) {
    throw new PlanError(`${source.name}: cluster mode needs a source with topics, not a topic pattern`);
  }
  return topicList(options.topics);
}

/** The Kafka topics the job's sources read (to look up their partition counts before planning). */
export function sourceTopics(plan: JobPlan): string[] {
  const topics = new Set<string>();
  for (const n of plan.nodes) if (n.kind === 'source') for (const t of kafkaTopics(n.source) ?? []) topics.add(t);
  return [...topics];
}

/** Topic names allow [a-zA-Z0-9._-]. */
const topicSafe = (s: string) => s.replace(/[^a-zA-Z0-9._-]/g, '_');

export interface ClusterPlanOptions {
  readonly jobId: string;
  readonly brokers: string;
  /** Partitions of each Kafka source topic, from the cluster's metadata. */
  readonly partitions: ReadonlyMap<string, number>;
  /** Tasks of stages that read only repartition topics. Default: the most partitions of any source topic. */
  readonly defaultTasks?: number;
}

/**
 * Cuts the plan at its keyBy edges.
 *
 * @throws PlanError for plans cluster mode cannot run: non-Kafka sources, sources over topics with different
 *   partition counts in one stage, broadcast or global edges (they would need every task's records in one place),
 *   or a keyBy whose two ends are also connected without it.
 */
export function planCluster(plan: JobPlan, options: ClusterPlanOptions): ClusterPlan {
  const nodes = plan.nodes;
  // Union-find over nodes joined by any edge but a keyBy.
  const parent = new Map<number, number>(nodes.map((n) => [n.id, n.id]));
  const find = (id: number): number => {
    let r = id;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(id, r);
    return r;
  };
  for (const n of nodes) {
    for (const input of n.inputs) {
      const kind = input.partitioning?.kind;
      if (kind === 'broadcast' || kind === 'global') {
        throw new PlanError(
          `cluster mode cannot run '${n.name}': its input is partitioned '${kind}', which needs the records of all ` +
            'partitions in one task (only keyBy edges cross processes)',
        );
      }
      if (kind !== 'hash') parent.set(find(n.id), find(input.node.id));
    }
  }
  const roots = [...new Set(nodes.map((n) => find(n.id)))];
  const stageOfRoot = new Map(roots.map((r, i) => [r, i]));
  const stageOf = (n: PlanNode) => stageOfRoot.get(find(n.id))!;

  // Edges between stages; order stages so that every stage follows the stages it reads from.
  const rawEdges: Omit<StageEdge, 'topic'>[] = [];
  for (const n of nodes) {
    n.inputs.forEach((input, i) => {
      if (input.partitioning?.kind !== 'hash') return;
      const from = stageOf(input.node);
      const to = stageOf(n);
      if (from === to) {
        throw new PlanError(
          `cluster mode cannot run '${n.name}': its keyBy input comes from the same stage by another path`,
        );
      }
      rawEdges.push({
        from,
        to,
        upstream: input.node,
        downstream: n,
        input: i,
        keySelector: input.partitioning.keySelector,
      });
    });
  }
  const order = topologicalOrder(roots.length, rawEdges);
  const renumber = new Map(order.map((old, i) => [old, i]));

  const maxTopicPartitions = Math.max(0, ...options.partitions.values());
  const defaultTasks = options.defaultTasks ?? maxTopicPartitions;
  const stages: Stage[] = [];
  const edges: StageEdge[] = [];
  for (const old of order) {
    const index = renumber.get(old)!;
    const members = nodes.filter((n) => stageOf(n) === old);
    let tasks: number | undefined;
    let bounded = true;
    for (const n of members) {
      if (n.kind === 'sink') checkSink(n.sink);
      if (n.kind !== 'source') continue;
      const topics = kafkaTopics(n.source);
      if (topics === undefined) {
        throw new PlanError(
          `cluster mode reads its input from Kafka: source '${n.name}' is not a Kafka source (KafkaSource)`,
        );
      }
      bounded &&= n.source.boundedness === 'bounded';
      for (const topic of topics) {
        const count = options.partitions.get(topic);
        if (count === undefined) throw new PlanError(`${n.name}: no partition count for topic '${topic}'`);
        if (tasks !== undefined && tasks !== count) {
          throw new PlanError(
            `cluster mode: the Kafka topics read in one stage must have the same number of partitions (task i reads partition i of each); '${topic}' has ${count}, another ${tasks}`,
          );
        }
        tasks = count;
      }
    }
    for (const e of rawEdges.filter((x) => x.to === old)) bounded &&= stages[renumber.get(e.from)!]!.bounded;
    tasks ??= defaultTasks;
    if (!(tasks > 0)) throw new PlanError('cluster mode: a stage without tasks (no Kafka source topic has partitions)');
    stages.push({ index, nodes: members, tasks, bounded });
    for (const e of rawEdges.filter((x) => x.to === old)) {
      const from = renumber.get(e.from)!;
      const name = topicSafe(`sluice-${options.jobId}-${e.downstream.uid}-${e.input}-repartition`);
      edges.push({
        ...e,
        from,
        to: index,
        topic: { name, partitions: tasks, origins: stages[from]!.tasks },
      });
    }
  }
  return { jobId: options.jobId, brokers: options.brokers, plan, stages, edges };
}

function checkSink(sink: Sink<unknown>): void {
  if (sink instanceof KafkaSink || sink instanceof PrintSink || sink instanceof DiscardSink) return;
  if (sink instanceof CollectSink) return;
  throw new PlanError(
    `cluster mode writes to Kafka (or print/discard): sink '${sink.name}' would be written by every process at once`,
  );
}

/** Kahn's algorithm over stage indexes. @throws PlanError on a cycle between stages. */
function topologicalOrder(count: number, edges: readonly { from: number; to: number }[]): number[] {
  const indegree = new Array<number>(count).fill(0);
  for (const e of edges) indegree[e.to]!++;
  const ready = indegree.flatMap((d, i) => (d === 0 ? [i] : []));
  const order: number[] = [];
  while (ready.length > 0) {
    const s = ready.shift()!;
    order.push(s);
    for (const e of edges) if (e.from === s && --indegree[e.to]! === 0) ready.push(e.to);
  }
  if (order.length !== count) throw new PlanError('cluster mode: the keyBy edges of the job form a cycle of stages');
  return order;
}

/**
 * The job one task runs: its stage's nodes at parallelism 1, Kafka sources narrowed to the task's partition,
 * keyBy inputs read from repartition topics, keyBy outputs written to them, and exactly-once Kafka sinks with
 * transactional ids of their own per task (so a task's transactions are recovered by whichever process runs it).
 */
export function taskPlan(cluster: ClusterPlan, id: TaskId): JobPlan {
  const stage = cluster.stages[id.stage]!;
  const { brokers } = cluster;
  const name = taskName(id);
  const out: PlanNode[] = [];
  const mapped = new Map<number, PlanNode>();
  const add = <N extends PlanNode>(node: N): N => {
    out.push(node);
    return node;
  };
  const nextId = () => out.length + 1;
  for (const n of stage.nodes) {
    const inputs: PlanInput[] = n.inputs.map((input, i) => {
      if (input.partitioning?.kind !== 'hash') return { ...input, node: mapped.get(input.node.id)! };
      const edge = cluster.edges.find((e) => e.downstream.id === n.id && e.input === i)!;
      const source = add({
        id: nextId(),
        uid: `__repartition-in-${edge.topic.name}`,
        name: `repartition ${edge.topic.name}`,
        parallelism: undefined,
        inputs: [],
        kind: 'source',
        source: new RepartitionSource({
          brokers,
          topic: edge.topic,
          partition: id.task,
          bounded: cluster.stages[edge.from]!.bounded,
        }) as Source<unknown>,
        watermarks: WatermarkStrategies.noWatermarks(),
      });
      return { node: source, partitioning: input.partitioning };
    });
    const node = add({ ...narrow(n, id.task, name), id: nextId(), parallelism: undefined, inputs } as PlanNode);
    mapped.set(n.id, node);
  }
  for (const edge of cluster.edges.filter((e) => e.from === id.stage)) {
    add({
      id: nextId(),
      uid: `__repartition-out-${edge.topic.name}`,
      name: `repartition ${edge.topic.name}`,
      parallelism: undefined,
      inputs: [{ node: mapped.get(edge.upstream.id)!, partitioning: { kind: 'forward' } }],
      kind: 'sink',
      sink: new RepartitionSink({
        brokers,
        topic: edge.topic,
        origin: id.task,
        keySelector: edge.keySelector,
        maxParallelism: cluster.plan.config.maxParallelism,
        transactionalIdPrefix: `sluice-${cluster.jobId}-${name}-${edge.topic.name}`,
      }) as Sink<unknown>,
    });
  }
  return {
    name: `${cluster.plan.name} ${name}`,
    nodes: out,
    config: { ...cluster.plan.config, parallelism: 1 },
  };
}

/** A node of the task's stage with its Kafka source narrowed to the task's partition and its Kafka sink's ids. */
function narrow(n: PlanNode, partition: number, name: string): PlanNode {
  if (n.kind === 'source' && (n.source instanceof KafkaSource || n.source instanceof AlignedKafkaSource)) {
    // With one partition per task, timestamp alignment across partitions has nothing to do: a plain reader.
    return { ...n, source: new KafkaSource({ ...n.source.options, partitions: [partition] }) as Source<unknown> };
  }
  if (n.kind === 'sink' && n.sink instanceof KafkaSink) {
    const options = n.sink.options;
    if (options.delivery !== 'exactly-once') return n;
    return {
      ...n,
      sink: new KafkaSink({ ...options, transactionalIdPrefix: `${options.transactionalIdPrefix}-${name}` }),
    };
  }
  return n;
}
