import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Edge, Vertex } from '../src/runtime/execution-graph.js';
import { InputGate } from '../src/runtime/input-gate.js';

/** A gate with two channels: a rebalance edge from two upstream subtasks. */
function twoChannelGate(): InputGate {
  const edge: Edge = {
    id: 0,
    from: 0,
    to: 1,
    targetInput: 0,
    partitioning: { kind: 'rebalance' },
    sideOutput: undefined,
    sourceParallelism: 2,
    targetParallelism: 1,
    target: "'map' (uid map-1)",
  };
  const vertex: Vertex = {
    id: 1,
    nodes: [],
    parallelism: 1,
    inputs: [[{ edge, channelBase: 0 }]],
    outputs: [],
    name: 'v',
  };
  return new InputGate(vertex, 0);
}

/** Barrier alignment compares checkpoint ids: barrier n + 1 never closes the alignment of n. */
describe('InputGate barrier alignment', () => {
  it('aligns when every channel delivered the same barrier', () => {
    const gate = twoChannelGate();
    const [a, b] = gate.channels as [never, never];
    assert.equal(gate.onBarrier(a, 1), undefined);
    assert.equal(gate.onBarrier(b, 1), 1);
  });

  it('aborts alignment n when n + 1 arrives on another channel, and aligns n + 1', () => {
    const gate = twoChannelGate();
    const [a, b] = gate.channels;
    gate.onBarrier(a!, 1);
    assert.equal(gate.onBarrier(b!, 2), undefined, 'barrier 2 must not complete the alignment of checkpoint 1');
    assert.equal(a!.blocked, false, 'the channel blocked for the abandoned checkpoint is read again');
    assert.equal(b!.blocked, true);
    assert.equal(gate.onBarrier(a!, 2), 2);
  });

  it('ignores barriers of a checkpoint older than the one aligning, or already aborted', () => {
    const gate = twoChannelGate();
    const [a, b] = gate.channels;
    gate.onBarrier(a!, 2);
    assert.equal(gate.onBarrier(b!, 1), undefined);
    assert.equal(b!.blocked, false);
    gate.abort(2);
    assert.equal(a!.blocked, false);
    assert.equal(gate.onBarrier(b!, 2), undefined, 'a barrier of an aborted checkpoint arriving late');
    assert.equal(b!.blocked, false);
    gate.onBarrier(a!, 3);
    assert.equal(gate.onBarrier(b!, 3), 3);
  });
});
