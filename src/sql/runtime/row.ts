/**
 * Rows in flight through a SQL job.
 *
 * A SQL relation becomes a `DataStream<Row>`. A row is an array: slot 0 holds its {@link RowKind}, slots 1..n the
 * column values in schema order (values as described in `types/sql-type.ts`). The kind rides in the row rather than
 * beside the batch so that every existing operator, exchange and checkpoint carries changelogs unchanged; it costs
 * one array slot and no allocation.
 *
 * Column `i` of a relation (0-based, as the planner counts) is therefore `row[i + 1]`: use {@link COLUMN_OFFSET}.
 * An append-only relation holds only INSERT rows. A row's record timestamp in the engine is the value of its
 * relation's rowtime column when it has one, else the timestamp it arrived with.
 */
export type Row = unknown[];

export const RowKind = {
  /** +I: a new row. */
  INSERT: 0,
  /** -U: the previous content of a row that is being updated; always followed by its UPDATE_AFTER. */
  UPDATE_BEFORE: 1,
  /** +U: the new content of an updated row. */
  UPDATE_AFTER: 2,
  /** -D: a row that is removed. */
  DELETE: 3,
} as const;
export type RowKind = (typeof RowKind)[keyof typeof RowKind];

/** Offset of column 0 in a {@link Row}. */
export const COLUMN_OFFSET = 1;

/** Flink's short names of row kinds, as printed by the print connector and the changelog view: +I -U +U -D. */
export const ROW_KIND_SHORT: readonly string[] = ['+I', '-U', '+U', '-D'];

/** True for INSERT and UPDATE_AFTER, the kinds that add a row to the result. */
export function isAccumulate(kind: number): boolean {
  return kind === RowKind.INSERT || kind === RowKind.UPDATE_AFTER;
}

/** The columns of a row with kind `kind` in slot 0 (a new array; `row` is left as it is). */
export function withKind(row: Row, kind: number): Row {
  const copy = row.slice();
  copy[0] = kind;
  return copy;
}

/**
 * What kinds of rows a relation may contain, decided by the planner for every node:
 * - `insert-only`: only INSERT (append-only);
 * - `upsert`: INSERT, UPDATE_AFTER and DELETE on the unique key, without UPDATE_BEFORE;
 * - `retract`: all four kinds, each UPDATE_AFTER preceded by its UPDATE_BEFORE.
 * Sluice's operators emit `retract` whenever they update, as Flink's do unless it can prove the consumer needs no
 * UPDATE_BEFORE; `upsert` appears only where an upsert source enters.
 */
export type ChangelogMode = 'insert-only' | 'upsert' | 'retract';
