/**
 * Kafka connectors (`sluice/kafka`): a source with checkpointed offsets and a sink with at-least-once or
 * exactly-once (transactional) delivery. They need the optional peer dependency @platformatic/kafka, loaded only
 * when a Kafka reader or writer opens; the main `sluice` entry never loads it.
 */

export { AlignedKafkaSource, type PartitionAlignmentOptions } from './aligned-source.js';
export { brokerList, KAFKA_CLIENT, partitionOwner } from './client.js';
export {
  type HybridKafkaStart,
  HybridSource,
  type HybridSourceOptions,
  type HybridSourceState,
} from './hybrid-source.js';
export { KafkaSink, type KafkaSinkOptions } from './kafka-sink.js';
export type { KafkaCommittable, KafkaSinkWriterState } from './kafka-sink-writer.js';
export {
  type KafkaPartitionOffset,
  type KafkaRecord,
  KafkaSource,
  type KafkaSourceOptions,
  type KafkaStartingOffsets,
} from './kafka-source.js';
export type { KafkaPartitionPosition, KafkaSourceState } from './kafka-source-reader.js';
export type { KafkaDeserializer, KafkaSerializer } from './serde.js';
