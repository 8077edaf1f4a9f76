import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamExecutionEnvironment } from '../src/index.js';
import type { JobPlan } from '../src/plan/job-plan.js';

/** source → map → keyBy → reduce → sink; `extra` adds an unrelated branch off the source before the map. */
function plan(extra: boolean): JobPlan {
  const env = StreamExecutionEnvironment.create();
  const source = env.fromElements(1, 2, 3);
  if (extra) source.filter((x) => x > 1).print('extra');
  source
    .map((x) => x * 2)
    .keyBy((x) => x % 2)
    .reduce((a, b) => a + b)
    .print();
  return env.buildPlan();
}

const uidsByRole = (p: JobPlan) => {
  const sinks = p.nodes.filter((n) => n.kind === 'sink');
  return {
    source: p.nodes.find((n) => n.kind === 'source')!.uid,
    map: p.nodes.find((n) => n.kind === 'map')!.uid,
    reduce: p.nodes.find((n) => n.kind === 'reduce')!.uid,
    sink: sinks[sinks.length - 1]!.uid,
  };
};

/** Default uids depend on an operator's place along its own input chain, not on how many nodes came before it. */
describe('default operator uids', () => {
  it('do not shift when an unrelated operator is added elsewhere in the plan', () => {
    assert.deepEqual(uidsByRole(plan(true)), uidsByRole(plan(false)));
  });

  it('are unique and the same every time the plan is built', () => {
    const a = plan(true);
    assert.equal(new Set(a.nodes.map((n) => n.uid)).size, a.nodes.length);
    assert.deepEqual(
      a.nodes.map((n) => n.uid),
      plan(true).nodes.map((n) => n.uid),
    );
  });

  it('tell apart two operators of the same kind reading the same input', () => {
    const env = StreamExecutionEnvironment.create();
    const s = env.fromElements(1);
    s.map((x) => x).print();
    s.map((x) => x + 1).print();
    const maps = env.buildPlan().nodes.filter((n) => n.kind === 'map');
    assert.notEqual(maps[0]!.uid, maps[1]!.uid);
  });

  it('give way to uids set with .uid()', () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromElements(1)
      .uid('numbers')
      .map((x) => x)
      .uid('double')
      .print();
    const uids = env.buildPlan().nodes.map((n) => n.uid);
    assert.deepEqual(uids.slice(0, 2), ['numbers', 'double']);
    assert.throws(() => env.fromElements(2).uid(''), /uid must be a non-empty string/);
  });
});
