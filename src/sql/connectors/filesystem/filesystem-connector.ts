import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LineFormat } from '../../../connectors/files/line-format.js';
import type { ChangelogMode, Row } from '../../runtime/row.js';
import type { RowField } from '../../types/sql-type.js';
import { ConnectorOptions, TableOptionError } from '../connector-options.js';
import type { JsonDecodeOptions } from '../formats/json-row-decoder.js';
import type { TimestampStandard } from '../formats/json-row-encoder.js';
import {
  csvLineEncoder,
  debeziumLineEncoder,
  jsonLineEncoder,
  type RowLineEncoder,
} from '../formats/row-line-encoders.js';
import {
  csvRowLineFormat,
  debeziumRowLineFormat,
  jsonRowLineFormat,
  type RowGroup,
} from '../formats/row-line-formats.js';
import { addSink } from '../sink-node.js';
import type { ResolvedTable, ScanSource, SinkRequest, SourceRequest, TableConnector } from '../table-connector.js';
import { isFilePath, SqlFileSink } from './sql-file-sink.js';
import { SqlFileSource } from './sql-file-source.js';

const FORMATS = ['json', 'csv', 'debezium-json'] as const;
type Format = (typeof FORMATS)[number];

const COMMON = ['path', 'format', 'source.monitor-interval', 'sink.parallelism'];
const FORMAT_OPTIONS: Record<Format, readonly string[]> = {
  json: [
    'json.fail-on-missing-field',
    'json.ignore-parse-errors',
    'json.timestamp-format.standard',
    'json.encode.decimal-as-plain-number',
  ],
  csv: [
    'csv.field-delimiter',
    'csv.ignore-parse-errors',
    'csv.allow-comments',
    'csv.null-literal',
    'csv.quote-character',
  ],
  'debezium-json': [
    'debezium-json.schema-include',
    'debezium-json.ignore-parse-errors',
    'debezium-json.timestamp-format.standard',
  ],
};
const EXTENSIONS: Record<Format, string> = { json: '.json', csv: '.csv', 'debezium-json': '.json' };

/** The table's options, checked: the format, its options and the path resolved against the script's directory. */
interface FileTable {
  readonly options: ConnectorOptions;
  readonly format: Format;
  readonly path: string;
}

function fileTable(table: ResolvedTable): FileTable {
  const options = new ConnectorOptions(table);
  const format = options.choice('format', FORMATS);
  if (format === undefined) {
    throw new TableOptionError(
      `Table '${table.name}' (connector 'filesystem') needs the option 'format' ('json', 'csv' or 'debezium-json')`,
      'format',
    );
  }
  options.check([...COMMON, ...FORMAT_OPTIONS[format]]);
  if (table.metadata.length > 0) {
    throw new TableOptionError(
      `The filesystem connector provides no metadata column '${table.metadata[0]!.key}' (table '${table.name}')`,
      undefined,
    );
  }
  const quote = options.string('csv.quote-character');
  if (quote !== undefined && quote !== '"')
    throw options.invalid('csv.quote-character', quote, `'"' (the only quote character supported)`);
  return { options, format, path: resolve(table.baseDir, options.required('path')) };
}

function decodeOptions(t: FileTable): JsonDecodeOptions {
  const prefix = t.format === 'debezium-json' ? 'debezium-json' : 'json';
  return {
    failOnMissingField: t.options.boolean('json.fail-on-missing-field', false),
    ignoreParseErrors: t.options.boolean(`${prefix}.ignore-parse-errors`, false),
  };
}

function timestampStandard(t: FileTable): TimestampStandard {
  const prefix = t.format === 'debezium-json' ? 'debezium-json' : 'json';
  return t.options.choice(`${prefix}.timestamp-format.standard`, ['SQL', 'ISO-8601'] as const, 'SQL');
}

function delimiter(t: FileTable): string {
  const raw = t.options.string('csv.field-delimiter', ',');
  const d = raw === '\\t' ? '\t' : raw;
  if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') {
    throw t.options.invalid('csv.field-delimiter', raw, "a single character other than '\"' and a line break");
  }
  return d;
}

/**
 * `'connector' = 'filesystem'`: a file or a directory of files (names starting with '.' or '_' skipped) in the
 * json, csv or debezium-json format; see docs/SQL.md for the options. As a source it is bounded unless
 * 'source.monitor-interval' is set (then the directory is watched for new files). As a sink, 'path' is a directory
 * of part files (exactly-once with checkpoints), or one file when it has the format's extension.
 */
export const filesystemConnector: TableConnector = {
  name: 'filesystem',

  createSource(request: SourceRequest): ScanSource {
    const t = fileTable(request.table);
    if (!existsSync(t.path)) {
      throw new TableOptionError(
        `Table '${request.table.name}': 'path' = '${t.options.string('path')}' does not exist (resolved to ${t.path})`,
        'path',
      );
    }
    const physical = request.table.physical.fields;
    const fields: RowField[] =
      request.projection === undefined ? [...physical] : request.projection.map((i) => physical[i]!);
    let format: LineFormat<Row | RowGroup>;
    let changelogMode: ChangelogMode = 'insert-only';
    switch (t.format) {
      case 'json':
        format = jsonRowLineFormat(fields, decodeOptions(t));
        break;
      case 'debezium-json':
        format = debeziumRowLineFormat(fields, decodeOptions(t));
        changelogMode = 'retract';
        break;
      case 'csv':
        // Positional: a line holds every physical column, whatever the query projects.
        format = csvRowLineFormat(
          physical,
          {
            delimiter: delimiter(t),
            ignoreParseErrors: t.options.boolean('csv.ignore-parse-errors', false),
            allowComments: t.options.boolean('csv.allow-comments', false),
            nullLiteral: t.options.string('csv.null-literal'),
          },
          request.projection,
        );
        break;
    }
    const monitor = t.options.duration('source.monitor-interval');
    const name = `filesystem:${request.table.name}`;
    const source = new SqlFileSource(name, t.path, format, monitor, t.format === 'debezium-json');
    const stream = request.env.fromSource(source, undefined, name).uid(request.uid);
    return { stream, changelogMode, bounded: monitor === undefined };
  },

  sinkModes(table: ResolvedTable): readonly ChangelogMode[] {
    const t = fileTable(table);
    return t.format === 'debezium-json' ? ['insert-only', 'retract'] : ['insert-only'];
  },

  createSink(request: SinkRequest): void {
    const t = fileTable(request.table);
    const fields = request.table.physical.fields;
    let encoder: RowLineEncoder;
    switch (t.format) {
      case 'json':
        encoder = jsonLineEncoder(fields, timestampStandard(t));
        break;
      case 'debezium-json':
        encoder = debeziumLineEncoder(fields, timestampStandard(t));
        break;
      case 'csv':
        encoder = csvLineEncoder(fields, delimiter(t), t.options.string('csv.null-literal', ''));
        break;
    }
    const single = isFilePath(t.path, t.format === 'csv' ? ['.csv'] : ['.json', '.jsonl']);
    const name = `filesystem:${request.table.name}`;
    const sink = new SqlFileSink(name, t.path, EXTENSIONS[t.format], encoder, single);
    addSink(request.input, sink, name, request.uid, t.options.integer('sink.parallelism', undefined, 1));
  },
};
