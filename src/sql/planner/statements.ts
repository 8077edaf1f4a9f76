import type { Statement } from '../parser/ast.js';
import { SqlError } from '../sql-error.js';
import type { StatementResult } from '../table-environment.js';
import { formatType } from '../types/sql-type.js';
import { ExprBinder } from './binder-expr.js';
import { QueryBinder } from './binder-query.js';
import { Catalog } from './catalog.js';
import { createCatalogTable, describeTable } from './ddl.js';
import type { Planner } from './planner.js';
import { validateSetting } from './settings.js';

const OK = '[INFO] Execute statement succeed.';

/** Runs one statement against the catalog and planner (executeSql's body). */
export function runStatement(
  stmt: Statement,
  planner: Planner,
  text: string,
  source: string,
  baseDir: string,
): StatementResult {
  const catalog = planner.catalog;
  const statement = text.slice(stmt.span.start, stmt.span.end);
  const fail = (reason: string, span = stmt.span, suggestion?: string): never => {
    throw new SqlError(reason, span, text, source, suggestion);
  };
  const objectName = (parts: readonly { name: string }[], span = stmt.span): string => {
    const n = Catalog.objectName(parts.map((p) => p.name));
    return typeof n === 'string' ? n : fail(n.error, span);
  };
  switch (stmt.kind) {
    case 'createTable': {
      const name = objectName(stmt.name.parts, stmt.name.span);
      if (catalog.tables.has(name) || catalog.views.has(name)) {
        if (stmt.ifNotExists) return { kind: 'ok', statement, message: OK };
        fail(`Table '${Catalog.qualified(name)}' already exists`, stmt.name.span);
      }
      if (stmt.like !== undefined) fail('CREATE TABLE ... LIKE is not supported', stmt.like.span);
      const binder = new ExprBinder(catalog.functions, (r, s, sg) => fail(r, s, sg));
      catalog.tables.set(
        name,
        createCatalogTable(stmt, name, binder, (r, s, sg) => fail(r, s, sg), text, baseDir),
      );
      return { kind: 'ok', statement, message: OK };
    }
    case 'createView': {
      const name = objectName(stmt.name.parts, stmt.name.span);
      if (catalog.tables.has(name) || catalog.views.has(name)) {
        if (stmt.ifNotExists) return { kind: 'ok', statement, message: OK };
        fail(`View '${Catalog.qualified(name)}' already exists`, stmt.name.span);
      }
      // Bind once now so errors point at the view's definition, not at its first use.
      const bound = new QueryBinder(catalog, text, source).bindQuery(stmt.query);
      if (stmt.columns !== undefined && stmt.columns.length !== bound.names.length) {
        fail(
          `The view's column list has ${stmt.columns.length} names, its query ${bound.names.length} columns`,
          stmt.span,
        );
      }
      catalog.views.set(name, { name, query: stmt.query, columns: stmt.columns?.map((c) => c.name), text, source });
      return { kind: 'ok', statement, message: OK };
    }
    case 'createFunction': {
      try {
        catalog.functions.createFunction(stmt);
      } catch (e) {
        // The registry does not know which script a statement came from: quote this one.
        if (e instanceof SqlError) throw new SqlError(e.reason, e.span, text, source, e.suggestion);
        fail((e as Error).message, stmt.span);
      }
      return { kind: 'ok', statement, message: OK };
    }
    case 'drop': {
      const name = objectName(stmt.name.parts, stmt.name.span);
      let existed: boolean;
      if (stmt.object === 'FUNCTION') existed = catalog.functions.drop(name);
      else if (stmt.object === 'TABLE') existed = catalog.tables.delete(name);
      else existed = catalog.views.delete(name);
      if (!existed && !stmt.ifExists)
        fail(
          `${stmt.object === 'TABLE' ? 'Table' : stmt.object === 'VIEW' ? 'View' : 'Function'} '${name}' does not exist`,
          stmt.name.span,
        );
      return { kind: 'ok', statement, message: OK };
    }
    case 'set': {
      if (stmt.key === undefined) {
        return { kind: 'table', statement, columns: ['key', 'value'], rows: catalog.listSettings() };
      }
      const error = validateSetting(stmt.key, stmt.value ?? '');
      if (error !== undefined) fail(error);
      catalog.settings.set(stmt.key, stmt.value ?? '');
      if (stmt.key === 'parallelism.default') planner.env.setParallelism(Number(stmt.value));
      return { kind: 'ok', statement, message: '[INFO] Session property has been set.' };
    }
    case 'reset': {
      if (stmt.key === undefined) catalog.settings.clear();
      else catalog.settings.delete(stmt.key);
      return { kind: 'ok', statement, message: '[INFO] Session property has been reset.' };
    }
    case 'use': {
      const parts = stmt.name.parts.map((p) => p.name);
      const expected = stmt.catalog ? 'default_catalog' : 'default_database';
      if (parts[parts.length - 1] !== expected)
        fail(`${stmt.catalog ? 'Catalog' : 'Database'} '${parts.join('.')}' does not exist`, stmt.name.span);
      return { kind: 'ok', statement, message: OK };
    }
    case 'insert': {
      const planned = planner.planInsert(stmt, text, source);
      return { kind: 'insert', statement, sinks: [planner.lowerInsert(planned, text, source, stmt.span)] };
    }
    case 'statementSet': {
      // Plan every INSERT first, so an error in the last adds nothing to the job.
      const planned = stmt.inserts.map((i) => planner.planInsert(i, text, source));
      const sinks = planned.map((p, i) => planner.lowerInsert(p, text, source, stmt.inserts[i]!.span));
      return { kind: 'insert', statement, sinks };
    }
    case 'query': {
      const { node } = planner.planQuery(stmt.query, text, source);
      const lowered = planner.lowerQuery(node, text, source, stmt.span);
      return { kind: 'query', statement, schema: node.schema, changelogMode: lowered.mode, stream: lowered.stream };
    }
    case 'explain': {
      const inner = stmt.statement;
      let plan: string;
      if (inner.kind === 'query') plan = planner.explainQuery(planner.planQuery(inner.query, text, source).node);
      else if (inner.kind === 'insert') plan = planner.explainInsert(planner.planInsert(inner, text, source));
      else plan = inner.inserts.map((i) => planner.explainInsert(planner.planInsert(i, text, source))).join('\n\n');
      return { kind: 'table', statement, columns: ['plan'], rows: [[`== Optimized Physical Plan ==\n${plan}`]] };
    }
    case 'show': {
      switch (stmt.what) {
        case 'TABLES':
          return {
            kind: 'table',
            statement,
            columns: ['table name'],
            rows: [...catalog.tables.keys(), ...catalog.views.keys()].sort().map((n) => [n]),
          };
        case 'VIEWS':
          return {
            kind: 'table',
            statement,
            columns: ['view name'],
            rows: [...catalog.views.keys()].sort().map((n) => [n]),
          };
        case 'FUNCTIONS':
          return {
            kind: 'table',
            statement,
            columns: ['function name'],
            rows: [...catalog.functions.names()].sort().map((n) => [n]),
          };
        case 'USER FUNCTIONS':
          return {
            kind: 'table',
            statement,
            columns: ['function name'],
            rows: [...catalog.functions.userFunctionNames()].map((n) => [n]),
          };
        case 'CATALOGS':
          return { kind: 'table', statement, columns: ['catalog name'], rows: [['default_catalog']] };
        case 'DATABASES':
          return { kind: 'table', statement, columns: ['database name'], rows: [['default_database']] };
        case 'CREATE TABLE':
        case 'CREATE VIEW': {
          const name = objectName(stmt.name?.parts ?? [], stmt.name?.span);
          const t = catalog.tables.get(name);
          const v = catalog.views.get(name);
          if (t !== undefined) return { kind: 'table', statement, columns: ['result'], rows: [[t.ddl]] };
          if (v?.query !== undefined)
            return {
              kind: 'table',
              statement,
              columns: ['result'],
              rows: [[v.text.slice(v.query.span.start, v.query.span.end)]],
            };
          return fail(`Table or view '${name}' not found`, stmt.name?.span);
        }
        case 'JOBS':
          return { kind: 'table', statement, columns: ['job id', 'job name', 'status'], rows: [] };
      }
      return fail('Unsupported SHOW');
    }
    case 'describe': {
      const name = objectName(stmt.name.parts, stmt.name.span);
      const t = catalog.tables.get(name);
      const columns = ['name', 'type', 'null', 'key', 'extras', 'watermark'];
      if (t !== undefined) return { kind: 'table', statement, columns, rows: describeTable(t) };
      if (catalog.views.has(name)) {
        const q = new QueryBinder(catalog, text, source);
        const { node, names } = q.named({ kind: 'table', name: stmt.name, span: stmt.name.span });
        const rows = node.schema.fields.map((f, i) => [
          names[i] ?? f.name,
          formatType({ ...f.type, nullable: true } as never),
          f.type.nullable ? 'TRUE' : 'FALSE',
          '',
          '',
          '',
        ]);
        return { kind: 'table', statement, columns, rows };
      }
      return fail(`Table or view '${name}' not found`, stmt.name.span);
    }
  }
}
