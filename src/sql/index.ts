/**
 * SQL on Sluice (`sluice/sql`): Flink SQL on a `StreamExecutionEnvironment`, mixed with DataStream code in one
 * job. A {@link TableEnvironment} holds the catalog (tables, views, functions, settings) and plans statements into
 * the environment's job; `fromDataStream` / `toDataStream` cross between the two APIs. Scripts alone run with
 * `npx sluice sql -f script.sql`. See docs/SQL.md.
 *
 * ```ts
 * import { defineJob } from 'sluice';
 * import { TableEnvironment } from 'sluice/sql';
 *
 * export default defineJob((env) => {
 *   const tableEnv = TableEnvironment.create(env);
 *   tableEnv.executeSql(`CREATE TABLE bids (auction BIGINT, price BIGINT)
 *     WITH ('connector' = 'filesystem', 'path' = 'bids.jsonl', 'format' = 'json')`);
 *   const big = tableEnv.sqlQuery('SELECT auction, price FROM bids WHERE price > 1000');
 *   tableEnv.toDataStream(big).map((row) => `${row.auction}: ${row.price}`).print();
 * });
 * ```
 */

export { type ChangelogMode, COLUMN_OFFSET, ROW_KIND_SHORT, type Row, RowKind } from './runtime/row.js';
export { schemaOf } from './schema-of.js';
export { SqlError } from './sql-error.js';
export {
  type StatementResult,
  type Table,
  TableEnvironment,
  type TableEnvironmentOptions,
} from './table-environment.js';
export { formatType, type RowField, type Schema, type SqlType, type TimeAttribute } from './types/sql-type.js';
export { SqlTypes } from './types/type-factory.js';
