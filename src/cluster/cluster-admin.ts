/** What a cluster job asks of Kafka besides membership: partition counts, the cluster id, repartition topics. */
import type { Admin } from '@platformatic/kafka';
import { brokerList, describeKafkaError, loadKafka, protocolErrorIds, sleep } from '../connectors/kafka/client.js';
import { SluiceError } from '../core/errors.js';
import type { RepartitionTopic } from './repartition.js';

export class ClusterAdmin {
  private constructor(
    private readonly admin: Admin,
    private readonly brokers: string,
  ) {}

  static async connect(brokers: string): Promise<ClusterAdmin> {
    const lib = await loadKafka();
    return new ClusterAdmin(
      new lib.Admin({ clientId: 'sluice-cluster', bootstrapBrokers: brokerList(brokers), retries: 5, retryDelay: 250 }),
      brokers,
    );
  }

  /**
   * The Kafka cluster's id, the partition count of each topic and each topic's id (which changes when a topic is
   * deleted and created again). @throws SluiceError naming a missing topic.
   */
  async describe(
    topics: readonly string[],
  ): Promise<{ clusterId: string; partitions: Map<string, number>; topicIds: Map<string, string> }> {
    let metadata: Awaited<ReturnType<Admin['metadata']>>;
    try {
      metadata = await this.admin.metadata({ topics: [...topics], forceUpdate: true });
    } catch (e) {
      if (protocolErrorIds(e).includes('UNKNOWN_TOPIC_OR_PARTITION')) {
        throw new SluiceError(`a Kafka topic of ${topics.join(', ')} does not exist`);
      }
      throw new SluiceError(
        `cannot read the metadata of the Kafka cluster at ${this.brokers}: ${describeKafkaError(e)}`,
      );
    }
    const partitions = new Map<string, number>();
    const topicIds = new Map<string, string>();
    for (const t of topics) {
      const topic = metadata.topics.get(t);
      if (topic === undefined || topic.partitionsCount === 0)
        throw new SluiceError(`Kafka topic '${t}' does not exist`);
      partitions.set(t, topic.partitionsCount);
      topicIds.set(t, topic.id);
    }
    return { clusterId: metadata.id, partitions, topicIds };
  }

  /**
   * Creates the repartition topics that do not exist yet (every process may try; the first wins) and waits until the
   * cluster's metadata shows them with the expected partition counts.
   *
   * @throws SluiceError when a topic exists with another partition count, or does not appear within 30 s.
   */
  async ensureTopics(topics: readonly RepartitionTopic[]): Promise<void> {
    if (topics.length === 0) return;
    for (const t of topics) {
      try {
        await this.admin.createTopics({ topics: [t.name], partitions: t.partitions });
      } catch (e) {
        if (!protocolErrorIds(e).includes('TOPIC_ALREADY_EXISTS')) {
          throw new SluiceError(`cannot create repartition topic ${t.name}: ${describeKafkaError(e)}`);
        }
      }
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const metadata = await this.admin
        .metadata({ topics: topics.map((t) => t.name), forceUpdate: true })
        .catch(() => undefined);
      const counts = topics.map((t) => metadata?.topics.get(t.name)?.partitionsCount ?? 0);
      const wrong = topics.find((t, i) => counts[i]! > 0 && counts[i] !== t.partitions);
      if (wrong !== undefined) {
        throw new SluiceError(
          `repartition topic ${wrong.name} exists with ${counts[topics.indexOf(wrong)]} partitions, the job needs ${wrong.partitions}`,
        );
      }
      if (counts.every((c) => c > 0)) return;
      if (Date.now() > deadline) throw new SluiceError('the repartition topics did not appear within 30 s');
      await sleep(200);
    }
  }

  async close(): Promise<void> {
    await this.admin.close();
  }
}
