import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AggregateFunctionDefinition } from '../src/sql/functions/function-catalog.js';
import { FunctionRegistry } from '../src/sql/functions/function-registry.js';
import type { SqlType } from '../src/sql/types/sql-type.js';
import { SqlTypes } from '../src/sql/types/type-factory.js';

const registry = new FunctionRegistry();
const agg = (name: string, argType: SqlType, retraction = true): AggregateFunctionDefinition => {
  const d = registry.aggregate(name);
  assert.ok(d, name);
  return d.specialize?.([argType], { retraction }) ?? d;
};

/** Applies +/- operations (only retracting values that are present), returns the final value. */
function run(def: AggregateFunctionDefinition, ops: readonly [boolean, number | null][]): unknown {
  let acc = def.createAccumulator();
  for (const [add, v] of ops) acc = add ? def.accumulate(acc, [v]) : (def.retract?.(acc, [v]) ?? acc);
  return def.getValue(acc);
}

/** Insertions and retractions of values inserted earlier, and the multiset left. */
const changelog = fc
  .array(fc.tuple(fc.boolean(), fc.option(fc.integer({ min: -50, max: 50 }), { nil: null })), { maxLength: 60 })
  .map((raw) => {
    const live: (number | null)[] = [];
    const ops: [boolean, number | null][] = [];
    for (const [add, v] of raw) {
      if (add || live.length === 0) {
        live.push(v);
        ops.push([true, v]);
      } else {
        const [removed] = live.splice(Math.abs(v ?? 0) % live.length, 1);
        ops.push([false, removed as number | null]);
      }
    }
    return { ops, live: live.filter((x): x is number => x !== null) };
  });

test('COUNT, SUM, AVG, MIN, MAX with retraction equal a brute force over what is left', () => {
  const B = SqlTypes.bigint();
  fc.assert(
    fc.property(changelog, ({ ops, live }) => {
      const sum = live.reduce((a, b) => a + b, 0);
      assert.equal(run(agg('COUNT', B), ops), live.length);
      assert.equal(run(agg('SUM', B), ops), live.length === 0 ? null : sum);
      assert.equal(run(agg('SUM0', B), ops), sum);
      assert.equal(run(agg('AVG', B), ops), live.length === 0 ? null : Math.trunc(sum / live.length));
      assert.equal(run(agg('MIN', B), ops), live.length === 0 ? null : Math.min(...live));
      assert.equal(run(agg('MAX', B), ops), live.length === 0 ? null : Math.max(...live));
      const v = run(agg('VAR_POP', SqlTypes.double()), ops) as number | null;
      if (live.length === 0) assert.equal(v, null);
      else {
        const mean = sum / live.length;
        const expected = live.reduce((a, x) => a + (x - mean) ** 2, 0) / live.length;
        assert.ok(Math.abs((v as number) - expected) < 1e-6);
      }
    }),
  );
});

test('merge of partial accumulators equals accumulating everything', () => {
  const D = SqlTypes.double();
  fc.assert(
    fc.property(fc.array(fc.option(fc.integer({ min: -99, max: 99 }), { nil: null })), fc.nat(), (values, cut) => {
      const at = values.length === 0 ? 0 : cut % values.length;
      for (const name of ['COUNT', 'SUM', 'AVG', 'MIN', 'MAX', 'STDDEV_SAMP', 'LISTAGG', 'FIRST_VALUE', 'LAST_VALUE']) {
        for (const retraction of [true, false]) {
          const d = agg(name, name === 'LISTAGG' ? SqlTypes.string() : D, retraction);
          const input = name === 'LISTAGG' ? values.map((v) => (v === null ? null : String(v))) : values;
          const fold = (xs: unknown[]) => xs.reduce((acc, x) => d.accumulate(acc, [x]), d.createAccumulator());
          const whole = d.getValue(fold(input));
          const merged = d.getValue(d.merge?.(fold(input.slice(0, at)), fold(input.slice(at))));
          if (typeof whole === 'number') assert.ok(Math.abs(whole - (merged as number)) < 1e-9, name);
          else assert.deepEqual(merged, whole, name);
        }
      }
    }),
  );
});

test('Flink result types: AVG of BIGINT is BIGINT, SUM of INT is INT, AVG of DOUBLE is DOUBLE, COUNT NOT NULL', () => {
  const type = (name: string, t: SqlType) => registry.aggregate(name)?.inferType([t]);
  assert.deepEqual(type('AVG', SqlTypes.bigint(false)), SqlTypes.bigint(true));
  assert.deepEqual(type('SUM', SqlTypes.int(false)), SqlTypes.int(true));
  assert.deepEqual(type('AVG', SqlTypes.double()), SqlTypes.double(true));
  assert.deepEqual(type('SUM', SqlTypes.decimal(10, 2)), SqlTypes.decimal(38, 2));
  assert.deepEqual(registry.aggregate('COUNT')?.inferType([]), SqlTypes.bigint(false));
  assert.equal(
    run(agg('AVG', SqlTypes.double()), [
      [true, 1],
      [true, 2],
    ]),
    1.5,
  );
  assert.equal(
    run(agg('AVG', SqlTypes.int()), [
      [true, 1],
      [true, 2],
    ]),
    1,
  );
  assert.equal(
    run(agg('SUM', SqlTypes.decimal(10, 1)), [
      [true, 0.1],
      [true, 0.2],
    ]),
    0.3,
  );
});

test('LISTAGG, FIRST_VALUE, LAST_VALUE, COLLECT, BOOL_AND', () => {
  const S = SqlTypes.string();
  const listagg = agg('LISTAGG', S);
  let acc = listagg.createAccumulator();
  for (const v of ['a', null, 'b', 'c']) acc = listagg.accumulate(acc, [v, ';']);
  acc = listagg.retract?.(acc, ['b', ';']);
  assert.equal(listagg.getValue(acc), 'a;c');
  assert.equal(
    run(agg('FIRST_VALUE', S), [
      [true, null],
      [true, 3],
      [true, 4],
      [false, 3],
    ]),
    4,
  );
  assert.equal(
    run(agg('LAST_VALUE', S, false), [
      [true, 3],
      [true, 4],
      [true, null],
    ]),
    4,
  );
  assert.deepEqual(
    run(agg('COLLECT', S), [
      [true, 1],
      [true, 1],
      [true, 2],
      [false, 2],
    ]),
    new Map([[1, 2]]),
  );
  const b = agg('BOOL_AND', SqlTypes.boolean());
  assert.equal(b.getValue(b.accumulate(b.accumulate(b.createAccumulator(), [true]), [false])), false);
});

test('accumulators survive v8 serialisation', async () => {
  const { serialize, deserialize } = await import('node:v8');
  const d = agg('MAX', SqlTypes.bigint());
  let acc = d.createAccumulator();
  for (const v of [3, 9, 9, 4]) acc = d.accumulate(acc, [v]);
  acc = deserialize(serialize(acc));
  acc = d.retract?.(acc, [9]);
  acc = d.retract?.(acc, [9]);
  assert.equal(d.getValue(acc), 4);
});
