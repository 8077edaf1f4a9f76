import { useMemo } from 'preact/hooks';
import { duration, rate } from '../format';
import type { MetricsHistory, MetricsSample } from '../types';
import { type PlotSeries, TimePlot } from './time-plot';

const THROUGHPUT: PlotSeries[] = [
  { label: 'records in', stroke: '#2f80ed', format: rate },
  { label: 'records out', stroke: '#27ae60', format: rate },
];
const LAG: PlotSeries[] = [
  { label: 'watermark lag', stroke: '#9b51e0', format: duration },
  {
    label: 'busy ms/s',
    stroke: '#eb5757',
    format: (v) => (v === null ? '–' : `${Math.round(v)}`),
    scale: 'ms',
    range: [0, 1000],
  },
  {
    label: 'back-pressured ms/s',
    stroke: '#4f4f4f',
    format: (v) => (v === null ? '–' : `${Math.round(v)}`),
    scale: 'ms',
  },
];

const num = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Columns for uPlot: time in seconds, then each series; a sample without a value leaves a gap. */
function columns(samples: MetricsSample[]): { throughput: (number | null)[][]; lag: (number | null)[][] } {
  const s = [...samples].sort((a, b) => a.time - b.time);
  const t = s.map((p) => p.time / 1000);
  return {
    throughput: [t, s.map((p) => num(p.numRecordsInPerSecond)), s.map((p) => num(p.numRecordsOutPerSecond))],
    lag: [
      t,
      // Lag: how far event time trails the wall clock at the sample (none before the first watermark).
      s.map((p) => (num(p.currentInputWatermark) === null ? null : p.time - (p.currentInputWatermark as number))),
      s.map((p) => num(p.busyTimeMsPerSecond)),
      s.map((p) => num(p.backPressuredTimeMsPerSecond)),
    ],
  };
}

function VertexPlot({ id, name, samples }: { id: string; name: string; samples: MetricsSample[] }) {
  const cols = useMemo(() => columns(samples), [samples]);
  return (
    <div class="vertex-plots" id={`plots-${id}`} data-vertex={id} data-samples={samples.length}>
      <h3>{name}</h3>
      {samples.length === 0 ? (
        <p class="muted">No samples yet.</p>
      ) : (
        <div class="plot-pair">
          <TimePlot title="Throughput" series={THROUGHPUT} data={cols.throughput} />
          <TimePlot title="Watermark lag and busy time" series={LAG} data={cols.lag} />
        </div>
      )}
    </div>
  );
}

/** Live throughput and watermark-lag plots, one pair per vertex, from `GET /jobs/:jid/metrics-history`. */
export function VertexPlots({ history }: { history: MetricsHistory | undefined }) {
  const vertices = history?.vertices ?? [];
  if (history === undefined) return <p class="muted">Loading metrics…</p>;
  if (vertices.length === 0) return <p class="muted">No metrics recorded for this job.</p>;
  return (
    <div>
      {vertices.map((v) => (
        <VertexPlot key={v.id} id={v.id} name={v.name ?? v.id} samples={v.samples ?? []} />
      ))}
    </div>
  );
}
