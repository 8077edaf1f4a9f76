import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createExpressionCompiler } from '../src/sql/expr/expression-compiler.js';
import { leastRestrictive } from '../src/sql/types/common-type.js';
import { fromCsvText, toCsvText } from '../src/sql/types/csv-value.js';
import { formatValue } from '../src/sql/types/format-value.js';
import { fromJsonValue, SqlValueError, toJsonValue } from '../src/sql/types/json-value.js';
import { SqlTypes } from '../src/sql/types/type-factory.js';
import { big, call, col, int, lit, registry, str } from './sql-expr-helpers.js';

const compiler = createExpressionCompiler(registry);
const run = (rex: Parameters<typeof compiler.scalar>[0], row: unknown[] = [0]) => compiler.scalar(rex, 'test')(row);
const T = SqlTypes.timestamp(3);
const at = (iso: string) => Date.parse(`${iso}Z`);

test('DATE_FORMAT with Java pattern letters (UTC)', () => {
  const ts = col(0, T);
  const f = (pattern: string, ms: number) => run(call('DATE_FORMAT', ts, str(pattern)), [0, ms]);
  const t = at('2015-07-24T10:07:05.042');
  assert.equal(f('yyyy-MM-dd', t), '2015-07-24');
  assert.equal(f('HH:mm', t), '10:07');
  assert.equal(f('yyyy-MM-dd HH:mm:ss.SSS', t), '2015-07-24 10:07:05.042');
  assert.equal(f("yy/M/d h:mm a 'at' EEE", t), '15/7/24 10:07 AM at Fri');
  assert.equal(f('MMM MMMM D', t), 'Jul July 205');
  assert.equal(run(call('DATE_FORMAT', str('2015-07-24 10:07:05'), str('HH')), [0]), '10');
  assert.equal(run(call('DATE_FORMAT', str('not a time'), str('HH')), [0]), null);
  assert.throws(() => f('yyyy-bb', t), /Illegal pattern character 'b'/);
});

test('SPLIT_INDEX as Flink documents it: whole separator, empty tokens kept, 0-based, NULL out of range', () => {
  const s = (text: string, sep: string, i: number) => run(call('SPLIT_INDEX', str(text), str(sep), int(i)));
  const url = 'https://www.nexmark.com/abc/def/ghi/item.htm?query=1';
  assert.equal(s(url, '/', 3), 'abc');
  assert.equal(s(url, '/', 4), 'def');
  assert.equal(s(url, '/', 1), '');
  assert.equal(s('Jack,John,Mary', ',', 2), 'Mary');
  assert.equal(s('Jack,John,Mary', ',', 3), null);
  assert.equal(s('Jack,John,Mary', ',', -1), null);
  assert.equal(s('a--b', '--', 1), 'b');
});

test('REGEXP_EXTRACT, REGEXP_REPLACE, REGEXP', () => {
  const e = (text: string, re: string, g?: number) =>
    run(
      g === undefined ? call('REGEXP_EXTRACT', str(text), str(re)) : call('REGEXP_EXTRACT', str(text), str(re), int(g)),
    );
  assert.equal(e('foothebar', 'foo(.*?)(bar)', 2), 'bar');
  assert.equal(e('foothebar', 'foo(.*?)(bar)', 1), 'the');
  assert.equal(e('foothebar', 'foo(.*?)(bar)'), 'foothebar');
  assert.equal(e('channel_id=7&x=1', '(&|^)channel_id=([^&]*)', 2), '7');
  assert.equal(e('x=1&channel_id=abc', '(&|^)channel_id=([^&]*)', 2), 'abc');
  assert.equal(e('x=1', '(&|^)channel_id=([^&]*)', 2), null);
  assert.equal(e('abc', '(b)', 5), null);
  assert.equal(run(call('REGEXP_REPLACE', str('foobar'), str('oo|ar'), str(''))), 'fb');
  assert.equal(run(call('REGEXP_REPLACE', str('a1b2'), str('(\\d)'), str('<$1>'))), 'a<1>b<2>');
  assert.equal(run(call('REGEXP', str('ABC'), str('(?i)b'))), true);
});

test('string functions', () => {
  const s = (name: string, ...args: Parameters<typeof call>[1][]) => run(call(name, ...args));
  assert.equal(s('CHAR_LENGTH', str('hello')), 5);
  assert.equal(s('INSTR', str('hello'), str('l')), 3);
  assert.equal(s('INSTR', str('hello'), str('z')), 0);
  assert.equal(s('LOCATE', str('l'), str('hello'), int(4)), 4);
  assert.equal(s('POSITION', str('lo'), str('hello')), 4);
  assert.equal(s('LOWER', str('AbC')), 'abc');
  assert.equal(s('UPPER', str('AbC')), 'ABC');
  assert.equal(s('SUBSTRING', str('Hello'), int(2), int(3)), 'ell');
  assert.equal(s('SUBSTRING', str('Hello'), int(0), int(2)), 'He');
  assert.equal(s('SUBSTRING', str('Hello'), int(-3)), 'llo');
  assert.equal(s('TRIM', str('  x  ')), 'x');
  assert.equal(s('TRIM', str('LEADING'), str('x'), str('xxaxx')), 'axx');
  assert.equal(s('RTRIM', str('x  ')), 'x');
  assert.equal(s('REPLACE', str('aXbXc'), str('X'), str('-')), 'a-b-c');
  assert.equal(s('LPAD', str('hi'), int(5), str('?!')), '?!?hi');
  assert.equal(s('LPAD', str('hello'), int(2), str('?')), 'he');
  assert.equal(s('RPAD', str('hi'), int(4), str('x')), 'hixx');
  assert.equal(s('LPAD', str('hi'), int(-1), str('x')), null);
  assert.equal(s('INITCAP', str('hello wORLD')), 'Hello World');
  assert.equal(s('REVERSE', str('abc')), 'cba');
  assert.equal(s('LEFT', str('abc'), int(2)), 'ab');
  assert.equal(s('RIGHT', str('abc'), int(2)), 'bc');
  assert.equal(s('REPEAT', str('ab'), int(3)), 'ababab');
  assert.equal(s('CONCAT', str('a'), str('b'), str('c')), 'abc');
  assert.equal(s('CONCAT', str('a'), str(null)), null);
  assert.equal(s('CONCAT_WS', str('-'), str('a'), str(null), str('c')), 'a-c');
  assert.equal(s('ASCII', str('A')), 65);
  assert.equal(s('CHR', int(97)), 'a');
  assert.equal(s('FROM_BASE64', s('TO_BASE64', str('héllo')) === 'aMOpbGxv' ? str('aMOpbGxv') : str('')), 'héllo');
  assert.equal(s('MD5', str('')), 'd41d8cd98f00b204e9800998ecf8427e');
  assert.equal(s('JSON_VALUE', str('{"a":{"b":[1,2]}}'), str('$.a.b[1]')), '2');
  assert.equal(s('JSON_VALUE', str('{"a":1}'), str('$.x')), null);
  assert.match(String(run(call('UUID'))), /^[0-9a-f-]{36}$/);
});

test('math functions', () => {
  const m = (name: string, ...args: Parameters<typeof call>[1][]) => run(call(name, ...args));
  assert.equal(m('MOD', big(1230), int(123)), 0);
  assert.equal(m('MOD', big(-7), int(3)), -1);
  assert.equal(call('MOD', big(1), int(2)).type.kind, 'INT');
  assert.equal(m('ABS', int(-3)), 3);
  assert.equal(m('POWER', int(2), int(10)), 1024);
  assert.equal(m('ROUND', lit(2.5, SqlTypes.double(false))), 3);
  assert.equal(m('ROUND', lit(-2.5, SqlTypes.double(false))), -3);
  assert.equal(m('ROUND', lit(1.235, SqlTypes.decimal(4, 3, false)), int(2)), 1.24);
  assert.equal(m('ROUND', int(1234), int(-2)), 1200);
  assert.equal(m('TRUNCATE', lit(1.29, SqlTypes.double(false)), int(1)), 1.2);
  assert.equal(m('FLOOR', lit(-1.5, SqlTypes.double(false))), -2);
  assert.equal(m('CEIL', lit(1.2, SqlTypes.double(false))), 2);
  assert.equal(m('SIGN', int(-9)), -1);
  assert.equal(m('LOG', int(2), int(8)), 3);
  assert.equal(m('GREATEST', int(1), int(5), int(3)), 5);
  assert.equal(m('LEAST', int(1), int(null)), null);
  assert.equal(m('NULLIF', int(1), int(1)), null);
  assert.equal(m('IFNULL', int(null), int(7)), 7);
});

test('time functions: HOUR, EXTRACT, TO_TIMESTAMP_LTZ, TO_TIMESTAMP, FLOOR/CEIL TO unit, TIMESTAMPADD/DIFF', () => {
  const t = at('2020-03-15T13:45:30.250');
  const ts = col(0, T);
  const r = (rex: ReturnType<typeof call>) => run(rex, [0, t]);
  assert.equal(r(call('HOUR', ts)), 13);
  assert.equal(r(call('MINUTE', ts)), 45);
  assert.equal(r(call('SECOND', ts)), 30);
  assert.equal(r(call('YEAR', ts)), 2020);
  assert.equal(r(call('QUARTER', ts)), 1);
  assert.equal(r(call('MONTH', ts)), 3);
  assert.equal(r(call('DAYOFMONTH', ts)), 15);
  assert.equal(r(call('DAYOFWEEK', ts)), 1); // a Sunday
  assert.equal(r(call('DAYOFYEAR', ts)), 75);
  assert.equal(r(call('WEEK', ts)), 11);
  assert.equal(r(call('EXTRACT', str('MILLISECOND'), ts)), 30250);
  assert.equal(r(call('FLOOR', ts, str('HOUR'))), at('2020-03-15T13:00:00'));
  assert.equal(r(call('CEIL', ts, str('DAY'))), at('2020-03-16T00:00:00'));
  assert.equal(r(call('FLOOR', ts, str('MONTH'))), at('2020-03-01T00:00:00'));
  assert.equal(r(call('FLOOR', ts, str('WEEK'))), at('2020-03-09T00:00:00'));
  assert.equal(run(call('TO_TIMESTAMP_LTZ', big(1_000), int(3))), 1000);
  assert.equal(run(call('TO_TIMESTAMP_LTZ', big(1_000), int(0))), 1_000_000);
  assert.equal(run(call('TO_TIMESTAMP', str('2020-03-15 13:45:30'))), at('2020-03-15T13:45:30'));
  assert.equal(run(call('TO_TIMESTAMP', str('15/03/2020'), str('dd/MM/yyyy'))), at('2020-03-15T00:00:00'));
  assert.equal(run(call('TO_TIMESTAMP', str('garbage'))), null);
  assert.equal(run(call('TO_DATE', str('2020-03-15'))), 18336);
  assert.equal(run(call('UNIX_TIMESTAMP', str('1970-01-01 00:01:00'))), 60);
  assert.equal(run(call('FROM_UNIXTIME', big(60))), '1970-01-01 00:01:00');
  assert.equal(r(call('TIMESTAMPADD', str('MONTH'), int(1), ts)), at('2020-04-15T13:45:30.250'));
  assert.equal(
    run(call('TIMESTAMPDIFF', str('DAY'), lit(at('2020-01-01T00:00:00'), T), lit(at('2020-01-03T12:00:00'), T))),
    2,
  );
  assert.equal(
    run(call('TIMESTAMPDIFF', str('MONTH'), lit(at('2020-01-31T00:00:00'), T), lit(at('2020-02-29T00:00:00'), T))),
    0,
  );
  assert.equal(call('CURRENT_TIMESTAMP').type.kind, 'TIMESTAMP_LTZ');
  assert.equal(run(call('TYPEOF', col(0, SqlTypes.bigint(false))), [0, 1]), 'BIGINT NOT NULL');
});

test('type errors name the function and the expected signature', () => {
  assert.throws(() => call('UPPER', int(1)), /Function UPPER: argument 1 must be string, got INT NOT NULL/);
  assert.throws(() => call('SPLIT_INDEX', str('a')), /SPLIT_INDEX takes 3 arguments, got 1/);
  assert.throws(() => call('+', str('a'), int(1)), /Cannot apply '\+'/);
});

test('least restrictive types', () => {
  assert.deepEqual(leastRestrictive([SqlTypes.int(false), SqlTypes.bigint(false)]), SqlTypes.bigint(false));
  assert.deepEqual(leastRestrictive([SqlTypes.char(7, false), SqlTypes.char(9, false)]), SqlTypes.varchar(9, false));
  assert.deepEqual(
    leastRestrictive([SqlTypes.int(false), SqlTypes.decimal(5, 2, false)]),
    SqlTypes.decimal(12, 2, false),
  );
  assert.deepEqual(leastRestrictive([SqlTypes.null(), SqlTypes.double(false)]), SqlTypes.double(true));
  assert.equal(leastRestrictive([SqlTypes.string(), SqlTypes.int()]), undefined);
});

test('JSON values: Flink formats out, numbers and strings in, errors name the path', () => {
  const row = SqlTypes.row([
    { name: 'ts', type: SqlTypes.timestamp(3) },
    { name: 'ltz', type: SqlTypes.timestampLtz(3) },
    { name: 'd', type: SqlTypes.date() },
    { name: 'price', type: SqlTypes.decimal(10, 2) },
    { name: 'tags', type: SqlTypes.array(SqlTypes.string()) },
  ]);
  const value = [at('2020-01-01T10:00:00'), at('2020-01-01T10:00:00'), 18262, 1.005, ['a']];
  const json = toJsonValue(value, row);
  assert.deepEqual(json, {
    ts: '2020-01-01 10:00:00.000',
    ltz: '2020-01-01 10:00:00.000Z',
    d: '2020-01-01',
    price: 1.01,
    tags: ['a'],
  });
  assert.deepEqual(fromJsonValue(json, row, 'r'), [value[0], value[1], 18262, 1.01, ['a']]);
  assert.deepEqual(fromJsonValue({ ts: 5, ltz: '2020-01-01T10:00:00Z' }, row, 'r'), [
    5,
    at('2020-01-01T10:00:00'),
    null,
    null,
    null,
  ]);
  assert.throws(
    () =>
      fromJsonValue(
        { bid: { price: 'abc' } },
        SqlTypes.row([{ name: 'bid', type: SqlTypes.row([{ name: 'price', type: SqlTypes.bigint() }]) }]),
        'event',
      ),
    (e: unknown) => e instanceof SqlValueError && e.message === `field 'event.bid.price': expected BIGINT, got "abc"`,
  );
  assert.equal(
    formatValue(
      [1, null, 2.5],
      SqlTypes.row([
        { name: 'a', type: SqlTypes.int() },
        { name: 'b', type: SqlTypes.string() },
        { name: 'c', type: SqlTypes.double() },
      ]),
    ),
    '(1, NULL, 2.5)',
  );
  assert.equal(toCsvText(at('2020-01-01T10:00:00'), T), '2020-01-01 10:00:00.000');
  assert.equal(fromCsvText('2020-01-01 10:00:00', T, 'ts'), at('2020-01-01T10:00:00'));
  assert.equal(fromCsvText('', SqlTypes.int(), 'n'), null);
  assert.throws(
    () => fromCsvText('x', SqlTypes.int(), 'line 3, column n'),
    /field 'line 3, column n': Cannot cast 'x' to INT/,
  );
});
