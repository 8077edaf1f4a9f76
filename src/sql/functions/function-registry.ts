import type { CreateFunction, Span, Statement } from '../parser/ast.js';
import { SqlError } from '../sql-error.js';
import { typeFromAst } from '../types/type-from-ast.js';
import { BUILTIN_AGGREGATE_FUNCTIONS, type BuiltinAggregateFunction } from './aggregates/index.js';
import { BUILTIN_SCALAR_FUNCTIONS, type BuiltinScalarFunction } from './builtins/index.js';
import type {
  AggregateFunctionDefinition,
  FunctionCatalog,
  ScalarFunctionDefinition,
  TableFunctionDefinition,
} from './function-catalog.js';
import { evaluateInlineBody, InlineBodyError } from './udf/inline-function.js';
import { JAVA_CLASS_FUNCTIONS } from './udf/java-functions.js';
import { importModuleExport, parseModuleReference } from './udf/module-loader.js';
import { createUserFunction, type UserFunction, type UserFunctionOptions } from './udf/user-function.js';

/** Where a script came from, for error messages and for module paths. */
export interface ScriptContext {
  /** The script text, quoted in errors. */
  readonly text?: string;
  /** The script's name (file path or `<inline>`). */
  readonly source?: string;
  /** Directory module references are relative to (the script's directory); default the working directory. */
  readonly baseDir?: string;
}

/**
 * The {@link FunctionCatalog} of one planned script: Flink's built-ins (case-insensitive) and user functions.
 *
 * User functions come from code (`register`) or from CREATE FUNCTION statements (`createFunction`):
 * - inline: `CREATE FUNCTION f AS $$ (price) => price % 100 $$ LANGUAGE JAVASCRIPT|TYPESCRIPT`;
 * - module: `CREATE FUNCTION f AS './udfs.ts#name' LANGUAGE TYPESCRIPT|JAVASCRIPT` (default export without `#`);
 * - Java: a class Sluice implements in TypeScript (Nexmark's CountChar), else a clear error.
 * Modules load asynchronously: call `await prepare(statements)` once before planning; `createFunction` is then
 * synchronous. User function names are case-insensitive, like Flink's, and shadow built-ins of the same name.
 */
export class FunctionRegistry implements FunctionCatalog {
  private readonly builtinScalars = new Map<string, BuiltinScalarFunction>();
  private readonly builtinAggregates = new Map<string, BuiltinAggregateFunction>();
  private readonly users = new Map<string, UserFunction>();
  private readonly modules = new Map<string, unknown>();

  constructor(private readonly context: ScriptContext = {}) {
    for (const f of BUILTIN_SCALAR_FUNCTIONS) this.builtinScalars.set(f.name.toUpperCase(), f);
    for (const f of BUILTIN_AGGREGATE_FUNCTIONS) this.builtinAggregates.set(f.name.toUpperCase(), f);
  }

  scalar(name: string): ScalarFunctionDefinition | undefined {
    const user = this.users.get(name.toLowerCase());
    if (user !== undefined) return user.kind === 'scalar' ? user.definition : undefined;
    return this.builtinScalars.get(name.toUpperCase());
  }

  aggregate(name: string): AggregateFunctionDefinition | undefined {
    const user = this.users.get(name.toLowerCase());
    if (user !== undefined) return user.kind === 'aggregate' ? user.definition : undefined;
    return this.builtinAggregates.get(name.toUpperCase());
  }

  table(name: string): TableFunctionDefinition | undefined {
    const user = this.users.get(name.toLowerCase());
    return user?.kind === 'table' ? user.definition : undefined;
  }

  names(): readonly string[] {
    const names = new Set<string>();
    for (const f of this.builtinScalars.values()) if (/^[A-Z_][A-Z0-9_]*$/.test(f.name)) names.add(f.name);
    for (const f of this.builtinAggregates.values()) names.add(f.name);
    for (const f of this.users.values()) names.add(f.definition.name);
    return [...names].sort();
  }

  /** The names of user functions, for SHOW USER FUNCTIONS. */
  userFunctionNames(): readonly string[] {
    return [...this.users.values()].map((f) => f.definition.name).sort();
  }

  /** Built-in scalar functions and operators, for documentation. */
  builtinScalarFunctions(): readonly BuiltinScalarFunction[] {
    return BUILTIN_SCALAR_FUNCTIONS;
  }

  /** Built-in aggregate functions, for documentation. */
  builtinAggregateFunctions(): readonly BuiltinAggregateFunction[] {
    return BUILTIN_AGGREGATE_FUNCTIONS;
  }

  /**
   * Registers a user function from code: a function (scalar; async when it returns a Promise and is an
   * `async function` or `options.async`), a generator function (table function) or an aggregate object. Replaces a
   * user function of the same name. Throws a TypeError for a value of another shape.
   */
  register(name: string, value: unknown, options: UserFunctionOptions = {}): void {
    this.users.set(name.toLowerCase(), createUserFunction(name, value, options));
  }

  /** Removes a user function; false when there was none. */
  drop(name: string): boolean {
    return this.users.delete(name.toLowerCase());
  }

  /**
   * Loads the modules that the CREATE FUNCTION statements among `statements` refer to, so that `createFunction`
   * can run synchronously. Call once per script before planning. Rejects with a SqlError at the statement naming
   * the file or export that is missing.
   */
  async prepare(statements: readonly Statement[]): Promise<void> {
    for (const statement of statements) {
      if (statement.kind !== 'createFunction' || statement.bodyKind !== 'reference') continue;
      const reference = parseModuleReference(statement.body, this.baseDir());
      if (reference === undefined || this.modules.has(statement.body)) continue;
      try {
        this.modules.set(statement.body, await importModuleExport(reference.file, reference.exportName));
      } catch (e) {
        throw this.error(`Cannot load function ${nameOf(statement)}: ${(e as Error).message}`, statement, 'body');
      }
    }
  }

  /**
   * Registers the function of a CREATE FUNCTION statement (IF NOT EXISTS keeps an existing one). Throws a SqlError
   * at the statement for an existing name, a body that does not evaluate, a module not loaded by `prepare`, or a
   * Java class Sluice does not provide.
   */
  createFunction(statement: CreateFunction): void {
    const name = nameOf(statement);
    if (this.users.has(name.toLowerCase())) {
      if (statement.ifNotExists) return;
      throw this.error(`Function ${name} already exists`, statement);
    }
    const options: UserFunctionOptions = {
      returns: statement.returns === undefined ? undefined : typeFromAst(statement.returns, this.text(), this.source()),
      params: statement.parameters?.map((p) => typeFromAst(p.type, this.text(), this.source())),
    };
    const value = this.functionValue(statement, name);
    const java = statement.bodyKind === 'reference' ? JAVA_CLASS_FUNCTIONS.get(statement.body) : undefined;
    try {
      this.users.set(
        name.toLowerCase(),
        createUserFunction(name, value, java === undefined ? options : { ...java.options, ...definedOnly(options) }),
      );
    } catch (e) {
      throw this.error((e as Error).message, statement, 'body');
    }
  }

  private functionValue(statement: CreateFunction, name: string): unknown {
    // Without LANGUAGE, a reference that is a module path ('./udfs.mjs#f') is a JavaScript/TypeScript module, as
    // documented; any other reference is a Java class name (Flink's default language).
    const modulePath = statement.bodyKind === 'reference' && parseModuleReference(statement.body, this.baseDir());
    const language = statement.language ?? (statement.bodyKind === 'inline' || modulePath ? 'JAVASCRIPT' : 'JAVA');
    if (statement.bodyKind === 'inline') {
      if (language !== 'JAVASCRIPT' && language !== 'TYPESCRIPT') {
        throw this.error(`Inline functions are written in JAVASCRIPT or TYPESCRIPT, not ${language}`, statement);
      }
      try {
        return evaluateInlineBody(statement.body, language);
      } catch (e) {
        const reason = `Function ${name}: the body does not evaluate: ${(e as Error).message}`;
        if (e instanceof InlineBodyError && e.line !== undefined && e.column !== undefined) {
          throw new SqlError(reason, spanInBody(statement, e.line, e.column), this.text(), this.source());
        }
        throw this.error(reason, statement, 'body');
      }
    }
    const java = JAVA_CLASS_FUNCTIONS.get(statement.body);
    if (java !== undefined) return java.value;
    const reference = parseModuleReference(statement.body, this.baseDir());
    // Without LANGUAGE, a path ('./udfs.ts#f') is a module; only a class name defaults to Java, as in Flink.
    const foreign = statement.language !== undefined && ['JAVA', 'SCALA', 'PYTHON'].includes(statement.language);
    if (reference === undefined || foreign) {
      const known = [...JAVA_CLASS_FUNCTIONS.keys()].join(', ');
      throw this.error(
        `Function ${name}: ${language === 'PYTHON' ? 'Python' : 'Java'} class '${statement.body}' is not available in Sluice (it provides: ${known}). Write the function in TypeScript: CREATE FUNCTION ${name} AS './functions.ts#${name}' LANGUAGE TYPESCRIPT`,
        statement,
        'body',
      );
    }
    if (!this.modules.has(statement.body)) {
      throw this.error(
        `Function ${name}: module '${statement.body}' was not loaded: modules load asynchronously, so in a job file ` +
          'call `await tableEnv.prepareSql(script)` before `tableEnv.executeSql(script)`',
        statement,
        'body',
      );
    }
    return this.modules.get(statement.body);
  }

  private baseDir(): string {
    return this.context.baseDir ?? process.cwd();
  }

  private text(): string {
    return this.context.text ?? '';
  }

  private source(): string {
    return this.context.source ?? '<sql>';
  }

  private error(reason: string, statement: CreateFunction, at: 'statement' | 'body' = 'statement'): SqlError {
    return new SqlError(reason, at === 'body' ? statement.bodySpan : statement.span, this.text(), this.source());
  }
}

function nameOf(statement: CreateFunction): string {
  const parts = statement.name.parts;
  return (parts[parts.length - 1] as { name: string }).name;
}

/** The script position of `line`:`column` (1-based) of an inline body. */
function spanInBody(statement: CreateFunction, line: number, column: number): Span {
  const body = statement.bodySpan;
  const lines = statement.body.split('\n');
  let start = body.start;
  for (let i = 0; i < line - 1; i++) start += (lines[i]?.length ?? 0) + 1;
  start += column - 1;
  return {
    start,
    end: start + 1,
    line: body.line + line - 1,
    column: line === 1 ? body.column + column - 1 : column,
  };
}

function definedOnly(options: UserFunctionOptions): UserFunctionOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as UserFunctionOptions;
}
