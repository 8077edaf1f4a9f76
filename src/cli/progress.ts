import cliProgress from 'cli-progress';
import type { ExecutorProgress } from '../runtime/executor.js';

/**
 * Progress of a running job on stderr: records read by sources, records reaching sinks, read rate and elapsed time.
 * Shown only when stderr is a terminal; otherwise the reporter does nothing (quiet in pipes and CI logs).
 */
export class ProgressReporter {
  private readonly bar: cliProgress.SingleBar | undefined;
  private readonly started = Date.now();

  constructor(enabled: boolean) {
    if (!enabled) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: 'records in {in} | out {out} | {rate} rec/s | {elapsed}s',
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(1, 0, { in: 0, out: 0, rate: 0, elapsed: 0 });
  }

  update(p: ExecutorProgress): void {
    if (this.bar === undefined) return;
    const elapsed = (Date.now() - this.started) / 1000;
    this.bar.update(0, {
      in: p.sourceRecords.toLocaleString('en'),
      out: p.sinkRecords.toLocaleString('en'),
      rate: Math.round(p.sourceRecords / Math.max(elapsed, 0.001)).toLocaleString('en'),
      elapsed: elapsed.toFixed(1),
    });
  }

  stop(): void {
    this.bar?.stop();
  }
}
