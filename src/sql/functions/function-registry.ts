import type { CreateFunction, Statement } from '../parser/ast.js';
import type {
  AggregateFunctionDefinition,
  FunctionCatalog,
  ScalarFunctionDefinition,
  TableFunctionDefinition,
} from './function-catalog.js';

/** Where a script came from, for error messages and for module paths. */
export interface ScriptContext {
  readonly text?: string;
  readonly source?: string;
  readonly baseDir?: string;
}

/**
 * Placeholder until the function registry is merged (same API as the real one): a catalog that knows no function.
 */
export class FunctionRegistry implements FunctionCatalog {
  constructor(readonly context: ScriptContext = {}) {}
  scalar(_name: string): ScalarFunctionDefinition | undefined {
    return undefined;
  }
  aggregate(_name: string): AggregateFunctionDefinition | undefined {
    return undefined;
  }
  table(_name: string): TableFunctionDefinition | undefined {
    return undefined;
  }
  names(): readonly string[] {
    return [];
  }
  userFunctionNames(): readonly string[] {
    return [];
  }
  register(name: string, value: unknown, _options: Record<string, unknown> = {}): void {
    throw new Error(`function registry not merged yet (${name}, ${typeof value})`);
  }
  drop(_name: string): boolean {
    return false;
  }
  async prepare(_statements: readonly Statement[]): Promise<void> {}
  createFunction(statement: CreateFunction): void {
    throw new Error(`function registry not merged yet (CREATE FUNCTION at line ${statement.span.line})`);
  }
}
