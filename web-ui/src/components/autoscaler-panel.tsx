import { useState } from 'preact/hooks';
import { count, DASH, duration, rate, share, text, time } from '../format';
import type { AutoscalerDocument, ScalingDecision, ScalingVertex } from '../types';

function parallelism(v: ScalingVertex): string {
  const now = v.parallelism;
  const next = v['proposed-parallelism'];
  return next === undefined || next === now ? text(now) : `${text(now)} → ${next}`;
}

function DecisionInputs({ d }: { d: ScalingDecision }) {
  return (
    <>
      <p class="muted">
        {text(d.policy)} policy over {duration(d['window-ms'])}; the process used{' '}
        {d['cpu-cores'] === undefined ? DASH : d['cpu-cores'].toFixed(1)} of {text(d.cores)} cores
      </p>
      <table class="decision-vertices">
        <thead>
          <tr>
            <th>Vertex</th>
            <th>Parallelism</th>
            <th>Observed</th>
            <th>Target</th>
            <th>True rate / subtask</th>
            <th>Busy</th>
            <th>Needed</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {(d.vertices ?? []).map((v) => (
            <tr key={v.id} data-decision-vertex={v.id}>
              <td>{text(v.name)}</td>
              <td>{parallelism(v)}</td>
              <td>{rate(v['observed-rate'])}</td>
              <td>{rate(v['target-rate'])}</td>
              <td>{rate(v['true-processing-rate'])}</td>
              <td>{share(v.busy)}</td>
              <td>{share(v['needed-utilization'])}</td>
              <td class="reason">{text(v.reason)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/**
 * The autoscaler's rescale count and decisions, newest first; each row opens to the per-vertex inputs the decision
 * was made from. When the job is not autoscaled a hint says how to turn it on.
 */
export function AutoscalerPanel({ doc }: { doc: AutoscalerDocument | undefined }) {
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  if (doc === undefined) return <p class="muted">Loading the autoscaler…</p>;
  if (doc.enabled !== true) {
    return (
      <p class="muted hint" data-hint="autoscaler">
        The autoscaler is off for this job: run it with <code>--autoscale</code> to have its parallelism sized to its
        input.
      </p>
    );
  }
  // Sorted here too: the page must read newest first whatever order a server sends.
  const decisions = [...(doc.decisions ?? [])].sort((a, b) => b.number - a.number);
  const toggle = (n: number) =>
    setOpen((s) => {
      const next = new Set(s);
      if (!next.delete(n)) next.add(n);
      return next;
    });
  return (
    <div class="autoscaler">
      <div class="cards">
        <div class="card" data-card="Rescales">
          <div class="card-value">{count(doc.rescales)}</div>
          <div class="card-label">Rescales</div>
        </div>
        <div class="card" data-card="Decisions">
          <div class="card-value">{count(decisions.length)}</div>
          <div class="card-label">Decisions</div>
        </div>
      </div>
      {decisions.length === 0 ? (
        <p class="muted">No decisions yet: the first comes once a full metrics window has been measured.</p>
      ) : (
        <table class="decisions">
          <thead>
            <tr>
              <th>#</th>
              <th>Time</th>
              <th>Action</th>
              <th>Summary</th>
            </tr>
          </thead>
          <tbody>
            {decisions.flatMap((d) => {
              const expanded = open.has(d.number);
              const row = (
                <tr key={d.number} data-decision={d.number}>
                  <td>
                    <button
                      type="button"
                      class="expand"
                      aria-expanded={expanded}
                      title={expanded ? 'Hide the inputs' : 'Show the inputs per vertex'}
                      onClick={() => toggle(d.number)}
                    >
                      {expanded ? '▾' : '▸'} {d.number}
                    </button>
                  </td>
                  <td>{time(d.time)}</td>
                  <td>
                    <span class={`badge action-${d.action ?? ''}`}>{text(d.action)}</span>
                  </td>
                  <td>{text(d.summary)}</td>
                </tr>
              );
              if (!expanded) return [row];
              return [
                row,
                <tr key={`${d.number}-inputs`} class="decision-inputs" data-decision-inputs={d.number}>
                  <td colSpan={4}>
                    <DecisionInputs d={d} />
                  </td>
                </tr>,
              ];
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
