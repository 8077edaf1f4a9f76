import { GeneratorSource } from '../../connectors/basic/generator-source.js';
import type { Row } from '../runtime/row.js';
import type { RowField, SqlType } from '../types/sql-type.js';
import { ConnectorOptions, TableOptionError } from './connector-options.js';
import type { ScanSource, SourceRequest, TableConnector } from './table-connector.js';

type Generate = (index: number) => unknown;

/** A deterministic uniform number in [0, 1) for (row index, salt): the same row gets the same values on any subtask. */
function uniform(index: number, salt: number): number {
  let h = (Math.imul(index ^ (index / 4294967296), 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

const INT_RANGES: Record<string, [number, number]> = {
  TINYINT: [-128, 127],
  SMALLINT: [-32768, 32767],
  INT: [-2147483648, 2147483647],
  BIGINT: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

interface FieldPlan {
  readonly generate: Generate;
  /** Rows a sequence field can produce (it bounds the table), else undefined. */
  readonly rows?: number;
}

function fieldPlan(options: ConnectorOptions, field: RowField, salt: number): FieldPlan {
  const key = (o: string) => `fields.${field.name}.${o}`;
  const type: SqlType = field.type;
  const kind = options.choice(key('kind'), ['random', 'sequence'] as const, 'random');
  const nullRate = options.number(key('null-rate'), 0);
  const withNulls = (g: Generate): Generate =>
    nullRate <= 0 ? g : (i) => (uniform(i, salt + 7919) < nullRate ? null : g(i));
  if (kind === 'sequence') {
    const start = options.integer(key('start'), undefined);
    const end = options.integer(key('end'), undefined);
    if (start === undefined || end === undefined) {
      throw new TableOptionError(
        `datagen field '${field.name}' of kind 'sequence' needs '${key('start')}' and '${key('end')}'`,
        start === undefined ? key('start') : key('end'),
      );
    }
    const asString = type.kind === 'VARCHAR' || type.kind === 'CHAR';
    return { generate: withNulls(asString ? (i) => String(start + i) : (i) => start + i), rows: end - start + 1 };
  }
  const range = INT_RANGES[type.kind];
  if (range !== undefined) {
    const min = options.integer(key('min'), range[0]);
    const max = options.integer(key('max'), range[1]);
    return { generate: withNulls((i) => min + Math.floor(uniform(i, salt) * (max - min + 1))) };
  }
  switch (type.kind) {
    case 'FLOAT':
    case 'DOUBLE':
    case 'DECIMAL': {
      const min = options.number(key('min'), 0);
      const max = options.number(key('max'), type.kind === 'DECIMAL' ? 10 ** (type.precision - type.scale) - 1 : 1);
      const scale = type.kind === 'DECIMAL' ? type.scale : undefined;
      return {
        generate: withNulls((i) => {
          const v = min + uniform(i, salt) * (max - min);
          return scale === undefined ? v : Number(v.toFixed(scale));
        }),
      };
    }
    case 'BOOLEAN':
      return { generate: withNulls((i) => uniform(i, salt) < 0.5) };
    case 'CHAR':
    case 'VARCHAR': {
      const length = options.integer(key('length'), 100, 0);
      return {
        generate: withNulls((i) => {
          let s = '';
          for (let k = 0; k < length; k++) s += Math.floor(uniform(i, salt * 131 + k) * 16).toString(16);
          return s;
        }),
      };
    }
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      const maxPast = options.duration(key('max-past')) ?? 0;
      return { generate: withNulls((i) => Date.now() - Math.floor(uniform(i, salt) * maxPast)) };
    }
    case 'DATE':
      return { generate: withNulls(() => Math.floor(Date.now() / 86_400_000)) };
    default:
      throw new TableOptionError(`datagen cannot generate ${type.kind} (field '${field.name}')`, key('kind'));
  }
}

const FIELD_OPTIONS = ['kind', 'min', 'max', 'length', 'start', 'end', 'null-rate', 'max-past'];

/**
 * `'connector' = 'datagen'`: Flink's data generator. Random fields are a pure function of (row number, field), so
 * a table reads the same at any parallelism (timestamps excepted: they follow the clock, as in Flink). A sequence
 * field bounds the table to its length; 'number-of-rows' bounds it too; 'rows-per-second' paces it (default 10000).
 */
export const datagenConnector: TableConnector = {
  name: 'datagen',
  createSource(request: SourceRequest): ScanSource {
    const options = new ConnectorOptions(request.table);
    const physical = request.table.physical.fields;
    const names = new Set(physical.map((f) => f.name));
    options.check(['rows-per-second', 'number-of-rows'], ['fields.']);
    for (const key of options.keys()) {
      if (!key.startsWith('fields.')) continue;
      const rest = key.slice('fields.'.length);
      const dot = rest.lastIndexOf('.');
      const field = rest.slice(0, dot);
      const option = rest.slice(dot + 1);
      if (!names.has(field) || !FIELD_OPTIONS.includes(option)) {
        throw new TableOptionError(
          `Unsupported option '${key}' of datagen table '${request.table.name}' (fields.<column>.{${FIELD_OPTIONS.join(',')}})`,
          key,
        );
      }
    }
    const plans = physical.map((f, i) => fieldPlan(options, f, i + 1));
    const projection = request.projection ?? physical.map((_, i) => i);
    const generators = projection.map((i) => plans[i]!.generate);
    let count = options.integer('number-of-rows', undefined, 0);
    for (const p of plans) if (p.rows !== undefined) count = Math.min(count ?? p.rows, p.rows);
    const rate = options.number('rows-per-second', 10_000);
    const n = generators.length;
    const source = new GeneratorSource<Row>(
      (index) => {
        const row: Row = new Array(n + 1);
        row[0] = 0;
        for (let k = 0; k < n; k++) row[k + 1] = generators[k]!(index);
        return row;
      },
      { count, ratePerSecond: rate > 0 ? rate : undefined, name: `datagen:${request.table.name}` },
    );
    const stream = request.env.fromSource(source, undefined, source.name).uid(request.uid);
    return { stream, changelogMode: 'insert-only', bounded: count !== undefined };
  },
};
