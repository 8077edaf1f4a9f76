import type { StreamExecutionEnvironment } from '../../api/environment.js';
import { TableOptionError } from '../connectors/connector-options.js';
import { connectorNames } from '../connectors/registry.js';
import type { TableConnector } from '../connectors/table-connector.js';
import type { ExpressionCompiler } from '../functions/function-catalog.js';
import type { SqlOperatorOptions } from '../operators/common.js';
import type { Span } from '../parser/ast.js';
import { nearestName, SqlError } from '../sql-error.js';
import type { Catalog } from './catalog.js';
import { optionSpan } from './option-span.js';

/** Finds the connector for a 'connector' option value. */
export type ConnectorLookup = (name: string) => TableConnector | undefined;

/** What lowering one statement needs: the environment, compiler, catalog and the statement's identity. */
export class LowerContext {
  constructor(
    readonly env: StreamExecutionEnvironment,
    readonly compiler: ExpressionCompiler,
    readonly catalog: Catalog,
    readonly connectors: ConnectorLookup,
    /** Index of the statement in the environment (uids: sql-<index>-<path>). */
    readonly statementIndex: number,
    readonly text: string,
    readonly source: string,
    /** Where errors without a better position point (the statement). */
    readonly span: Span | undefined,
  ) {}

  get runtimeMode(): 'streaming' | 'batch' {
    return runtimeModeOf(this.env);
  }

  uid(path: string): string {
    return `sql-${this.statementIndex}-${path}`;
  }

  options(name: string, path: string): SqlOperatorOptions {
    const ttl = this.catalog.stateTtlMs();
    return { name, uid: this.uid(path), ...(ttl > 0 ? { stateTtlMs: ttl } : {}) };
  }

  fail(reason: string, span?: Span, suggestion?: string): never {
    throw new SqlError(reason, span ?? this.span, this.text, this.source, suggestion);
  }

  /** Fails for a 'connector' option naming no connector, at the option, suggesting the nearest connector. */
  failUnknownConnector(name: string, tableSpan: Span | undefined): never {
    const near = nearestName(name, connectorNames());
    this.fail(
      `Unknown connector '${name}' (connectors: ${connectorNames().join(', ')})`,
      optionSpan(this.text, tableSpan, 'connector') ?? tableSpan,
      near === undefined ? undefined : `Did you mean '${near}'?`,
    );
  }

  /**
   * Fails for an error a connector threw while creating the source or sink of the table created at `tableSpan`:
   * a wrong WITH option points at the option (with its suggestion on its own line), anything else at the table.
   */
  failConnector(e: unknown, tableSpan: Span | undefined): never {
    if (e instanceof SqlError) throw e;
    if (e instanceof TableOptionError) {
      const at = e.option === undefined ? undefined : optionSpan(this.text, tableSpan, e.option);
      this.fail(e.reason, at ?? tableSpan, e.suggestion);
    }
    this.fail(e instanceof Error ? e.message : String(e), tableSpan);
  }
}

/**
 * The runtime mode the job will run in: the command line's `--mode` (kept by the environment as an override that
 * wins over the job's own setting) or the environment's own. Planning needs it (batch materialises updates before
 * sinks and needs bounded sources), so the job loader must apply the overrides before it builds the job.
 */
export function runtimeModeOf(env: StreamExecutionEnvironment): 'streaming' | 'batch' {
  return env.getEffectiveConfig().runtimeMode;
}
