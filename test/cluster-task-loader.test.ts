import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jobSpec, loadJobEnvironment } from '../src/api/load-job.js';
import { allTasks, planCluster, taskName, taskPlan } from '../src/cluster/stage-plan.js';
import { loadJobPlan, taskPlanSpec } from '../src/cluster/task-plan-loader.js';
import type { JobPlan } from '../src/plan/job-plan.js';
import { planFingerprint } from '../src/runtime/checkpoint/job-identity.js';

/** What a worker thread rebuilds of a task must be what the coordinating thread planned (no Kafka needed). */

const root = fileURLToPath(new URL('..', import.meta.url));
const job = join(root, 'examples/kafka-window-counts.ts');
const brokers = '127.0.0.1:1';

/** Everything of a plan a worker must agree on: nodes, uids, edges, and the settings of sources and sinks. */
function shape(plan: JobPlan): unknown {
  return plan.nodes.map((n) => ({
    id: n.id,
    uid: n.uid,
    kind: n.kind,
    name: n.name,
    inputs: n.inputs.map((i) => [i.node.id, i.partitioning?.kind ?? 'forward']),
    source: n.kind === 'source' ? JSON.stringify((n.source as { options?: unknown }).options ?? n.source.name) : '',
    sink: n.kind === 'sink' ? JSON.stringify((n.sink as { options?: unknown }).options ?? n.sink.name) : '',
  }));
}

test('a task plan rebuilt from its spec equals the task plan of the process, for every task', async () => {
  const args = ['--brokers', brokers, '--input-topic', 'events', '--output-topic', 'counts', '--bounded'];
  const spec = jobSpec(job, args, {});
  const plan = (await loadJobEnvironment(spec)).buildPlan(basename(job));
  const partitions = new Map([['events', 5]]);
  const jobId = 'counts-0123abcd';
  const cluster = planCluster(plan, { brokers, jobId, partitions, defaultTasks: 3 });
  const common = { job: spec, name: plan.name, brokers, jobId, partitions: [...partitions], defaultTasks: 3 };
  const tasks = allTasks(cluster);
  assert.equal(tasks.length, 5 + 3);
  for (const id of tasks) {
    const expected = taskPlan(cluster, id);
    // Through structured clone, as the spec reaches a worker thread.
    const rebuilt = await loadJobPlan(structuredClone(taskPlanSpec(common, id)));
    assert.equal(rebuilt.name, expected.name, taskName(id));
    assert.equal(planFingerprint(rebuilt), planFingerprint(expected), taskName(id));
    assert.deepEqual(shape(rebuilt), shape(expected), taskName(id));
    assert.deepEqual(rebuilt.config, expected.config, taskName(id));
  }
});

test('a plan spec without a cluster task is refused with a clear error', async () => {
  await assert.rejects(loadJobPlan(jobSpec(job, [], {})), /not a cluster task's plan spec/);
});
