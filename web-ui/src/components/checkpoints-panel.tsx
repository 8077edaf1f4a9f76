import { useMemo } from 'preact/hooks';
import { bytes, count, duration, text, time } from '../format';
import type { CheckpointStats, CheckpointsDocument } from '../types';
import { StateBadge } from './state-badge';
import { type PlotSeries, TimePlot } from './time-plot';

const SERIES: PlotSeries[] = [
  { label: 'state size', stroke: '#2f80ed', format: bytes },
  { label: 'duration', stroke: '#f2994a', format: duration, scale: 'ms' },
];

/** Checkpoint counts, a plot of sizes and durations over time, and the history table (newest first). */
export function CheckpointsPanel({ doc }: { doc: CheckpointsDocument | undefined }) {
  const history = doc?.history ?? [];
  const data = useMemo(() => {
    const done = history
      .filter((c) => c.status === 'COMPLETED' && typeof c.trigger_timestamp === 'number')
      .sort((a, b) => a.id - b.id);
    return [
      done.map((c) => (c.trigger_timestamp as number) / 1000),
      done.map((c) => c.state_size ?? c.checkpointed_size ?? null),
      done.map((c) => c.end_to_end_duration ?? null),
    ];
  }, [history]);
  if (doc === undefined) return <p class="muted">Loading checkpoints…</p>;
  const c = doc.counts ?? {};
  return (
    <div class="checkpoints">
      <div class="cards">
        {(
          [
            ['Completed', c.completed],
            ['Failed', c.failed],
            ['In progress', c.in_progress],
            ['Restored', c.restored],
          ] as const
        ).map(([label, n]) => (
          <div class="card" key={label}>
            <div class="card-value">{count(n)}</div>
            <div class="card-label">{label}</div>
          </div>
        ))}
        <div class="card">
          <div class="card-value">{text(doc.latest?.completed?.id)}</div>
          <div class="card-label">Latest completed</div>
        </div>
      </div>
      {data[0]!.length > 1 && <TimePlot title="Checkpoint size and duration" series={SERIES} data={data} />}
      {history.length === 0 ? (
        <p class="muted">No checkpoints yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Id</th>
              <th>Status</th>
              <th>Type</th>
              <th>Triggered</th>
              <th>Duration</th>
              <th>State size</th>
              <th>Alignment</th>
              <th>Acknowledged</th>
            </tr>
          </thead>
          <tbody>
            {[...history]
              .sort((a, b) => b.id - a.id)
              .map((cp: CheckpointStats) => (
                <tr key={cp.id} data-checkpoint={cp.id}>
                  <td>{cp.id}</td>
                  <td>
                    <StateBadge state={cp.status} />
                  </td>
                  <td>{text(cp.checkpoint_type)}</td>
                  <td>{time(cp.trigger_timestamp)}</td>
                  <td>{duration(cp.end_to_end_duration)}</td>
                  <td>{bytes(cp.state_size ?? cp.checkpointed_size)}</td>
                  <td>{duration(cp.alignment_duration)}</td>
                  <td>{`${count(cp.num_acknowledged_subtasks)} / ${count(cp.num_subtasks)}`}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
