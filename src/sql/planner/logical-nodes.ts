import type { DataStream } from '../../api/data-stream.js';
import type { AggregateFunctionDefinition } from '../functions/function-catalog.js';
import type { SortKey } from '../operators/common.js';
import type { WindowSpec } from '../operators/window-aggregate.js';
import type { Span } from '../parser/ast.js';
import type { Rex } from '../plan/rex.js';
import type { ChangelogMode, Row } from '../runtime/row.js';
import type { RowField, Schema, SqlType } from '../types/sql-type.js';
import type { CatalogTable } from './catalog-table.js';

/**
 * The logical plan: relational nodes with their output schema. The binder builds them, the rules rewrite them
 * (calc merge, filter push-down, window / rank recognition), changelog inference decides each node's mode and
 * lowering turns them into DataStream operators. Nodes are immutable; rules build new ones.
 */
export type LogicalNode =
  | ScanNode
  | CalcNode
  | AggregateNode
  | WindowTvfNode
  | WindowAggregateNode
  | OverNode
  | RankNode
  | DeduplicateNode
  | WindowRankNode
  | JoinNode
  | UnionNode
  | ValuesNode
  | DataStreamNode
  | AsyncCallNode
  | CorrelateNode
  | ExpandNode
  | SortNode;

/** An aggregate call in the plan: the function by catalog name and its argument columns of the node's input. */
export interface AggSpec {
  /** Catalog name (built-ins upper-cased). */
  readonly function: string;
  readonly args: readonly number[];
  readonly distinct: boolean;
  readonly filter?: number;
  readonly type: SqlType;
  /** Output column name. */
  readonly name: string;
  /** The implementation, when it is the planner's own (SINGLE_VALUE) rather than the catalog's `function`. */
  readonly definition?: AggregateFunctionDefinition;
}

/** Reads a catalog table: physical columns, then computed and metadata columns, optionally projected. */
export interface ScanNode {
  readonly kind: 'scan';
  readonly table: CatalogTable;
  /** Indices into `table.columns` the scan outputs, in order; undefined = all. */
  readonly projection?: readonly number[];
  readonly schema: Schema;
}

/** Project + filter: `condition` is evaluated on the input row, then `projects` computed. */
export interface CalcNode {
  readonly kind: 'calc';
  readonly input: LogicalNode;
  readonly projects: readonly Rex[];
  readonly condition?: Rex;
  readonly schema: Schema;
}

/** Unwindowed GROUP BY: output [group columns..., aggregate values...]. */
export interface AggregateNode {
  readonly kind: 'aggregate';
  readonly input: LogicalNode;
  readonly groupKeys: readonly number[];
  readonly calls: readonly AggSpec[];
  readonly schema: Schema;
}

/** A window table-valued function: input columns + window_start, window_end, window_time. */
export interface WindowTvfNode {
  readonly kind: 'windowTvf';
  readonly input: LogicalNode;
  readonly timeIndex: number;
  readonly window: WindowSpec;
  readonly eventTime: boolean;
  readonly schema: Schema;
}

/** A window aggregate: output [keys..., window_start, window_end, window_time, aggregate values...]. */
export interface WindowAggregateNode {
  readonly kind: 'windowAggregate';
  readonly input: LogicalNode;
  readonly keys: readonly number[];
  readonly window: WindowSpec;
  /** The input's time attribute column, or -1 when only the record timestamps (= the rowtime) carry it. */
  readonly timeIndex: number;
  readonly eventTime: boolean;
  readonly calls: readonly AggSpec[];
  /**
   * The windows of the input are reused (GROUP BY window_start, window_end over a window aggregate's output): the
   * operator assigns each row to the one window that ends at its window_end, carried in the keys.
   */
  readonly cascaded?: { readonly startKey: number; readonly endKey: number; readonly original: WindowSpec };
  readonly schema: Schema;
}

/** One OVER call: a ranking function or an aggregate over a frame. */
export interface OverCall {
  readonly function: string;
  readonly args: readonly number[];
  readonly type: SqlType;
  readonly name: string;
}

/** OVER windows sharing one PARTITION BY / ORDER BY: output = input columns + one column per call. */
export interface OverNode {
  readonly kind: 'over';
  readonly input: LogicalNode;
  readonly partition: readonly number[];
  readonly orderBy: readonly SortKey[];
  readonly frame:
    | { readonly unit: 'ROWS'; readonly precedingRows?: number }
    | { readonly unit: 'RANGE'; readonly precedingMs?: number };
  readonly calls: readonly OverCall[];
  readonly span?: Span;
  readonly schema: Schema;
}

/** Unwindowed Top-N: output = input columns (+ rank number). */
export interface RankNode {
  readonly kind: 'rank';
  readonly input: LogicalNode;
  readonly function: 'ROW_NUMBER' | 'RANK' | 'DENSE_RANK';
  readonly partition: readonly number[];
  readonly sortKeys: readonly SortKey[];
  readonly rankStart: number;
  readonly rankEnd: number;
  readonly outputRankNumber: boolean;
  readonly schema: Schema;
}

/** ROW_NUMBER = 1 ordered by a time attribute: keep the first or the last row per partition. */
export interface DeduplicateNode {
  readonly kind: 'deduplicate';
  readonly input: LogicalNode;
  readonly partition: readonly number[];
  readonly timeIndex: number;
  readonly keepLast: boolean;
  readonly rowtime: boolean;
  readonly outputRankNumber: boolean;
  readonly schema: Schema;
}

/** Window Top-N / window deduplication over an input with window columns. */
export interface WindowRankNode {
  readonly kind: 'windowRank';
  readonly input: LogicalNode;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly function: 'ROW_NUMBER' | 'RANK' | 'DENSE_RANK';
  /** Partition columns besides the window columns. */
  readonly partition: readonly number[];
  readonly sortKeys: readonly SortKey[];
  readonly rankStart: number;
  readonly rankEnd: number;
  readonly outputRankNumber: boolean;
  readonly schema: Schema;
}

export type LogicalJoinType = 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'SEMI' | 'ANTI';

/** How a join runs, decided by the join rule from its condition and inputs. */
export type JoinStrategy =
  | { readonly kind: 'regular' }
  | {
      readonly kind: 'interval';
      readonly leftTime: number;
      readonly rightTime: number;
      readonly lower: number;
      readonly upper: number;
    }
  | {
      readonly kind: 'window';
      readonly leftWindow: { readonly start: number; readonly end: number };
      readonly rightWindow: { readonly start: number; readonly end: number };
    }
  | {
      readonly kind: 'temporal';
      readonly probeTime: number;
      readonly versionTime: number;
      readonly eventTime: boolean;
    };

/**
 * A join. `condition` is over [left columns..., right columns...]; the join rule splits it into equi-keys and a
 * residual and picks the strategy. SEMI / ANTI output the left columns only.
 */
export interface JoinNode {
  readonly kind: 'join';
  readonly left: LogicalNode;
  readonly right: LogicalNode;
  readonly joinType: LogicalJoinType;
  readonly condition?: Rex;
  readonly leftKeys: readonly number[];
  readonly rightKeys: readonly number[];
  /** The condition minus the equi-keys (and minus the time bounds of an interval join). */
  readonly residual?: Rex;
  readonly strategy: JoinStrategy;
  readonly schema: Schema;
}

/** UNION ALL of inputs with equal column counts. */
export interface UnionNode {
  readonly kind: 'union';
  readonly inputs: readonly LogicalNode[];
  readonly schema: Schema;
}

/** Literal rows (VALUES, or SELECT without FROM). */
export interface ValuesNode {
  readonly kind: 'values';
  readonly rows: readonly (readonly Rex[])[];
  readonly schema: Schema;
}

/** A relation that is already a stream of rows (fromDataStream, a registered query result). */
export interface DataStreamNode {
  readonly kind: 'datastream';
  readonly stream: DataStream<Row>;
  readonly mode: ChangelogMode;
  readonly name: string;
  readonly schema: Schema;
}

/** Async user function calls, evaluated on the async I/O operator: output = input columns + one per call. */
export interface AsyncCallNode {
  readonly kind: 'asyncCall';
  readonly input: LogicalNode;
  readonly calls: readonly {
    readonly function: string;
    readonly args: readonly number[];
    readonly type: SqlType;
    readonly span?: Span;
  }[];
  readonly schema: Schema;
}

/**
 * What a Correlate generates for each input row: a user table function's rows (`LATERAL TABLE(f(a, b))`), the
 * elements of arrays / maps / multisets (`UNNEST(arr)`, zipped when several, with a 1-based ordinal when asked), or
 * `count` empty rows (the replication of INTERSECT ALL / EXCEPT ALL).
 */
export type CorrelateGenerator =
  | { readonly kind: 'table'; readonly function: string; readonly args: readonly Rex[] }
  | { readonly kind: 'unnest'; readonly args: readonly Rex[]; readonly withOrdinality: boolean }
  | { readonly kind: 'replicate'; readonly count: number };

/**
 * A correlated generator (Flink's Correlate): each input row joined with the rows its generator yields; output =
 * input columns + generated columns. INNER drops rows that yield nothing, LEFT pads them with NULLs. `condition`
 * (over the output columns) filters the generated rows before the padding. Row kinds pass through unchanged.
 */
export interface CorrelateNode {
  readonly kind: 'correlate';
  readonly input: LogicalNode;
  readonly generator: CorrelateGenerator;
  readonly joinType: 'INNER' | 'LEFT';
  readonly condition?: Rex;
  readonly span?: Span;
  readonly schema: Schema;
}

/**
 * Flink's Expand (GROUPING SETS / ROLLUP / CUBE): each input row becomes one row per projection list, so a group
 * aggregate above can group every grouping set at once (the last column, `$e`, tells the sets apart).
 */
export interface ExpandNode {
  readonly kind: 'expand';
  readonly input: LogicalNode;
  readonly projects: readonly (readonly Rex[])[];
  readonly schema: Schema;
}

/**
 * ORDER BY without LIMIT. Streaming: the first key is a rowtime ascending (Flink's temporal sort): rows are held
 * until the watermark passes them and emitted in order. Batch: every row is held until the input ends.
 */
export interface SortNode {
  readonly kind: 'sort';
  readonly input: LogicalNode;
  readonly sortKeys: readonly SortKey[];
  /** Streaming: sorted by the rowtime (the first key) as the watermark passes; false: held until the input ends. */
  readonly temporal: boolean;
  readonly schema: Schema;
}

/** The inputs of a node, in order. */
export function inputsOf(node: LogicalNode): readonly LogicalNode[] {
  switch (node.kind) {
    case 'scan':
    case 'values':
    case 'datastream':
      return [];
    case 'join':
      return [node.left, node.right];
    case 'union':
      return node.inputs;
    default:
      return [node.input];
  }
}

/** The schema of a calc: one field per projection, named by `names`. */
export function calcSchema(projects: readonly Rex[], names: readonly string[]): Schema {
  return { fields: projects.map((p, i) => ({ name: names[i] ?? `EXPR$${i}`, type: p.type })) };
}

/** A type without its time attribute (after a regular join, an unwindowed aggregate, a computation). */
export function stripTimeAttribute(type: SqlType): SqlType {
  if ((type.kind === 'TIMESTAMP' || type.kind === 'TIMESTAMP_LTZ') && type.timeAttribute !== undefined) {
    return { kind: type.kind, precision: type.precision, nullable: type.nullable };
  }
  return type;
}

/** Fields with time attributes removed. */
export function stripFields(fields: readonly RowField[]): RowField[] {
  return fields.map((f) => ({ name: f.name, type: stripTimeAttribute(f.type) }));
}

/** A type made nullable (outer join padding). */
export function nullableType(type: SqlType): SqlType {
  return type.nullable ? type : ({ ...type, nullable: true } as SqlType);
}

/** Output schema of a join of this type over the two inputs (time attributes kept only when `keepTime`). */
export function joinSchema(left: Schema, right: Schema, joinType: LogicalJoinType, keepTime: boolean): Schema {
  const l = keepTime ? [...left.fields] : stripFields(left.fields);
  if (joinType === 'SEMI' || joinType === 'ANTI') return { fields: l };
  const r = keepTime ? [...right.fields] : stripFields(right.fields);
  const padLeft = joinType === 'RIGHT' || joinType === 'FULL';
  const padRight = joinType === 'LEFT' || joinType === 'FULL';
  return {
    fields: [
      ...l.map((f) => (padLeft ? { name: f.name, type: nullableType(f.type) } : f)),
      ...r.map((f) => (padRight ? { name: f.name, type: nullableType(f.type) } : f)),
    ],
  };
}
