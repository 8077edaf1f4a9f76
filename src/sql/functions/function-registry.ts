import type { CreateFunction } from '../parser/ast.js';
import type {
  AggregateFunctionDefinition,
  FunctionCatalog,
  ScalarFunctionDefinition,
  TableFunctionDefinition,
} from './function-catalog.js';

/** Placeholder until the function registry is merged: a catalog that knows no function. */
export class FunctionRegistry implements FunctionCatalog {
  static withBuiltins(): FunctionRegistry {
    return new FunctionRegistry();
  }
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
  /** CREATE FUNCTION: registers an inline or module function. */
  registerStatement(statement: CreateFunction, context: { baseDir: string; text: string; source: string }): void {
    throw new Error(`function registry not merged yet (${statement.name.span.line}, ${context.source})`);
  }
  /** TableEnvironment.createFunction: registers a function from code. */
  registerImplementation(
    name: string,
    implementation: unknown,
    signature?: { params?: readonly string[]; returns?: string; kind?: 'scalar' | 'aggregate' | 'table' | 'async' },
  ): void {
    throw new Error(`function registry not merged yet (${name}, ${typeof implementation}, ${signature})`);
  }
  /** DROP FUNCTION: true when it existed. */
  drop(name: string): boolean {
    throw new Error(`function registry not merged yet (${name})`);
  }
}
