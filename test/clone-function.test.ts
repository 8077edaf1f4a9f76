import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Collector, type ProcessContext, type ProcessFunction, StreamExecutionEnvironment } from '../src/index.js';

/**
 * Function objects are copied for each subtask when several subtasks of one operator share a thread. A field whose
 * plain data cannot be copied is an error naming the operator and the field, never an object the subtasks share.
 */

class RenderWithSettings implements ProcessFunction<number, string> {
  // A plain object holding a function: structuredClone refuses it.
  settings = { label: 'n', render: (n: number) => `n=${n}` };
  processElement(value: number, _ctx: ProcessContext, out: Collector<string>): void {
    out.collect(this.settings.render(value));
  }
}

class Unit {
  constructor(readonly symbol: string) {}
  show(n: number): string {
    return `${n}${this.symbol}`;
  }
}

class RenderWithUnits implements ProcessFunction<number, string> {
  // Class instances inside an array: structuredClone would copy them without their methods.
  units = [new Unit('m'), new Unit('s')];
  processElement(value: number, _ctx: ProcessContext, out: Collector<string>): void {
    out.collect(this.units[value % 2]!.show(value));
  }
}

class RenderWithPrefix implements ProcessFunction<number, string> {
  prefix = { text: 'n=' };
  render = (n: number) => String(n);
  processElement(value: number, _ctx: ProcessContext, out: Collector<string>): void {
    out.collect(this.prefix.text + this.render(value));
  }
}

test('a function object that cannot be copied per subtask fails naming the operator and the field', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  env.fromCollection([1, 2, 3, 4]).process(new RenderWithSettings(), 'render').collect('rendered');
  await assert.rejects(env.execute(), (e: Error) => {
    assert.match(e.message, /operator 'render' \(uid [^)]+\)/);
    assert.match(e.message, /field 'settings'/);
    assert.match(e.message, /could not be cloned/);
    return true;
  });
});

test('a class instance inside plain data is an error too, naming where it sits', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  env.fromCollection([1, 2, 3, 4]).process(new RenderWithUnits(), 'units').collect('units');
  await assert.rejects(env.execute(), (e: Error) => {
    assert.match(e.message, /operator 'units' \(uid [^)]+\)/);
    assert.match(e.message, /field 'units' holds a Unit at \[0\], which structuredClone would copy as a plain object/);
    return true;
  });
});

test('plain data fields are copied per subtask and functions shared, as before', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  const seen = env.fromCollection([1, 2, 3, 4]).process(new RenderWithPrefix(), 'render-ok').collect('rendered-ok');
  await env.execute();
  assert.deepEqual(seen.get().sort(), ['n=1', 'n=2', 'n=3', 'n=4']);
});
