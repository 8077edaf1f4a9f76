import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createExpressionCompiler } from '../src/sql/expr/expression-compiler.js';
import { SqlExpressionError } from '../src/sql/expr/expression-error.js';
import { SqlTypes } from '../src/sql/types/type-factory.js';
import { big, bool, call, col, int, lit, nul, registry, str, typed } from './sql-expr-helpers.js';

const compiler = createExpressionCompiler(registry);
const evaluate = (rex: Parameters<typeof compiler.scalar>[0], row: unknown[] = [0]) =>
  compiler.scalar(rex, 'test')(row);

test('projection: one function, slot 0 copies the row kind, columns read at i + 1', () => {
  const p = compiler.projection([col(1, SqlTypes.bigint()), call('+', col(0, SqlTypes.int()), int(1))], 'p');
  assert.deepEqual(p([2, 10, 7]), [2, 7, 11]);
  assert.deepEqual(p([3, null, 7]), [3, 7, null]);
});

test('three-valued AND / OR / NOT, against the truth table', () => {
  const values = [true, false, null];
  const and = (a: boolean | null, b: boolean | null) =>
    a === false || b === false ? false : a === null || b === null ? null : true;
  const or = (a: boolean | null, b: boolean | null) =>
    a === true || b === true ? true : a === null || b === null ? null : false;
  for (const a of values) {
    for (const b of values) {
      assert.equal(evaluate(call('AND', bool(a), bool(b))), and(a, b), `${a} AND ${b}`);
      assert.equal(evaluate(call('OR', bool(a), bool(b))), or(a, b), `${a} OR ${b}`);
    }
    assert.equal(evaluate(call('NOT', bool(a))), a === null ? null : !a);
  }
  // Columns, so nothing is folded.
  const c = (i: number) => col(i, SqlTypes.boolean());
  const f = compiler.scalar(call('AND', c(0), call('OR', c(1), c(2))), 't');
  assert.equal(f([0, null, true, null]), null);
  assert.equal(f([0, false, null, null]), false);
});

test('predicates: NULL and FALSE reject', () => {
  const p = compiler.predicate(call('>', col(0, SqlTypes.bigint()), big(5)), 'where');
  assert.equal(p([0, 6]), true);
  assert.equal(p([0, 5]), false);
  assert.equal(p([0, null]), false);
});

test('arithmetic keeps Flink types: integer division truncates, DECIMAL rounds, INT wraps', () => {
  assert.equal(evaluate(call('/', int(7), int(2))), 3);
  assert.equal(evaluate(call('/', int(-7), int(2))), -3);
  assert.equal(evaluate(call('/', lit(7, SqlTypes.double(false)), int(2))), 3.5);
  assert.equal(evaluate(call('%', int(-7), int(3))), -1);
  const price = col(0, SqlTypes.bigint());
  const q1 = call('*', lit(0.908, SqlTypes.decimal(4, 3, false)), price);
  assert.deepEqual(q1.type, SqlTypes.decimal(23, 3, true));
  assert.equal(compiler.scalar(q1, 'q1')([0, 1234567]), 1120986.836);
  assert.equal(compiler.scalar(q1, 'q1')([0, 1001]), 908.908);
  assert.equal(evaluate(call('+', int(2147483647), int(1))), -2147483648);
  assert.equal(evaluate(call('-', int(5))), -5);
  assert.equal(evaluate(call('+', nul(SqlTypes.int()), int(1))), null);
});

test('division by zero names the operator, the SQL position and the row', () => {
  const f = compiler.scalar(call('/', col(0, SqlTypes.int()), col(1, SqlTypes.int())), 'Calc(select)');
  assert.throws(
    () => f([0, 1, 0]),
    (e: unknown) =>
      e instanceof SqlExpressionError &&
      /SQL function \/ at line 3, column 8 failed in Calc\(select\) on row \+I\[1, 0\]: Division by zero/.test(
        e.message,
      ),
  );
});

test('comparison of strings, timestamps, dates with timestamps; IS DISTINCT FROM', () => {
  assert.equal(evaluate(call('<', str('apple'), str('banana'))), true);
  assert.equal(evaluate(call('=', str('a'), nul(SqlTypes.string()))), null);
  const ts = SqlTypes.timestamp(3);
  assert.equal(compiler.scalar(call('>=', col(0, ts), col(1, ts)), 't')([0, 5, 5]), true);
  assert.equal(compiler.scalar(call('=', col(0, SqlTypes.date()), col(1, ts)), 't')([0, 1, 86_400_000]), true);
  assert.equal(evaluate(call('IS DISTINCT FROM', nul(SqlTypes.int()), nul(SqlTypes.int()))), false);
  assert.equal(evaluate(call('IS NOT DISTINCT FROM', int(1), nul(SqlTypes.int()))), false);
  assert.equal(evaluate(call('IS DISTINCT FROM', int(1), int(2))), true);
});

test('string concatenation, CASE, COALESCE, IF, IN with NULLs', () => {
  assert.equal(evaluate(call('||', str('a'), str('b'))), 'ab');
  assert.equal(evaluate(call('||', str('a'), nul(SqlTypes.string()))), null);
  const hour = col(0, SqlTypes.bigint());
  const kind = call(
    'CASE',
    call('AND', call('>=', hour, big(8)), call('<=', hour, big(18))),
    str('dayTime'),
    call('OR', call('<=', hour, big(6)), call('>=', hour, big(20))),
    str('nightTime'),
    str('otherTime'),
  );
  const f = compiler.scalar(kind, 'q15');
  assert.deepEqual(
    [f([0, 9]), f([0, 3]), f([0, 19]), f([0, null])],
    ['dayTime', 'nightTime', 'otherTime', 'otherTime'],
  );
  assert.equal(kind.type.kind, 'VARCHAR');
  assert.equal(evaluate(call('COALESCE', nul(SqlTypes.int()), int(2), int(3))), 2);
  assert.equal(evaluate(call('IF', bool(null), int(1), int(2))), 2);
  assert.equal(evaluate(call('IN', int(2), int(1), int(2))), true);
  assert.equal(evaluate(call('IN', int(3), int(1), nul(SqlTypes.int()))), null);
  assert.equal(evaluate(call('IN', int(3), int(1), int(2))), false);
  const c = col(0, SqlTypes.string());
  const inCol = compiler.scalar(call('IN', call('LOWER', c), str('apple'), str('google')), 'q21');
  assert.deepEqual([inCol([0, 'Apple']), inCol([0, 'x']), inCol([0, null])], [true, false, null]);
});

test('CAST between types, TRY_CAST, and a failing CAST naming function and row', () => {
  const S = SqlTypes.string();
  const cast = (value: unknown, from: ReturnType<typeof SqlTypes.string>, to: ReturnType<typeof SqlTypes.string>) =>
    compiler.scalar(typed('CAST', to, col(0, from)), 'cast')([0, value]);
  assert.equal(cast('42', S, SqlTypes.int()), 42);
  assert.equal(cast(' 42.9 ', S, SqlTypes.bigint()), 42);
  assert.equal(cast('1.5', S, SqlTypes.double()), 1.5);
  assert.equal(cast('1.005', S, SqlTypes.decimal(5, 2)), 1.01);
  assert.equal(cast(1.5, SqlTypes.decimal(3, 2), S), '1.50');
  assert.equal(cast(2.5, SqlTypes.double(), SqlTypes.int()), 2);
  assert.equal(cast(3_000_000_000, SqlTypes.bigint(), SqlTypes.int()), -1294967296);
  assert.equal(cast(true, SqlTypes.boolean(), S), 'TRUE');
  assert.equal(cast('yes', S, SqlTypes.boolean()), true);
  assert.equal(cast(1, SqlTypes.double(), S), '1.0');
  assert.equal(cast(1e10, SqlTypes.double(), S), '1.0E10');
  assert.equal(cast('2020-01-01 10:00:00.123', S, SqlTypes.timestamp(3)), Date.UTC(2020, 0, 1, 10, 0, 0, 123));
  assert.equal(cast('2020-01-01T10:00:00', S, SqlTypes.timestamp(3)), Date.UTC(2020, 0, 1, 10));
  assert.equal(cast(Date.UTC(2020, 0, 1, 10, 0, 0, 5), SqlTypes.timestamp(3), S), '2020-01-01 10:00:00.005');
  assert.equal(cast(Date.UTC(2020, 0, 1, 10, 0, 0, 5), SqlTypes.timestamp(0), S), '2020-01-01 10:00:00');
  assert.equal(
    cast(Date.UTC(2020, 0, 1, 10), SqlTypes.timestampLtz(3), SqlTypes.timestamp(3)),
    Date.UTC(2020, 0, 1, 10),
  );
  assert.equal(
    cast(Date.UTC(2020, 0, 1, 10, 0, 0, 999), SqlTypes.timestamp(3), SqlTypes.timestamp(0)),
    Date.UTC(2020, 0, 1, 10),
  );
  assert.equal(cast('2020-02-29', S, SqlTypes.date()), 18321);
  assert.equal(cast(18321, SqlTypes.date(), S), '2020-02-29');
  assert.equal(cast('abc', S, SqlTypes.varchar(2)), 'ab');
  assert.equal(cast('a', S, SqlTypes.char(3)), 'a  ');
  assert.equal(
    cast(
      [1, 'x'],
      SqlTypes.row([
        { name: 'a', type: SqlTypes.int() },
        { name: 'b', type: S },
      ]),
      S,
    ),
    '(1, x)',
  );
  assert.equal(compiler.scalar(typed('TRY_CAST', SqlTypes.int(), col(0, S)), 't')([0, 'abc']), null);
  assert.throws(
    () => cast('abc', S, SqlTypes.int()),
    (e: unknown) =>
      e instanceof SqlExpressionError &&
      /function CAST at line 3, column 8.*row \+I\[abc\].*Cannot cast 'abc' to INT/.test(e.message),
  );
  assert.throws(() => cast(1, SqlTypes.bigint(), SqlTypes.timestamp(3)), /TO_TIMESTAMP_LTZ/);
});

test('LIKE with escape, SIMILAR TO', () => {
  const like = (s: string, p: string, e?: string) =>
    evaluate(e === undefined ? call('LIKE', str(s), str(p)) : call('LIKE', str(s), str(p), str(e)));
  assert.equal(like('hello', 'h%o'), true);
  assert.equal(like('hello', 'h_llo'), true);
  assert.equal(like('hello', 'h_lo'), false);
  assert.equal(like('a.c', 'a.c'), true);
  assert.equal(like('abc', 'a.c'), false);
  assert.equal(like('50%', '50!%', '!'), true);
  assert.equal(like('500', '50!%', '!'), false);
  const dyn = compiler.scalar(call('LIKE', col(0, SqlTypes.string()), col(1, SqlTypes.string())), 'like');
  assert.equal(dyn([0, 'abc', 'a%']), true);
  assert.equal(dyn([0, 'abc', null]), null);
  assert.equal(evaluate(call('SIMILAR TO', str('abc'), str('(a|b)%'))), true);
  assert.equal(evaluate(call('SIMILAR TO', str('cab'), str('(a|b)%'))), false);
});

test('ROW field access, ITEM on arrays (1-based) and maps, constructors', () => {
  const rowType = SqlTypes.row([
    { name: 'id', type: SqlTypes.bigint() },
    { name: 'name', type: SqlTypes.string() },
  ]);
  const field = { kind: 'field' as const, expression: col(0, rowType), index: 1, type: SqlTypes.string() };
  const f = compiler.projection([field], 'p');
  assert.deepEqual(f([0, [1, 'bob']]), [0, 'bob']);
  assert.deepEqual(f([0, null]), [0, null]);
  const arr = col(0, SqlTypes.array(SqlTypes.string()));
  const item = compiler.scalar(call('ITEM', arr, int(2)), 'i');
  assert.equal(item([0, ['a', 'b']]), 'b');
  assert.equal(item([0, ['a']]), null);
  const map = col(0, SqlTypes.map(SqlTypes.string(), SqlTypes.int()));
  assert.equal(compiler.scalar(call('ITEM', map, str('k')), 'm')([0, new Map([['k', 5]])]), 5);
  assert.deepEqual(evaluate(call('ROW', int(1), str('x'))), [1, 'x']);
  assert.deepEqual(evaluate(call('ARRAY', int(1), int(2))), [1, 2]);
  assert.deepEqual(evaluate(call('MAP', str('a'), int(1))), new Map([['a', 1]]));
});

test('join predicates read the left row, then the right row', () => {
  const p = compiler.joinPredicate(call('=', col(0, SqlTypes.bigint()), col(2, SqlTypes.bigint())), 2, 'join');
  assert.equal(p([0, 7, 'x'], [0, 7, 'y']), true);
  assert.equal(p([0, 7, 'x'], [0, 8, 'y']), false);
  assert.equal(p([0, null, 'x'], [0, null, 'y']), false);
});

test('constant calls are folded; non-deterministic ones are not', () => {
  const folded = compiler.projection([call('UPPER', str('abc')), call('RAND')], 'p');
  const a = folded([0]);
  assert.equal(a[1], 'ABC');
  assert.notEqual(folded([0])[2], a[2]);
  assert.equal(evaluate(call('TIMESTAMPADD', str('DAY'), int(1), lit(0, SqlTypes.timestamp(3, false)))), 86_400_000);
});

test('datetime arithmetic with intervals', () => {
  const ts = col(0, SqlTypes.timestamp(3));
  const minus = compiler.scalar(call('-', ts, lit(4000, SqlTypes.intervalDayTime(false))), 'wm');
  assert.equal(minus([0, 10_000]), 6000);
  const months = compiler.scalar(call('+', ts, lit(1, SqlTypes.intervalYearMonth(false))), 'm');
  assert.equal(months([0, Date.UTC(2020, 0, 31)]), Date.UTC(2020, 1, 29));
  const date = compiler.scalar(
    call('+', col(0, SqlTypes.date()), lit(86_400_000, SqlTypes.intervalDayTime(false))),
    'd',
  );
  assert.equal(date([0, 10]), 11);
});
