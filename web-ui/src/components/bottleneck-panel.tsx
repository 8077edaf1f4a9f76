import { DASH, percent, rate, text, time } from '../format';
import type { BottleneckReport, CriticalPathDocument, VertexReport } from '../types';

function hot(v: VertexReport): string {
  return v.hotSubtask === undefined ? DASH : `#${v.hotSubtask.subtask} (${percent(v.hotSubtask.sharePct)})`;
}

function ReportTable({ report }: { report: BottleneckReport }) {
  const top = report.bottleneck?.vertex;
  return (
    <table class="bottleneck-table">
      <thead>
        <tr>
          <th>Vertex</th>
          <th>Parallelism</th>
          <th>Busy</th>
          <th>Back-pressured</th>
          <th>Records in</th>
          <th>True rate / subtask</th>
          <th>Critical</th>
          <th>Hot subtask</th>
        </tr>
      </thead>
      <tbody>
        {(report.vertices ?? []).map((v) => (
          <tr key={v.vertex} data-report-vertex={v.vertex} class={v.vertex === top ? 'bottleneck-row' : ''}>
            <td>{text(v.name)}</td>
            <td>{text(v.parallelism)}</td>
            <td>{percent(v.busyPct)}</td>
            <td>{percent(v.backPressuredPct)}</td>
            <td>{rate(v.recordsPerSecond)}</td>
            <td>{rate(v.trueRate)}</td>
            <td>{percent(v.criticalPct)}</td>
            <td>{hot(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The critical-path report of the latest window: the bottleneck and why, then each vertex's figures. Without a
 * report (the job was not run under `sluice analyze`) a hint says how to get one.
 */
export function BottleneckPanel({ doc }: { doc: CriticalPathDocument | undefined }) {
  if (doc === undefined) return <p class="muted">Loading the critical path…</p>;
  const report = doc.report;
  if (report === undefined || report === null) {
    return (
      <p class="muted hint" data-hint="critical-path">
        No critical-path report: run the job with <code>sluice analyze</code> to record where its time goes.
      </p>
    );
  }
  const b = report.bottleneck;
  return (
    <div class="bottleneck">
      <p class="bottleneck-line">
        {b === undefined ? (
          <span class="muted">No bottleneck: no activity was recorded in this window.</span>
        ) : (
          <>
            <strong class="bottleneck-name">{text(b.name)}</strong>{' '}
            <span class="bottleneck-reason">— {text(b.reason)}</span>
          </>
        )}
      </p>
      <p class="muted">
        Window {time(report.from)} to {time(report.to)}
        {report.final ? ' (end of run)' : ''}
        {/* A trace buffer overflowed: the figures under-report, so say so next to them. */}
        {report.truncated ? ' · trace truncated: figures under-report' : ''}
      </p>
      <ReportTable report={report} />
    </div>
  );
}
