import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createExpressionCompiler } from '../src/sql/expr/expression-compiler.js';
import { SqlExpressionError } from '../src/sql/expr/expression-error.js';
import { FunctionRegistry } from '../src/sql/functions/function-registry.js';
import { evaluateAsyncBatch } from '../src/sql/functions/udf/async-batch.js';
import type { UserScalarFunction, UserTableFunction } from '../src/sql/functions/udf/user-function.js';
import type { CreateFunction, TypeName } from '../src/sql/parser/ast.js';
import type { Rex } from '../src/sql/plan/rex.js';
import { SqlError } from '../src/sql/sql-error.js';
import { SqlTypes } from '../src/sql/types/type-factory.js';

const span = { start: 0, end: 10, line: 2, column: 1 };
const id = (name: string) => ({ kind: 'identifier' as const, name, quoted: false, span });
const simple = (name: 'BIGINT' | 'STRING'): TypeName => ({ kind: 'simpleType', name, args: [], nullable: true, span });

function createFunction(name: string, body: string, options: Partial<CreateFunction> = {}): CreateFunction {
  return {
    kind: 'createFunction',
    name: { kind: 'qualifiedName', parts: [id(name)], span },
    temporary: false,
    ifNotExists: false,
    body,
    bodyKind: body.startsWith('$') ? 'inline' : 'reference',
    bodySpan: span,
    span,
    ...options,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-udf-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function callRex(registry: FunctionRegistry, name: string, args: Rex[]): Rex {
  const type = registry.scalar(name)?.inferType(args.map((a) => a.type)) ?? SqlTypes.any();
  return { kind: 'call', name, args, type, udf: true, span: { start: 0, end: 1, line: 5, column: 12 } };
}
const col = (i: number, type = SqlTypes.bigint()): Rex => ({ kind: 'input', index: i, type });

test('inline JavaScript and TypeScript functions, with and without a signature', () => {
  const registry = new FunctionRegistry();
  registry.createFunction(
    createFunction('mod100', '(price) => price % 100', { bodyKind: 'inline', language: 'JAVASCRIPT' }),
  );
  registry.createFunction(
    createFunction('label', 'function label(a: number, b: string): string { return b + ":" + a; }', {
      bodyKind: 'inline',
      language: 'TYPESCRIPT',
      parameters: [
        { name: id('a'), type: simple('BIGINT') },
        { name: id('b'), type: simple('STRING') },
      ],
      returns: simple('STRING'),
    }),
  );
  const compiler = createExpressionCompiler(registry);
  const f = compiler.projection(
    [callRex(registry, 'mod100', [col(0)]), callRex(registry, 'LABEL', [col(0), col(1, SqlTypes.string())])],
    'p',
  );
  assert.deepEqual(f([0, 1234, 'x']), [0, 34, 'x:1234']);
  assert.deepEqual(f([0, null, 'x']), [0, null, null]);
  assert.equal(registry.scalar('mod100')?.inferType([SqlTypes.bigint()]).kind, 'ANY');
  assert.equal(registry.scalar('label')?.inferType([SqlTypes.bigint(), SqlTypes.string()]).kind, 'VARCHAR');
  assert.throws(() => registry.scalar('label')?.inferType([SqlTypes.bigint()]), /takes 2 arguments/);
  assert.throws(
    () => registry.createFunction(createFunction('bad', '(x) => {', { bodyKind: 'inline', language: 'JAVASCRIPT' })),
    (e: unknown) => e instanceof SqlError && /Function bad: the body does not evaluate/.test(e.message),
  );
});

test('a throwing user function names the function, the SQL line and the row', () => {
  const registry = new FunctionRegistry();
  registry.register('explode', (x: number) => {
    if (x > 1) throw new Error('too big');
    return x;
  });
  const f = createExpressionCompiler(registry).projection([callRex(registry, 'explode', [col(0)])], 'Calc(select)');
  assert.deepEqual(f([0, 1]), [0, 1]);
  assert.throws(
    () => f([0, 2]),
    (e: unknown) =>
      e instanceof SqlExpressionError &&
      /function explode at line 5, column 12 failed in Calc\(select\) on row \+I\[2\]: user function 'explode' threw: too big/.test(
        e.message,
      ),
  );
});

test('module functions: relative path, named and default exports, TypeScript; kinds by shape', async () => {
  writeFileSync(
    join(dir, 'udfs.ts'),
    `export function twice(x: number): number { return x * 2; }
export default (s: string) => s.length;
export function* words(s: string) { for (const w of s.split(' ')) yield [w, w.length]; }
export const total = {
  createAccumulator: () => ({ n: 0 }),
  accumulate(acc: { n: number }, x: number) { acc.n += x; },
  retract(acc: { n: number }, x: number) { acc.n -= x; },
  getValue: (acc: { n: number }) => acc.n,
};
export const nullable = Object.assign((x: unknown) => x === null ? 'was null' : 'value', { callOnNull: true });
`,
  );
  const registry = new FunctionRegistry({ baseDir: dir });
  const statements = [
    createFunction('twice', './udfs.ts#twice', { language: 'TYPESCRIPT' }),
    createFunction('len', './udfs.ts', { language: 'TYPESCRIPT' }),
    createFunction('words', './udfs.ts#words', { language: 'TYPESCRIPT' }),
    createFunction('total', './udfs.ts#total', { language: 'TYPESCRIPT' }),
    createFunction('nullable', './udfs.ts#nullable', { language: 'TYPESCRIPT' }),
  ];
  await registry.prepare(statements);
  for (const s of statements) registry.createFunction(s);
  const compiler = createExpressionCompiler(registry);
  const f = compiler.projection(
    [
      callRex(registry, 'twice', [col(0)]),
      callRex(registry, 'len', [col(1, SqlTypes.string())]),
      callRex(registry, 'nullable', [col(1, SqlTypes.string())]),
    ],
    'p',
  );
  assert.deepEqual(f([0, 21, 'abc']), [0, 42, 3, 'value']);
  assert.deepEqual(f([0, 21, null]), [0, 42, null, 'was null']);
  const words = registry.table('words') as UserTableFunction;
  assert.deepEqual(
    words.rows(['a bb']),
    [
      ['a', 1],
      ['bb', 2],
    ].map((r) => [r]),
  );
  const total = registry.aggregate('total');
  assert.ok(total?.retractable);
  let acc = total?.createAccumulator();
  for (const x of [1, 2, null, 3]) acc = total?.accumulate(acc, [x]);
  acc = total?.retract?.(acc, [2]);
  assert.equal(total?.getValue(acc), 4);
  // Without LANGUAGE a path is a module too (only a class name defaults to Java).
  const plain = new FunctionRegistry({ baseDir: dir });
  const unmarked = createFunction('twice', './udfs.ts#twice');
  await plain.prepare([unmarked]);
  plain.createFunction(unmarked);
  assert.ok(plain.scalar('twice'));
  await assert.rejects(
    () =>
      new FunctionRegistry({ baseDir: dir }).prepare([
        createFunction('nope', './udfs.ts#missing', { language: 'TYPESCRIPT' }),
      ]),
    /has no export 'missing'/,
  );
  assert.throws(
    () => new FunctionRegistry({ baseDir: dir }).createFunction(statements[0] as CreateFunction),
    /was not loaded: modules load asynchronously, so in a job file call `await tableEnv.prepareSql/,
  );
});

test("Nexmark's Java CountChar maps to a built-in TypeScript function; other Java classes fail clearly", () => {
  const registry = new FunctionRegistry();
  registry.createFunction(createFunction('count_char', 'com.github.nexmark.flink.udf.CountChar'));
  assert.equal(registry.scalar('count_char')?.inferType([SqlTypes.string(), SqlTypes.string()]).kind, 'BIGINT');
  const f = createExpressionCompiler(registry).scalar(
    callRex(registry, 'count_char', [
      col(0, SqlTypes.string()),
      { kind: 'literal', value: 'c', type: SqlTypes.char(1, false) },
    ]),
    'q14',
  );
  assert.equal(f([0, 'abcacc']), 3);
  assert.throws(
    () => registry.createFunction(createFunction('f', 'com.example.MyUdf')),
    (e: unknown) =>
      e instanceof SqlError && /Java class 'com.example.MyUdf' is not available in Sluice/.test(e.message),
  );
});

test('async functions: detected, refused inside expressions, evaluated in batches with a timeout', async () => {
  const registry = new FunctionRegistry();
  registry.register('lookup', async (x: number) => x + 1);
  registry.register('slow', async () => new Promise(() => {}), { timeoutMs: 20 });
  const lookup = registry.scalar('lookup') as UserScalarFunction;
  assert.equal(lookup.async, true);
  assert.throws(
    () => createExpressionCompiler(registry).scalar(callRex(registry, 'lookup', [col(0)]), 'p'),
    /async I\/O operator/,
  );
  assert.deepEqual(await evaluateAsyncBatch(lookup, [[1], [null], [3]], { concurrency: 2 }), [2, null, 4]);
  await assert.rejects(
    () =>
      evaluateAsyncBatch(registry.scalar('slow') as UserScalarFunction, [[1]], {
        span: { start: 0, end: 1, line: 4, column: 2 },
      }),
    /async function 'slow' \(line 4, column 2\) timed out after 20 ms/,
  );
});
