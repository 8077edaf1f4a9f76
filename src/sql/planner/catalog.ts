import { FunctionRegistry } from '../functions/function-registry.js';
import type { Query } from '../parser/ast.js';
import type { CatalogTable } from './catalog-table.js';
import type { LogicalNode } from './logical-nodes.js';
import { KNOWN_SETTINGS, parseDuration } from './settings.js';

/** A view: its query as written (expanded at every use) and the script it came from, for error positions. */
export interface CatalogView {
  readonly name: string;
  readonly query?: Query;
  readonly columns?: readonly string[];
  readonly text: string;
  readonly source: string;
  /** A view over a plan built from code (createTemporaryView of a DataStream table). */
  readonly node?: LogicalNode;
}

export const DEFAULT_CATALOG = 'default_catalog';
export const DEFAULT_DATABASE = 'default_database';

/**
 * The session catalog: tables, views, functions and settings of one TableEnvironment. Names compare
 * case-sensitively, as in Flink; a qualified name must name the default catalog and database.
 */
export class Catalog {
  readonly tables = new Map<string, CatalogTable>();
  readonly views = new Map<string, CatalogView>();
  readonly settings = new Map<string, string>();

  constructor(
    readonly functions: FunctionRegistry = new FunctionRegistry(),
    initialSettings: Readonly<Record<string, string>> = {},
  ) {
    for (const [k, v] of Object.entries(initialSettings)) this.settings.set(k, v);
  }

  /** The object name of `[catalog.][database.]name`, or an error text when catalog/database are not the defaults. */
  static objectName(parts: readonly string[]): string | { error: string } {
    const name = parts[parts.length - 1] ?? '';
    if (parts.length === 3 && parts[0] !== DEFAULT_CATALOG) return { error: `Catalog ${parts[0]} does not exist` };
    if (parts.length >= 2 && parts[parts.length - 2] !== DEFAULT_DATABASE) {
      return { error: `Database ${parts[parts.length - 2]} does not exist` };
    }
    if (parts.length > 3) return { error: `Invalid object name '${parts.join('.')}'` };
    return name;
  }

  static qualified(name: string): string {
    return `${DEFAULT_CATALOG}.${DEFAULT_DATABASE}.${name}`;
  }

  /** Every table and view name, for suggestions. */
  relationNames(): string[] {
    return [...this.tables.keys(), ...this.views.keys()];
  }

  /** 'table.exec.state.ttl' in ms (0 = forever). */
  stateTtlMs(): number {
    const v = this.settings.get('table.exec.state.ttl');
    return v === undefined ? 0 : parseDuration(v);
  }

  /** 'parallelism.default', when set. */
  parallelism(): number | undefined {
    const v = this.settings.get('parallelism.default');
    return v === undefined || v === '' ? undefined : Number(v);
  }

  /** Settings for SET without arguments: the known keys with their defaults, overridden by what was set. */
  listSettings(): [string, string][] {
    const all = new Map<string, string>(Object.entries(KNOWN_SETTINGS));
    for (const [k, v] of this.settings) all.set(k, v);
    return [...all].filter(([, v]) => v !== '').sort(([a], [b]) => a.localeCompare(b));
  }
}
