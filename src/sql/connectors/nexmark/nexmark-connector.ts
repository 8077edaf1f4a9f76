import type { NexmarkConfig } from '../../../connectors/nexmark/generator-config.js';
import type { NexmarkEvent } from '../../../connectors/nexmark/model.js';
import { NexmarkSource, type NexmarkSourceOptions } from '../../../connectors/nexmark/nexmark-source.js';
import type { Source, SourceOutput, SourceReader, SourceReaderContext } from '../../../core/source.js';
import type { Row } from '../../runtime/row.js';
import type { RowField, SqlType } from '../../types/sql-type.js';
import { ConnectorOptions, TableOptionError } from '../connector-options.js';
import type { ScanSource, SourceRequest, TableConnector } from '../table-connector.js';

/** Options of the reference's nexmark table source, and Sluice's own ('seed', 'base-time'). */
const OPTIONS = [
  'first-event.rate',
  'next-event.rate',
  'events.num',
  'person.proportion',
  'auction.proportion',
  'bid.proportion',
  'person.avg-size',
  'auction.avg-size',
  'bid.avg-size',
  'bid.hot-ratio.auctions',
  'bid.hot-ratio.bidders',
  'auction.hot-ratio.sellers',
  'rate.shape',
  'rate.period',
  'rate.limited',
  'keep-alive',
  'stop-at',
  'max-emit-speed',
  'seed',
  'base-time',
];

/** Fields of each event kind, by name, as the data model (and the reference's DDL) name them. */
const MODEL_FIELDS: Record<'person' | 'auction' | 'bid', readonly string[]> = {
  person: ['id', 'name', 'emailAddress', 'creditCard', 'city', 'state', 'dateTime', 'extra'],
  auction: [
    'id',
    'itemName',
    'description',
    'initialBid',
    'reserve',
    'dateTime',
    'expires',
    'seller',
    'category',
    'extra',
  ],
  bid: ['auction', 'bidder', 'price', 'channel', 'url', 'dateTime', 'extra'],
};

/** A column's value as JavaScript source text over the event `e` (compiled into one row builder per table). */
type Extract = string;

/** Bytes of a memory size option: `200b`, `1kb`, `2 mb`, or a plain number of bytes. */
function memorySize(options: ConnectorOptions, key: string): number | undefined {
  const value = options.string(key);
  if (value === undefined) return undefined;
  const m = /^\s*(\d+)\s*(b|bytes|k|kb|kibibytes|m|mb|mebibytes)?\s*$/i.exec(value);
  if (m === null) throw options.invalid(key, value, "a memory size such as '200b' or '1kb'");
  const unit = (m[2] ?? 'b').toLowerCase();
  return Number(m[1]) * (unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1);
}

/** The generator configuration and source options the table's options ask for. */
export function nexmarkOptions(options: ConnectorOptions): NexmarkSourceOptions {
  options.check(OPTIONS);
  const firstRate = options.integer('first-event.rate', 10_000, 1);
  const nextRate = options.integer('next-event.rate', firstRate, 1);
  if (nextRate !== firstRate) {
    throw new TableOptionError(
      `'next-event.rate' (${nextRate}) differs from 'first-event.rate' (${firstRate}): a changing event rate is not supported`,
      'next-event.rate',
    );
  }
  if (options.boolean('keep-alive', false)) {
    throw new TableOptionError(`'keep-alive' = 'true' is not supported by the nexmark connector`, 'keep-alive');
  }
  if (options.integer('stop-at', -1) !== -1) {
    throw new TableOptionError(`'stop-at' is not supported by the nexmark connector (use 'events.num')`, 'stop-at');
  }
  options.choice('rate.shape', ['SQUARE', 'SINE'] as const);
  options.duration('rate.period');
  const events = options.integer('events.num', 0, 0);
  const paced = !options.boolean('max-emit-speed', true) || options.boolean('rate.limited', false);
  const config: Partial<NexmarkConfig> = {
    seed: options.integer('seed', 0),
    baseTime: options.integer('base-time', 0),
    firstEventRate: firstRate,
    personProportion: options.integer('person.proportion', 1, 1),
    auctionProportion: options.integer('auction.proportion', 3, 1),
    bidProportion: options.integer('bid.proportion', 46, 1),
    hotAuctionRatio: options.integer('bid.hot-ratio.auctions', 2, 1),
    hotBiddersRatio: options.integer('bid.hot-ratio.bidders', 4, 1),
    hotSellersRatio: options.integer('auction.hot-ratio.sellers', 4, 1),
  };
  const sizes: [keyof NexmarkConfig, string][] = [
    ['avgPersonByteSize', 'person.avg-size'],
    ['avgAuctionByteSize', 'auction.avg-size'],
    ['avgBidByteSize', 'bid.avg-size'],
  ];
  for (const [field, key] of sizes) {
    const bytes = memorySize(options, key);
    if (bytes !== undefined) (config as Record<string, unknown>)[field] = bytes;
  }
  return {
    ...config,
    // The reference's 0 means "no end".
    ...(events > 0 ? { events } : {}),
    ...(paced ? { ratePerSecond: firstRate } : {}),
  };
}

function extractor(field: RowField, table: string): Extract {
  const name = field.name;
  if (name === 'event_type') return 'e.event_type';
  if (name !== 'person' && name !== 'auction' && name !== 'bid') {
    throw new TableOptionError(
      `Table '${table}' (connector 'nexmark'): column '${name}' is not produced by the generator (physical columns: event_type, person, auction, bid)`,
      undefined,
    );
  }
  const type: SqlType = field.type;
  if (type.kind !== 'ROW') {
    throw new TableOptionError(
      `Table '${table}' (connector 'nexmark'): column '${name}' must be a ROW<...>`,
      undefined,
    );
  }
  const known = MODEL_FIELDS[name];
  const names = type.fields.map((f) => {
    if (!known.includes(f.name)) {
      throw new TableOptionError(
        `Table '${table}' (connector 'nexmark'): ${name} has no field '${f.name}' (fields: ${known.join(', ')})`,
        undefined,
      );
    }
    return f.name;
  });
  // Field names are checked against the model above, so they are plain identifiers.
  return `(e.${name} == null ? null : [${names.map((f) => `e.${name}.${f}`).join(', ')}])`;
}

/**
 * The event → row function of the projected columns, compiled once per source: fixed property reads of the
 * monomorphic event objects instead of a loop over field names (the generator's cost dominates q0–q2 otherwise).
 */
function rowBuilder(extract: readonly Extract[]): (event: NexmarkEvent) => Row {
  return new Function('e', `return [0${extract.map((x) => `, ${x}`).join('')}];`) as (event: NexmarkEvent) => Row;
}

/** A NexmarkSource whose events become rows of the projected columns. */
class NexmarkRowSource implements Source<Row> {
  readonly name: string;
  readonly boundedness: 'bounded' | 'unbounded';
  private readonly inner: NexmarkSource;
  constructor(
    options: NexmarkSourceOptions,
    private readonly extract: readonly Extract[],
  ) {
    this.inner = new NexmarkSource(options);
    this.name = this.inner.name;
    this.boundedness = this.inner.boundedness;
  }
  createReader(ctx: SourceReaderContext): SourceReader<Row> {
    const reader = this.inner.createReader(ctx);
    const rows = new RowOutput(this.extract);
    return {
      ...reader,
      pollNext(out, max) {
        rows.out = out;
        return reader.pollNext(rows, max);
      },
    };
  }
}

class RowOutput implements SourceOutput<NexmarkEvent> {
  out: SourceOutput<Row> | undefined;
  private readonly build: (event: NexmarkEvent) => Row;
  constructor(extract: readonly Extract[]) {
    this.build = rowBuilder(extract);
  }
  collect(event: NexmarkEvent, timestamp?: number): void {
    this.out!.collect(this.build(event), timestamp);
  }
}

/**
 * `'connector' = 'nexmark'`: the seeded Nexmark generator as a table. Columns are matched by name (event_type,
 * person, auction, bid; ROW fields by the data model's names), so the reference's DDL runs as written. Events are
 * those of `sluice nexmark generate` with the same 'seed' and 'base-time' (defaults 0). Bounded by 'events.num'.
 */
export const nexmarkConnector: TableConnector = {
  name: 'nexmark',
  createSource(request: SourceRequest): ScanSource {
    const options = new ConnectorOptions(request.table);
    const sourceOptions = nexmarkOptions(options);
    const physical = request.table.physical.fields;
    const fields = request.projection === undefined ? physical : request.projection.map((i) => physical[i]!);
    const extract = fields.map((f) => extractor(f, request.table.name));
    const source = new NexmarkRowSource({ ...sourceOptions, name: `nexmark:${request.table.name}` }, extract);
    const stream = request.env.fromSource(source, undefined, source.name).uid(request.uid);
    return { stream, changelogMode: 'insert-only', bounded: source.boundedness === 'bounded' };
  },
};
