import type { BottleneckReport } from '../runtime/analysis/bottleneck-report.js';
import { formatBottleneckReport } from '../runtime/analysis/bottleneck-report.js';
import { type RunCommandOptions, runCommand } from './run-command.js';

/** `sluice analyze`'s own options besides the engine options of `sluice run`. */
export interface AnalyzeCommandOptions extends RunCommandOptions {
  /** Seconds per report window (default 5). */
  window?: number;
  /** Print each report as one line of JSON instead of a table. */
  json?: boolean;
}

/** Default length of a report window, seconds. */
export const DEFAULT_ANALYSIS_WINDOW_S = 5;

/**
 * `sluice analyze JOB [engine options] [--window S] [--json] -- [job args]`: runs the job like `sluice run` while
 * recording every executor thread's activity, and prints on stdout, per window and once at the end, a table per
 * vertex (busy %, back-pressured %, records in per second, true rate, critical participation) and a line
 * `bottleneck: <vertex> — <reason>` (with `--json`: one JSON report per line). Returns the exit code.
 */
export async function analyzeCommand(file: string, jobArgs: string[], options: AnalyzeCommandOptions): Promise<number> {
  if (options.cluster !== undefined || options.jobId !== undefined) {
    process.stderr.write('error: sluice analyze runs a job in this process; it does not take --cluster or --job-id\n');
    return 2;
  }
  const { window, json, ...run } = options;
  const windowS = window ?? DEFAULT_ANALYSIS_WINDOW_S;
  if (!(windowS > 0) || !Number.isFinite(windowS)) {
    process.stderr.write(`error: --window must be a number of seconds > 0, got ${window}\n`);
    return 2;
  }
  const print = (report: BottleneckReport) =>
    process.stdout.write(json === true ? `${JSON.stringify(report)}\n` : `${formatBottleneckReport(report)}\n\n`);
  return runCommand(file, jobArgs, { ...run, analysis: { windowMs: windowS * 1000, onReport: print } });
}
