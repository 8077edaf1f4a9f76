import { resolve } from 'node:path';
import type { StreamExecutionEnvironment } from '../api/environment.js';
import type { RunCommandOptions } from './run-command.js';

/** The checkpoint settings of `sluice run` besides `--checkpoint-dir`, with the option that sets each. */
const TUNING = [
  ['checkpointInterval', '--checkpoint-interval'],
  ['checkpointTimeout', '--checkpoint-timeout'],
  ['minPause', '--min-pause'],
  ['retainedCheckpoints', '--retained-checkpoints'],
  ['checkpointInlineBytes', '--checkpoint-inline-bytes'],
] as const;

/**
 * Applies the checkpoint options of the command line to the job's environment: `--checkpoint-dir` enables
 * checkpointing (over whatever the job set itself); the other options adjust it, the job's own checkpointing
 * included. Options that need checkpointing on a run that takes none are refused, so that a mistyped command does
 * not silently run without the exactly-once it asked for.
 *
 * @returns the message to show when the options are refused (the run must not start), else undefined.
 */
export function applyCheckpointOptions(
  env: StreamExecutionEnvironment,
  options: RunCommandOptions,
): string | undefined {
  const tuning = TUNING.filter(([key]) => options[key] !== undefined).map(([, flag]) => flag);
  const own = env.checkpointConfig;
  if (options.checkpointDir === undefined && own === undefined) {
    const stray = options.fresh ? [...tuning, '--fresh'] : tuning;
    if (stray.length === 0) return undefined;
    return `${stray.join(', ')} ${stray.length === 1 ? 'needs' : 'need'} --checkpoint-dir DIR: without it the job takes no checkpoints`;
  }
  if (options.checkpointDir === undefined && tuning.length === 0) return undefined;
  env.enableCheckpointing(
    options.checkpointInterval ?? own?.intervalMs ?? 1000,
    options.checkpointDir === undefined ? own!.dir : resolve(options.checkpointDir),
    {
      // The job's own options (its interval and directory are replaced by the arguments above).
      ...own,
      ...(options.checkpointTimeout !== undefined ? { timeoutMs: options.checkpointTimeout } : {}),
      ...(options.minPause !== undefined ? { minPauseMs: options.minPause } : {}),
      ...(options.retainedCheckpoints !== undefined ? { retain: options.retainedCheckpoints } : {}),
      ...(options.checkpointInlineBytes !== undefined ? { inlineStateBytes: options.checkpointInlineBytes } : {}),
    },
  );
  return undefined;
}
