import type { DataStream } from '../../api/data-stream.js';
import { MIN_WATERMARK } from '../../core/time.js';
import { type WatermarkGenerator, WatermarkStrategies, type WatermarkStrategy } from '../../core/watermark-strategy.js';
import type { ResolvedTable, ScanSource } from '../connectors/table-connector.js';
import type { Rex } from '../plan/rex.js';
import type { ChangelogMode, Row } from '../runtime/row.js';
import type { CatalogTable } from './catalog-table.js';
import type { LowerContext } from './lower-context.js';
import { type FieldUses, markUnreadFields, recordFieldUses } from './nested-projection.js';
import { inputRefs, isIdentity, remap, substitute } from './rex-utils.js';

/**
 * Flink SQL's watermark: the largest value of the WATERMARK expression over the rows seen so far, emitted as it is
 * (not minus one as DataStream's bounded out-of-orderness). Rows whose expression is NULL do not move it.
 */
export class SqlWatermarkGenerator implements WatermarkGenerator<Row> {
  private max = MIN_WATERMARK;
  constructor(private readonly expression: (row: Row) => unknown) {}
  onEvent(row: Row): void {
    const w = this.expression(row);
    if (typeof w === 'number' && w > this.max) this.max = w;
  }
  currentWatermark(): number {
    return this.max;
  }
}

/** A lowered scan: its stream (rows of the scan node's columns) and the changelog the source produces. */
export interface LoweredScan {
  readonly stream: DataStream<Row>;
  readonly mode: ChangelogMode;
  readonly bounded: boolean;
}

/**
 * Reads a table: the connector's source over the physical columns needed (projection push-down), then one
 * compiled projection computing the computed columns, then timestamps (record timestamp = rowtime value) and
 * Flink SQL watermarks.
 */
export function lowerScan(
  ctx: LowerContext,
  table: CatalogTable,
  projection: readonly number[] | undefined,
  path: string,
  fieldUses?: FieldUses,
  spanOfTable = table.resolved.span,
): LoweredScan {
  const cols = table.columns;
  const wanted = projection ?? cols.map((_, i) => i);
  const needed = new Set<number>();
  const expand = (i: number) => {
    needed.add(i);
    const e = cols[i]!.expression;
    if (e !== undefined) for (const r of inputRefs(e)) needed.add(r);
  };
  for (const i of wanted) expand(i);
  if (table.rowtime !== undefined) {
    expand(table.rowtime.index);
    for (const r of inputRefs(table.rowtime.watermark)) expand(r);
  }
  const physicalIndexOf = new Map<number, number>();
  let p = 0;
  cols.forEach((c, i) => {
    if (c.kind === 'physical') physicalIndexOf.set(i, p++);
  });
  const physical = [...needed].filter((i) => cols[i]!.kind === 'physical').sort((a, b) => a - b);
  const position = new Map<number, number>(physical.map((c, i) => [c, i]));
  const metadataCols = cols.map((c, i) => (c.kind === 'metadata' ? i : -1)).filter((i) => i >= 0);
  metadataCols.forEach((c, i) => position.set(c, physical.length + i));
  const connectorName = table.resolved.options.get('connector');
  if (connectorName === undefined) ctx.fail(`Table '${table.name}' has no 'connector' option`, spanOfTable);
  const connector = ctx.connectors(connectorName!);
  if (connector === undefined) ctx.failUnknownConnector(connectorName!, spanOfTable);
  if (connector.createSource === undefined) {
    ctx.fail(`Connector '${connectorName}' cannot be used as a source`, spanOfTable);
  }
  // Column i of the table as an expression over the source row.
  const columnRex = (i: number): Rex => {
    const c = cols[i]!;
    if (c.kind === 'computed') return remap(c.expression!, (j) => position.get(j)!);
    return { kind: 'input', index: position.get(i)!, type: c.type };
  };
  // The table's watermark over the source rows: given to the source (per-split watermarks where it has splits),
  // or applied right after it.
  let strategy: WatermarkStrategy<Row> | undefined;
  if (table.rowtime !== undefined) {
    const rowtime = ctx.compiler.scalar(columnRex(table.rowtime.index), `rowtime of ${table.name}`);
    const allColumns = cols.map((_, i) =>
      needed.has(i) ? columnRex(i) : ({ kind: 'literal', value: null, type: cols[i]!.type } as Rex),
    );
    const watermark = ctx.compiler.scalar(
      substitute(table.rowtime.watermark, allColumns),
      `watermark of ${table.name}`,
    );
    strategy = WatermarkStrategies.forGenerator<Row>(() => new SqlWatermarkGenerator(watermark)).withTimestampAssigner(
      (row) => rowtime(row) as number,
    );
  }
  const allPhysical = physical.length === physicalIndexOf.size;
  let scan: ScanSource;
  try {
    scan = connector!.createSource!({
      env: ctx.env,
      table: fieldUses === undefined ? table.resolved : withUnreadFields(table, needed, physicalIndexOf, fieldUses),
      projection: allPhysical ? undefined : physical.map((c) => physicalIndexOf.get(c)!),
      uid: `${ctx.uid(path)}-source`,
      runtimeMode: ctx.runtimeMode,
      ...(strategy === undefined ? {} : { watermarks: strategy }),
    });
  } catch (e) {
    return ctx.failConnector(e, spanOfTable);
  }
  if (ctx.runtimeMode === 'batch' && !scan.bounded) {
    ctx.fail(
      `Table '${table.name}' is unbounded, but batch mode needs every source to end (set an end: a file, or 'events.num' / 'number-of-rows')`,
      spanOfTable,
    );
  }
  let stream = scan.stream;
  if (strategy !== undefined && scan.watermarked !== true) {
    stream = stream
      .assignTimestampsAndWatermarks(strategy, `Watermarks(${table.name})`)
      .uid(`${ctx.uid(path)}-watermarks`);
  }
  const projects = wanted.map(columnRex);
  const width = physical.length + metadataCols.length;
  if (!isIdentity(projects, width)) {
    const project = ctx.compiler.projection(projects, `columns of ${table.name}`);
    stream = stream
      .map((row: Row) => {
        const out = project(row);
        out[0] = row[0];
        return out;
      }, `Calc(${table.name})`)
      .uid(`${ctx.uid(path)}-columns`);
  }
  return { stream, mode: scan.changelogMode, bounded: scan.bounded };
}

/**
 * The table as its source should decode it: ROW fields that neither the plan (`fieldUses`) nor the needed computed
 * columns and watermark read are marked `unread` (nested projection push-down, `nested-projection.ts`).
 */
function withUnreadFields(
  table: CatalogTable,
  needed: ReadonlySet<number>,
  physicalIndexOf: ReadonlyMap<number, number>,
  fieldUses: FieldUses,
): ResolvedTable {
  const uses: FieldUses = new Map([...fieldUses].map(([c, u]) => [c, u === 'whole' ? u : new Set(u)]));
  for (const i of needed) {
    const e = table.columns[i]!.expression;
    if (e !== undefined) recordFieldUses(e, (j) => j, uses);
  }
  if (table.rowtime !== undefined) recordFieldUses(table.rowtime.watermark, (j) => j, uses);
  const columnOf = new Map([...physicalIndexOf].map(([column, p]) => [p, column]));
  const resolved = table.resolved;
  const fields = resolved.physical.fields.map((f, p) => markUnreadFields(f, uses.get(columnOf.get(p)!)));
  if (fields.every((f, p) => f === resolved.physical.fields[p])) return resolved;
  return { ...resolved, physical: { ...resolved.physical, fields } };
}
