import type { ResolvedTable } from '../connectors/table-connector.js';
import type { Rex } from '../plan/rex.js';
import type { Schema, SqlType } from '../types/sql-type.js';

/** One column of a catalog table as the planner sees it. */
export interface CatalogColumn {
  readonly name: string;
  readonly type: SqlType;
  readonly kind: 'physical' | 'computed' | 'metadata';
  /** Computed columns: the expression over the table's columns (physical and metadata only). */
  readonly expression?: Rex;
  /** The expression as written, for DESCRIBE's extras. */
  readonly expressionText?: string;
  /** Metadata columns: the key read from the source and whether the column is VIRTUAL (not written by sinks). */
  readonly metadataKey?: string;
  readonly virtual?: boolean;
}

/**
 * A table created by CREATE TABLE: the connector's view of it (`resolved`) and the planner's (all columns, the
 * rowtime column and its watermark expression over the columns).
 */
export interface CatalogTable {
  /** Fully qualified: default_catalog.default_database.name. */
  readonly qualifiedName: string;
  readonly name: string;
  readonly resolved: ResolvedTable;
  readonly columns: readonly CatalogColumn[];
  readonly rowtime?: { readonly index: number; readonly watermark: Rex; readonly watermarkText: string };
  readonly primaryKey?: readonly string[];
  /** The CREATE TABLE text, for SHOW CREATE TABLE. */
  readonly ddl: string;
}

/** The schema of all columns of a table (the rowtime column typed as a rowtime attribute). */
export function tableSchema(table: CatalogTable): Schema {
  return { fields: table.columns.map((c) => ({ name: c.name, type: c.type })) };
}
