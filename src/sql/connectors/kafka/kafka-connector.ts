import { UNDECODED } from '../../../connectors/formats/json-projection.js';
import { KafkaSink } from '../../../connectors/kafka/kafka-sink.js';
import { KafkaSource, type KafkaStartingOffsets } from '../../../connectors/kafka/kafka-source.js';
import { WatermarkStrategies, type WatermarkStrategy } from '../../../core/watermark-strategy.js';
import { type Row, RowKind } from '../../runtime/row.js';
import type { RowField } from '../../types/sql-type.js';
import { ConnectorOptions, TableOptionError } from '../connector-options.js';
import { type JsonDecodeOptions, jsonRowDecoder } from '../formats/json-row-decoder.js';
import { jsonRowEncoder, type TimestampStandard } from '../formats/json-row-encoder.js';
import { compileRowProjection } from '../formats/row-line-formats.js';
import { addSink } from '../sink-node.js';
import type { ResolvedTable, ScanSource, SinkRequest, SourceRequest, TableConnector } from '../table-connector.js';
import { normalizeUpserts } from './changelog-normalize.js';

const JSON_OPTIONS = ['json.fail-on-missing-field', 'json.ignore-parse-errors', 'json.timestamp-format.standard'];
const COMMON = [
  'topic',
  'format',
  'value.format',
  'key.format',
  'key.fields',
  'value.fields-include',
  'scan.startup.mode',
  'scan.startup.timestamp-millis',
  'scan.bounded.mode',
  'sink.delivery-guarantee',
  'sink.transactional-id-prefix',
  'sink.partitioner',
  'sink.parallelism',
  ...JSON_OPTIONS,
  ...JSON_OPTIONS.map((o) => `key.${o}`),
  ...JSON_OPTIONS.map((o) => `value.${o}`),
];

interface KafkaTable {
  readonly options: ConnectorOptions;
  readonly brokers: string;
  readonly topics: string[];
  readonly decode: JsonDecodeOptions;
  readonly standard: TimestampStandard;
}

function kafkaTable(table: ResolvedTable, upsert: boolean): KafkaTable {
  const options = new ConnectorOptions(table);
  options.check(COMMON, ['properties.']);
  if (table.metadata.length > 0) {
    throw new TableOptionError(
      `The ${options.connector} connector provides no metadata column '${table.metadata[0]!.key}' yet (table '${table.name}')`,
      undefined,
    );
  }
  const formatKey = options.has('value.format') || upsert ? 'value.format' : 'format';
  const format = upsert ? options.required('value.format') : options.string(formatKey, options.string('format', ''));
  if (format !== 'json') {
    throw new TableOptionError(
      `Table '${table.name}': ${formatKey} '${format}' is not supported by the ${options.connector} connector (only 'json')`,
      formatKey,
    );
  }
  const keyFormat = upsert ? options.required('key.format') : options.string('key.format');
  if (keyFormat !== undefined && keyFormat !== 'json') {
    throw options.invalid('key.format', keyFormat, "'json'");
  }
  const pick = (o: string) => (options.string(`value.${o}`) === undefined ? o : `value.${o}`);
  return {
    options,
    brokers: options.required('properties.bootstrap.servers'),
    topics: options
      .required('topic')
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    decode: {
      failOnMissingField: options.boolean(pick('json.fail-on-missing-field'), false),
      ignoreParseErrors: options.boolean(pick('json.ignore-parse-errors'), false),
    },
    standard: options.choice(pick('json.timestamp-format.standard'), ['SQL', 'ISO-8601'] as const, 'SQL'),
  };
}

function startingOffsets(options: ConnectorOptions): KafkaStartingOffsets {
  const mode = options.choice(
    'scan.startup.mode',
    ['earliest-offset', 'latest-offset', 'group-offsets', 'timestamp'] as const,
    'group-offsets',
  );
  switch (mode) {
    case 'earliest-offset':
      return 'earliest';
    case 'latest-offset':
      return 'latest';
    case 'timestamp':
      options.required('scan.startup.timestamp-millis');
      return { timestamp: options.integer('scan.startup.timestamp-millis', 0, 0) };
    default:
      return 'committed';
  }
}

function keyFields(table: ResolvedTable, options: ConnectorOptions, upsert: boolean): number[] | undefined {
  const fields = table.physical.fields;
  if (upsert) {
    if (table.primaryKey === undefined || table.primaryKey.length === 0) {
      throw new TableOptionError(
        `Table '${table.name}' (connector 'upsert-kafka') needs a PRIMARY KEY (...) NOT ENFORCED: it is the record key`,
        undefined,
      );
    }
    return [...table.primaryKey];
  }
  const names = options.string('key.fields');
  if (names === undefined) return undefined;
  return names.split(';').map((n) => {
    const i = fields.findIndex((f) => f.name === n.trim());
    if (i < 0) throw options.invalid('key.fields', names, 'column names separated by ;');
    return i;
  });
}

/**
 * The table's watermark strategy as the Kafka source runs it, per partition (Flink pushes the WATERMARK into its
 * Kafka source: a reader gets its partitions chunk by chunk, so one watermark after the reader would make the records
 * of the partition read second late). Records without a value (null here, filtered right after the source) and
 * tombstone DELETEs (only key columns, no rowtime) keep their Kafka timestamp and do not move the watermark.
 */
function nullSafe(strategy: WatermarkStrategy<Row>): WatermarkStrategy<Row | null> {
  const assign = strategy.timestampAssigner;
  const keyOnly = (row: Row | null): row is null => row === null || row[0] === RowKind.DELETE;
  let result = WatermarkStrategies.forGenerator<Row | null>(() => {
    const generator = strategy.createGenerator();
    return {
      onEvent: (row, timestamp) => {
        if (!keyOnly(row)) generator.onEvent(row, timestamp);
      },
      currentWatermark: () => generator.currentWatermark(),
    };
  });
  if (assign !== undefined) {
    result = result.withTimestampAssigner((row, previous) => (keyOnly(row) ? previous : assign(row, previous)));
  }
  return strategy.idlenessMs === undefined ? result : result.withIdleness(strategy.idlenessMs);
}

function source(request: SourceRequest, upsert: boolean): ScanSource {
  const table = request.table;
  const t = kafkaTable(table, upsert);
  const physical = table.physical.fields;
  const projection = request.projection ?? physical.map((_, i) => i);
  const keys = keyFields(table, t.options, upsert) ?? [];
  // upsert-kafka is normalised by its key after the source: key columns the query does not read are decoded too,
  // after the projected ones (the watermark strategy sees the projected columns where it expects them).
  const decoded = upsert ? [...projection, ...keys.filter((k) => !projection.includes(k))] : projection;
  const fields: RowField[] = decoded.map((i) => physical[i]!);
  const decodeValue = jsonRowDecoder(fields, t.decode);
  // Values are decoded by the compiled projection of the decoded columns, with JSON.parse for what it leaves.
  const projectValue = compileRowProjection(fields);
  // A tombstone's row: the key's columns from the record key, every other column NULL.
  const keyTargets = keys.map((k) => decoded.indexOf(k));
  const decodeKey = jsonRowDecoder(
    keys.map((k) => physical[k]!),
    t.decode,
  );
  const bounded = t.options.choice('scan.bounded.mode', ['unbounded', 'latest-offset'] as const, 'unbounded');
  const groupId = t.options.string('properties.group.id');
  const start = startingOffsets(t.options);
  if (start === 'committed' && groupId === undefined) {
    throw new TableOptionError(
      `Table '${table.name}': 'scan.startup.mode' = 'group-offsets' (the default) needs 'properties.group.id'`,
      'properties.group.id',
    );
  }
  // Decoding in the deserializers: a value that is not JSON or does not fit the columns is a bad record naming the
  // topic, partition and offset (job failure, or the dead-letter output), not an exception out of the reader.
  const ignoreErrors = t.decode.ignoreParseErrors;
  const json = (bytes: Buffer) => {
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch (e) {
      throw new Error(`not JSON (${(e as Error).message})`);
    }
  };
  const valueJson = (bytes: Buffer) => {
    const value = projectValue === undefined ? UNDECODED : projectValue(bytes, 0, bytes.length);
    return value === UNDECODED ? json(bytes) : value;
  };
  const kafka = new KafkaSource<Row | null, Row | null, Row | null>({
    brokers: t.brokers,
    topics: t.topics,
    groupId,
    startingOffsets: start,
    ...(bounded === 'latest-offset' ? { stoppingOffsets: 'latest' as const } : {}),
    value: (bytes) => {
      if (bytes === null) return null;
      if (!ignoreErrors) return decodeValue(valueJson(bytes));
      // 'json.ignore-parse-errors': a row that cannot be parsed is skipped, as in Flink.
      try {
        return decodeValue(valueJson(bytes));
      } catch {
        return null;
      }
    },
    key: (bytes) => (!upsert || bytes === null ? null : decodeKey(json(bytes))),
    name: `${t.options.connector}:${table.name}`,
    map: (record) => {
      if (record.value !== null) return record.value;
      if (!upsert || record.key === null) return null;
      const row: Row = new Array(fields.length + 1).fill(null);
      row[0] = RowKind.DELETE;
      for (let i = 0; i < keyTargets.length; i++) row[keyTargets[i]! + 1] = record.key[i + 1];
      return row;
    },
  });
  let stream = request.env
    .fromSource(kafka, request.watermarks === undefined ? undefined : nullSafe(request.watermarks), kafka.name)
    .uid(request.uid)
    // Flink's kafka table skips records without a value (tombstones of a compacted topic).
    .filter((r): r is Row => r !== null)
    .uid(`${request.uid}-values`) as unknown as ScanSource['stream'];
  if (upsert) {
    stream = normalizeUpserts(
      stream,
      keys.map((k) => decoded.indexOf(k)),
      `ChangelogNormalize(${table.name})`,
      `${request.uid}-normalize`,
    );
    if (decoded.length > projection.length) {
      const width = projection.length + 1;
      stream = stream.map((row) => row.slice(0, width), `Calc(${table.name})`).uid(`${request.uid}-project`);
    }
  }
  return {
    stream,
    // upsert-kafka: an upsert changelog, normalised into a retract changelog (Flink's ChangelogNormalize).
    changelogMode: upsert ? 'retract' : 'insert-only',
    bounded: bounded === 'latest-offset',
    watermarked: request.watermarks !== undefined,
  };
}

function sink(request: SinkRequest, upsert: boolean): void {
  const table = request.table;
  const t = kafkaTable(table, upsert);
  const fields = table.physical.fields;
  const encodeValue = jsonRowEncoder(fields, t.standard);
  const keys = keyFields(table, t.options, upsert);
  const encodeKey =
    keys === undefined
      ? undefined
      : jsonRowEncoder(
          keys.map((k) => fields[k]!),
          t.standard,
        );
  const delivery = t.options.choice(
    'sink.delivery-guarantee',
    ['none', 'at-least-once', 'exactly-once'] as const,
    'at-least-once',
  );
  const prefix = t.options.string('sink.transactional-id-prefix');
  if (delivery === 'exactly-once' && prefix === undefined) {
    throw new TableOptionError(
      `Table '${table.name}': 'sink.delivery-guarantee' = 'exactly-once' needs 'sink.transactional-id-prefix'`,
      'sink.transactional-id-prefix',
    );
  }
  t.options.choice('sink.partitioner', ['default', 'fixed', 'round-robin'] as const);
  if (t.topics.length !== 1) throw t.options.invalid('topic', t.options.required('topic'), 'one topic for a sink');
  const kafka = new KafkaSink<Row>({
    brokers: t.brokers,
    topic: t.topics[0]!,
    delivery: delivery === 'exactly-once' ? 'exactly-once' : 'at-least-once',
    ...(prefix === undefined ? {} : { transactionalIdPrefix: prefix }),
    // upsert-kafka: a DELETE is a tombstone (the key without a value).
    value: (row) => (row[0] === RowKind.DELETE ? null : encodeValue(row, 1)),
    ...(encodeKey === undefined || keys === undefined
      ? {}
      : {
          key: (row: Row) =>
            encodeKey(
              keys.map((k) => row[k + 1]),
              0,
            ),
        }),
    name: `${t.options.connector}:${table.name}`,
  });
  // Flink's upsert-kafka writes nothing for UPDATE_BEFORE: the UPDATE_AFTER with the same key replaces the value.
  const input = upsert
    ? request.input.filter((r) => r[0] !== RowKind.UPDATE_BEFORE).uid(`${request.uid}-upserts`)
    : request.input;
  addSink(input, kafka, kafka.name, request.uid, t.options.integer('sink.parallelism', undefined, 1));
}

/** `'connector' = 'kafka'`: a topic of JSON values (append-only), on the engine's Kafka source and sink. */
export const kafkaConnector: TableConnector = {
  name: 'kafka',
  createSource: (request) => source(request, false),
  sinkModes: () => ['insert-only'],
  createSink: (request) => sink(request, false),
};

/**
 * `'connector' = 'upsert-kafka'`: a compacted topic keyed by the PRIMARY KEY; read as an upsert changelog (a
 * tombstone is a DELETE), written with UPDATE_BEFORE dropped and DELETE as a tombstone.
 */
export const upsertKafkaConnector: TableConnector = {
  name: 'upsert-kafka',
  createSource: (request) => source(request, true),
  sinkModes: () => ['insert-only', 'upsert', 'retract'],
  createSink: (request) => sink(request, true),
};
