import { typeFromString } from './planner/types.js';
import type { Schema } from './types/sql-type.js';

/**
 * A {@link Schema} from column names and SQL type names, in order: `schemaOf({ word: 'STRING', n: 'BIGINT' })`.
 * Types as in a CREATE TABLE column (`BIGINT`, `STRING`, `DECIMAL(10, 2)`, `TIMESTAMP(3)`, `... NOT NULL`); for
 * ROW, ARRAY and MAP columns build the fields with `SqlTypes` instead. Throws an Error naming a type it cannot read.
 * Used with `TableEnvironment.fromDataStream(stream, schemaOf({...}))`.
 */
export function schemaOf(columns: Readonly<Record<string, string>>): Schema {
  return {
    fields: Object.entries(columns).map(([name, type]) => {
      try {
        return { name, type: typeFromString(type) };
      } catch (e) {
        throw new Error(`column '${name}': ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  };
}
