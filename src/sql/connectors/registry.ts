import { datagenConnector } from './datagen-connector.js';
import { filesystemConnector } from './filesystem/filesystem-connector.js';
import { kafkaConnector, upsertKafkaConnector } from './kafka/kafka-connector.js';
import { nexmarkConnector } from './nexmark/nexmark-connector.js';
import { blackholeConnector, printConnector } from './print-connector.js';
import type { TableConnector } from './table-connector.js';

/** What each built-in connector is, for SHOW-like listings and the docs. */
export const CONNECTORS: readonly {
  readonly name: string;
  readonly source: boolean;
  readonly sink: boolean;
  readonly description: string;
}[] = [
  { name: 'filesystem', source: true, sink: true, description: 'files or directories in json, csv or debezium-json' },
  { name: 'nexmark', source: true, sink: false, description: 'the seeded Nexmark benchmark generator' },
  { name: 'datagen', source: true, sink: false, description: 'random or sequence data' },
  { name: 'print', source: false, sink: true, description: 'rows to stdout as +I[...]' },
  { name: 'blackhole', source: false, sink: true, description: 'discards rows' },
  { name: 'kafka', source: true, sink: true, description: 'a Kafka topic of JSON values' },
  { name: 'upsert-kafka', source: true, sink: true, description: 'a compacted Kafka topic keyed by the primary key' },
];

const BY_NAME: ReadonlyMap<string, TableConnector> = new Map(
  [
    filesystemConnector,
    nexmarkConnector,
    datagenConnector,
    printConnector,
    blackholeConnector,
    kafkaConnector,
    upsertKafkaConnector,
  ].map((c) => [c.name, c]),
);

/** The connector named by a table's 'connector' option (case-insensitive), or undefined for an unknown name. */
export function connectorFor(name: string): TableConnector | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Names of the built-in connectors, for "Did you mean" suggestions. */
export function connectorNames(): string[] {
  return [...BY_NAME.keys()];
}
