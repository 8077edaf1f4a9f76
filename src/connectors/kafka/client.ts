/**
 * Access to the Kafka client library, @platformatic/kafka. It is an optional peer dependency of Sluice: only the
 * Kafka connectors load it, with a dynamic import when a reader or writer opens, so a job (or a user) that never
 * touches Kafka never loads or installs it. Types come from the library but are erased at run time.
 */
import { SluiceError } from '../../core/errors.js';

export type KafkaLib = typeof import('@platformatic/kafka');

/** The exact version the connectors are developed and tested against (see docs/KAFKA.md). */
export const KAFKA_CLIENT = '@platformatic/kafka@1.35.0';

let loading: Promise<KafkaLib> | undefined;

/**
 * Loads @platformatic/kafka once per thread.
 *
 * @throws SluiceError naming the package to install when it is missing.
 */
export function loadKafka(): Promise<KafkaLib> {
  loading ??= import('@platformatic/kafka').catch((e: unknown) => {
    loading = undefined;
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new SluiceError(
        `install @platformatic/kafka to use the Kafka connectors: npm install --save-exact ${KAFKA_CLIENT}`,
      );
    }
    throw e;
  });
  return loading;
}

/** Brokers as the client wants them: "host:port" strings; accepts a comma-separated string or a list. */
export function brokerList(brokers: string | readonly string[]): string[] {
  const list = (typeof brokers === 'string' ? brokers.split(',') : [...brokers])
    .map((b) => b.trim().replace(/^kafka:\/\//, ''))
    .filter((b) => b !== '');
  if (list.length === 0) throw new SluiceError('no Kafka bootstrap brokers given');
  return list;
}

/** The ids ("NOT_COORDINATOR", ...) of the Kafka protocol errors inside a client error, outermost first. */
export function protocolErrorIds(error: unknown): string[] {
  const ids: string[] = [];
  const seen = new Set<unknown>();
  const walk = (e: unknown) => {
    if (e === null || typeof e !== 'object' || seen.has(e)) return;
    seen.add(e);
    const apiId = (e as { apiId?: unknown }).apiId;
    if (typeof apiId === 'string') ids.push(apiId);
    const nested = (e as { errors?: unknown }).errors;
    if (Array.isArray(nested)) for (const n of nested) walk(n);
    walk((e as { cause?: unknown }).cause);
  };
  walk(error);
  return ids;
}

/** A one-line description of a client error, with the protocol error ids it carries. */
export function describeKafkaError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const ids = [...new Set(protocolErrorIds(error))];
  return ids.length === 0 ? message : `${message} [${ids.join(', ')}]`;
}

export const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

/** A stable non-negative 31-bit hash of a topic name (Java's String.hashCode, as Flink uses it). */
export function topicHash(topic: string): number {
  let h = 0;
  for (let i = 0; i < topic.length; i++) h = (Math.imul(h, 31) + topic.charCodeAt(i)) | 0;
  return h & 0x7fffffff;
}

/**
 * The reader (of `parallelism`) that owns a partition. As in Flink's Kafka source: the partitions of one topic are
 * spread round-robin starting at a reader derived from the topic name, so every reader gets a fair share of each
 * topic and the owner of a partition never depends on which other partitions or topics exist.
 */
export function partitionOwner(topic: string, partition: number, parallelism: number): number {
  return ((((topicHash(topic) * 31) & 0x7fffffff) % parallelism) + partition) % parallelism;
}
