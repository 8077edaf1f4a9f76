import type { CreateTable } from '../parser/ast.js';
import type { Rex } from '../plan/rex.js';
import { formatType, type SqlType } from '../types/sql-type.js';
import type { ExprBinder, Fail } from './binder-expr.js';
import { Scope } from './binder-scope.js';
import { Catalog } from './catalog.js';
import type { CatalogColumn, CatalogTable } from './catalog-table.js';
import { typeFromAst } from './types.js';

/** CREATE TABLE → a catalog table: columns typed, computed columns and the watermark bound, options collected. */
export function createCatalogTable(
  stmt: CreateTable,
  name: string,
  binder: ExprBinder,
  fail: Fail,
  text: string,
  baseDir: string,
): CatalogTable {
  const columns: CatalogColumn[] = [];
  const seen = new Set<string>();
  for (const c of stmt.columns) {
    if (seen.has(c.name.name)) fail(`Column '${c.name.name}' is defined twice`, c.name.span);
    seen.add(c.name.name);
  }
  const pkNames = new Set<string>(stmt.primaryKey?.columns.map((c) => c.name) ?? []);
  for (const c of stmt.columns) if (c.kind === 'physical' && c.primaryKey) pkNames.add(c.name.name);
  for (const n of pkNames) {
    const col = stmt.columns.find((c) => c.name.name === n);
    if (col === undefined || col.kind !== 'physical')
      fail(`Primary key column '${n}' is not a physical column`, stmt.primaryKey?.span ?? stmt.span);
  }
  // Physical and metadata columns first: computed columns may refer to them only.
  const plain = stmt.columns.map((c, i) => ({ c, i })).filter(({ c }) => c.kind !== 'computed');
  const scope = new Scope(
    plain.map(({ c, i }) => ({
      name: c.name.name,
      index: i,
      type: typeFromAst((c as { type: Parameters<typeof typeFromAst>[0] }).type),
    })),
  );
  stmt.columns.forEach((c) => {
    if (c.kind === 'physical') {
      const t = typeFromAst(c.type);
      columns.push({
        name: c.name.name,
        type: pkNames.has(c.name.name) ? ({ ...t, nullable: false } as SqlType) : t,
        kind: 'physical',
      });
    } else if (c.kind === 'metadata') {
      columns.push({
        name: c.name.name,
        type: typeFromAst(c.type),
        kind: 'metadata',
        metadataKey: c.from ?? c.name.name,
        virtual: c.virtual,
      });
    } else {
      const expression = binder.bind(c.expression, { scope });
      columns.push({
        name: c.name.name,
        type: expression.type,
        kind: 'computed',
        expression,
        expressionText: text.slice(c.expression.span.start, c.expression.span.end),
      });
    }
  });
  let rowtime: CatalogTable['rowtime'];
  if (stmt.watermark !== undefined) {
    const wmName = stmt.watermark.column.parts.map((p) => p.name).join('.');
    const index = columns.findIndex((c) => c.name === wmName);
    if (index < 0)
      fail(`The rowtime attribute field '${wmName}' is not defined in the table schema`, stmt.watermark.column.span);
    const col = columns[index]!;
    if (col.type.kind !== 'TIMESTAMP' && col.type.kind !== 'TIMESTAMP_LTZ') {
      fail(
        `Invalid data type of time field for watermark definition. The field must be of type TIMESTAMP(p) or TIMESTAMP_LTZ(p), but is ${formatType(col.type)}`,
        stmt.watermark.column.span,
      );
    }
    const allScope = new Scope(columns.map((c, i) => ({ name: c.name, index: i, type: c.type })));
    const watermark: Rex = binder.bind(stmt.watermark.expression, { scope: allScope });
    if (watermark.type.kind !== 'TIMESTAMP' && watermark.type.kind !== 'TIMESTAMP_LTZ') {
      fail(
        `Watermark expression must be of type TIMESTAMP or TIMESTAMP_LTZ, but is ${formatType(watermark.type)}`,
        stmt.watermark.expression.span,
      );
    }
    const t = col.type as { kind: 'TIMESTAMP'; precision: number; nullable: boolean };
    columns[index] = {
      ...col,
      type: { kind: t.kind, precision: t.precision, nullable: t.nullable, timeAttribute: 'rowtime' },
    };
    rowtime = {
      index,
      watermark,
      watermarkText: text.slice(stmt.watermark.expression.span.start, stmt.watermark.expression.span.end),
    };
  }
  const physical = columns.filter((c) => c.kind === 'physical');
  const options = new Map<string, string>();
  for (const o of stmt.options) options.set(o.key, o.value);
  const pk = [...pkNames];
  return {
    qualifiedName: Catalog.qualified(name),
    name,
    columns,
    ...(rowtime === undefined ? {} : { rowtime }),
    ...(pk.length === 0 ? {} : { primaryKey: pk }),
    ddl: text.slice(stmt.span.start, stmt.span.end),
    resolved: {
      name: Catalog.qualified(name),
      physical: { fields: physical.map((c) => ({ name: c.name, type: c.type })) },
      ...(pk.length === 0 ? {} : { primaryKey: pk.map((n) => physical.findIndex((c) => c.name === n)) }),
      options,
      metadata: columns.filter((c) => c.kind === 'metadata').map((c) => ({ key: c.metadataKey!, name: c.name })),
      span: stmt.span,
      baseDir,
    },
  };
}

/** DESCRIBE rows in Flink's columns: name, type, null, key, extras, watermark. */
export function describeTable(table: CatalogTable): string[][] {
  const pk = table.primaryKey ?? [];
  return table.columns.map((c, i) => [
    c.name,
    formatType({ ...c.type, nullable: true } as SqlType),
    c.type.nullable ? 'TRUE' : 'FALSE',
    pk.includes(c.name) ? `PRI(${pk.join(', ')})` : '',
    c.kind === 'computed'
      ? `AS ${c.expressionText}`
      : c.kind === 'metadata'
        ? `METADATA${c.metadataKey !== c.name ? ` FROM '${c.metadataKey}'` : ''}${c.virtual ? ' VIRTUAL' : ''}`
        : '',
    table.rowtime?.index === i ? table.rowtime.watermarkText : '',
  ]);
}

/** The columns a sink writes: physical, then non-virtual metadata. */
export function sinkColumns(table: CatalogTable): CatalogColumn[] {
  return [
    ...table.columns.filter((c) => c.kind === 'physical'),
    ...table.columns.filter((c) => c.kind === 'metadata' && !c.virtual),
  ];
}
