import cliProgress from 'cli-progress';
import type { ExecutorProgress } from '../runtime/executor.js';

/** How progress is shown: not at all, a redrawn line on a terminal, or plain lines (logs, pipes). */
export type ProgressMode = 'off' | 'bar' | 'lines';

/** Time between two plain progress lines. */
export const PROGRESS_LINE_INTERVAL_MS = 2000;

/**
 * Progress of a running job on stderr: records read by sources, records reaching sinks, read rate, elapsed time and,
 * when the sources read bounded files, the share of their bytes read. On a terminal a line redrawn in place
 * (cli-progress); elsewhere (`--progress` into a pipe or a log) a plain line every {@link PROGRESS_LINE_INTERVAL_MS}
 * without terminal control codes, and a last one when the job ends.
 */
export class ProgressReporter {
  private readonly bar: cliProgress.SingleBar | undefined;
  private readonly started: number;
  private latest: ExecutorProgress | undefined;
  private latestPrinted = true;
  private lastLineAt: number;

  constructor(
    private readonly mode: ProgressMode,
    private readonly stream: NodeJS.WritableStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.lastLineAt = this.started;
    if (mode !== 'bar') return;
    this.bar = new cliProgress.SingleBar(
      {
        format: '{pct}records in {in} | out {out} | {rate} rec/s | {elapsed}s',
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(1, 0, { pct: '', in: 0, out: 0, rate: 0, elapsed: 0 });
  }

  update(p: ExecutorProgress): void {
    if (this.mode === 'off') return;
    const f = this.figures(p);
    if (this.bar !== undefined) {
      this.bar.update(0, { ...f, pct: f.pct === undefined ? '' : `${f.pct}% of input | ` });
      return;
    }
    this.latest = p;
    this.latestPrinted = false;
    if (this.now() - this.lastLineAt >= PROGRESS_LINE_INTERVAL_MS) this.printLine();
  }

  /** Ends the display; plain lines end with the latest progress if it was not printed yet. */
  stop(): void {
    this.bar?.stop();
    if (this.mode === 'lines' && !this.latestPrinted) this.printLine();
  }

  private printLine(): void {
    const f = this.figures(this.latest!);
    this.lastLineAt = this.now();
    this.latestPrinted = true;
    const pct = f.pct === undefined ? '' : `${f.pct}% of input read | `;
    this.stream.write(`progress: ${pct}records in ${f.in} | out ${f.out} | ${f.rate} rec/s | ${f.elapsed} s elapsed\n`);
  }

  private figures(p: ExecutorProgress) {
    const elapsed = (this.now() - this.started) / 1000;
    const bytes = p.inputBytes;
    return {
      pct:
        bytes === undefined || bytes.totalBytes === 0
          ? undefined
          : Math.floor((100 * Math.min(bytes.readBytes, bytes.totalBytes)) / bytes.totalBytes),
      in: p.sourceRecords.toLocaleString('en'),
      out: p.sinkRecords.toLocaleString('en'),
      rate: Math.round(p.sourceRecords / Math.max(elapsed, 0.001)).toLocaleString('en'),
      elapsed: elapsed.toFixed(1),
    };
  }
}
