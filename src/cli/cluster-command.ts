import { basename, resolve } from 'node:path';
import { jobSpec, loadJobEnvironment } from '../api/load-job.js';
import { runCluster } from '../cluster/cluster-runner.js';
import type { JobConfig } from '../plan/job-plan.js';
import { DEFAULT_CHECKPOINT_CONFIG } from '../runtime/checkpoint/checkpoint-coordinator.js';
import { reportError } from './report-error.js';
import type { RunCommandOptions } from './run-command.js';

/** `kafka://host:port[,host:port]` → "host:port,host:port"; undefined when it is not such a URL. */
export function clusterBrokers(url: string): string | undefined {
  const m = /^kafka:\/\/([^/?#]+)\/?$/.exec(url.trim());
  if (m === null) return undefined;
  const brokers = m[1]!.split(',').map((b) => b.trim());
  return brokers.every((b) => /^[^:\s]+:\d+$/.test(b)) ? brokers.join(',') : undefined;
}

/**
 * `sluice run JOB --cluster kafka://… --job-id ID`: this process's share of a cluster job (see
 * src/cluster/cluster-runner.ts). Returns the exit code: 0 when the whole (bounded) job has finished, 130 when
 * stopped by a signal, 1 on failure, 2 on bad options.
 */
export async function clusterCommand(
  path: string,
  jobArgs: readonly string[],
  options: RunCommandOptions,
  overrides: Partial<JobConfig>,
): Promise<number> {
  const brokers = options.cluster === undefined ? undefined : clusterBrokers(options.cluster);
  if (brokers === undefined) {
    process.stderr.write(`error: --cluster must be kafka://host:port[,host:port] (got '${options.cluster ?? ''}')\n`);
    return 2;
  }
  if (options.jobId === undefined || !/^[a-zA-Z0-9._-]+$/.test(options.jobId)) {
    process.stderr.write('error: cluster mode needs --job-id NAME (letters, digits, . _ -)\n');
    return 2;
  }
  if (options.autoscale === true) {
    process.stderr.write(
      'error: --autoscale runs embedded jobs (sluice run without --cluster); in cluster mode, scale by starting or ' +
        'stopping processes (see docs/CLUSTER.md)\n',
    );
    return 2;
  }
  for (const [flag, set] of [
    ['--parallelism', options.parallelism],
    ['--mode', options.mode],
    ['--from-savepoint', options.fromSavepoint],
    ['--fresh', options.fresh],
  ] as const) {
    if (set !== undefined && set !== false) {
      process.stderr.write(
        `error: ${flag} does not apply in cluster mode (one task per partition, see docs/CLUSTER.md)\n`,
      );
      return 2;
    }
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const spec = jobSpec(path, jobArgs, overrides);
    const env = await loadJobEnvironment(spec);
    const plan = env.buildPlan(basename(path));
    const result = await runCluster(plan, {
      brokers,
      jobId: options.jobId,
      ...(options.checkpointDir !== undefined ? { stateDir: resolve(options.checkpointDir) } : {}),
      fingerprint: [basename(path), ...jobArgs].join(' '),
      checkpoint: {
        ...DEFAULT_CHECKPOINT_CONFIG,
        intervalMs: options.checkpointInterval ?? env.checkpointConfig?.intervalMs ?? 1000,
        ...(options.checkpointTimeout !== undefined ? { timeoutMs: options.checkpointTimeout } : {}),
        ...(options.minPause !== undefined ? { minPauseMs: options.minPause } : {}),
        ...(options.retainedCheckpoints !== undefined ? { retain: options.retainedCheckpoints } : {}),
        ...(options.checkpointInlineBytes !== undefined ? { inlineStateBytes: options.checkpointInlineBytes } : {}),
      },
      ...(options.sessionTimeout !== undefined ? { sessionTimeoutMs: options.sessionTimeout } : {}),
      ...(options.tasksPerStage !== undefined ? { tasksPerStage: options.tasksPerStage } : {}),
      // Worker threads rebuild each task from the job file, as they rebuild any job.
      spec,
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      verbose: options.verbose === true,
      signal: controller.signal,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    if (result.cancelled) {
      process.stderr.write('left the cluster job\n');
      return 130;
    }
    return 0;
  } catch (e) {
    reportError(e, path);
    return 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
