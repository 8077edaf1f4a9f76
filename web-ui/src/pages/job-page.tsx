import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { AutoscalerPanel } from '../components/autoscaler-panel';
import { BottleneckPanel } from '../components/bottleneck-panel';
import { CheckpointsPanel } from '../components/checkpoints-panel';
import { ExceptionsPanel } from '../components/exceptions-panel';
import { JobActions } from '../components/job-actions';
import { JobGraph } from '../components/job-graph';
import { LogsPanel } from '../components/logs-panel';
import { StateBadge } from '../components/state-badge';
import { VertexPlots } from '../components/vertex-plots';
import { count, duration, isLive, perMille, text, time } from '../format';
import { href } from '../router';
import type { AutoscalerDocument, JobDetails, ScalingDecision, VertexSummary } from '../types';
import { usePoll } from '../use-poll';

const TABS = [
  ['', 'Overview'],
  ['checkpoints', 'Checkpoints'],
  ['exceptions', 'Exceptions'],
  ['logs', 'Logs'],
  ['scaling', 'Scaling'],
] as const;

/** How often a running job's documents are re-read: the live plots move once a second. */
const LIVE_MS = 1000;

/** How often the slower documents (checkpoints, exceptions, scaling) are re-read: they change every few seconds. */
const SLOW_MS = 2000;

/** The vertex's parallelism, with the latest autoscaler decision's proposal when it differs ("2 → 4"). */
function parallelism(v: VertexSummary, autoscaler: AutoscalerDocument | undefined): string {
  const latest = (autoscaler?.decisions ?? []).reduce<ScalingDecision | undefined>(
    (a, b) => (a === undefined || b.number > a.number ? b : a),
    undefined,
  );
  const proposed = latest?.vertices?.find((d) => d.id === v.id)?.['proposed-parallelism'];
  return proposed === undefined || proposed === v.parallelism
    ? text(v.parallelism)
    : `${text(v.parallelism)} → ${proposed}`;
}

function VertexTable({ job, autoscaler }: { job: JobDetails; autoscaler: AutoscalerDocument | undefined }) {
  return (
    <table>
      <thead>
        <tr>
          <th>Vertex</th>
          <th>Status</th>
          <th>Parallelism</th>
          <th>Records in</th>
          <th>Records out</th>
          <th>Busy</th>
          <th>Back-pressured</th>
        </tr>
      </thead>
      <tbody>
        {(job.vertices ?? []).map((v) => (
          <tr key={v.id} data-vertex-row={v.id}>
            <td>{text(v.name)}</td>
            <td>
              <StateBadge state={v.status} />
            </td>
            <td class="parallelism">{parallelism(v, autoscaler)}</td>
            <td>{count(v.metrics?.['read-records'])}</td>
            <td>{count(v.metrics?.['write-records'])}</td>
            <td>{perMille(v.metrics?.['busy-time-ms-per-second'])}</td>
            <td>{perMille(v.metrics?.['backpressured-time-ms-per-second'])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function OverviewTab({ jid, job, live }: { jid: string; job: JobDetails; live: boolean }) {
  const [recorded, setRecorded] = useState(true);
  const history = usePoll(() => api.metricsHistory(jid), live && recorded ? LIVE_MS : null, jid);
  // A server without metrics history (404) will not grow one: say so once instead of asking every second.
  const missing = history.error instanceof ApiError && history.error.status === 404;
  useEffect(() => setRecorded(!missing), [missing]);
  const [scaled, setScaled] = useState(true);
  const autoscaler = usePoll(() => api.autoscaler(jid), live && scaled ? SLOW_MS : null, jid);
  // A server without the autoscaler document (404), or a job that is not autoscaled, will not grow proposals.
  const noProposals =
    (autoscaler.error instanceof ApiError && autoscaler.error.status === 404) || autoscaler.data?.enabled === false;
  useEffect(() => setScaled(!noProposals), [noProposals]);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const select = (id: string) => {
    setSelected(id);
    document.getElementById(`plots-${id}`)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  };
  // Flink puts the plan in the job document; a server that leaves it out still gives the vertices.
  const nodes = job.plan?.nodes ?? (job.vertices ?? []).map((v) => ({ id: v.id, description: v.name }));
  return (
    <>
      <div class="graph-box">
        <JobGraph nodes={nodes} vertices={job.vertices ?? []} selected={selected} onSelect={select} />
        <div class="legend">
          <span class="swatch" style="background: hsl(210, 75%, 42%)" /> idle
          <span class="swatch" style="background: hsl(105, 75%, 42%)" /> half busy
          <span class="swatch" style="background: hsl(0, 75%, 42%)" /> busy
          <span class="swatch hatched" /> back-pressured
        </div>
      </div>
      <VertexTable job={job} autoscaler={autoscaler.data} />
      <h2>Throughput and watermarks</h2>
      {missing ? (
        <p class="muted">This server keeps no metrics history; the table above shows the latest values.</p>
      ) : (
        <>
          {history.error && <p class="error">{history.error.message}</p>}
          <VertexPlots history={history.data} />
        </>
      )}
    </>
  );
}

function CheckpointsTab({ jid, live }: { jid: string; live: boolean }) {
  const doc = usePoll(() => api.checkpoints(jid), live ? SLOW_MS : null, jid);
  return (
    <>
      {doc.error && <p class="error">{doc.error.message}</p>}
      <CheckpointsPanel doc={doc.data} />
    </>
  );
}

function ExceptionsTab({ jid, live }: { jid: string; live: boolean }) {
  const doc = usePoll(() => api.exceptions(jid), live ? SLOW_MS : null, jid);
  return (
    <>
      {doc.error && <p class="error">{doc.error.message}</p>}
      <ExceptionsPanel doc={doc.data} />
    </>
  );
}

function ScalingTab({ jid, live }: { jid: string; live: boolean }) {
  const path = usePoll(() => api.criticalPath(jid), live ? SLOW_MS : null, jid);
  const autoscaler = usePoll(() => api.autoscaler(jid), live ? SLOW_MS : null, jid);
  return (
    <>
      <h2>Bottleneck</h2>
      {path.error && <p class="error">{path.error.message}</p>}
      <BottleneckPanel doc={path.data} />
      <h2>Autoscaler</h2>
      {autoscaler.error && <p class="error">{autoscaler.error.message}</p>}
      <AutoscalerPanel doc={autoscaler.data} />
    </>
  );
}

/** `#/jobs/:jid[/tab]`: a job's state and actions, with tabs for its graph and plots, checkpoints, exceptions, logs
 * and scaling (bottleneck and autoscaler decisions). */
export function JobPage({ jid, tab }: { jid: string; tab: string }) {
  const [live, setLive] = useState(true);
  const job = usePoll(() => api.job(jid), live ? LIVE_MS : null, jid);
  // Once the job has ended its documents no longer change: stop polling (one last read happens on the switch).
  const nowLive = job.data === undefined || isLive(job.data.state);
  useEffect(() => setLive(nowLive), [nowLive]);
  const j = job.data;
  return (
    <section>
      <p class="crumbs">
        <a href={href('jobs')}>Jobs</a> / <span class="mono">{jid}</span>
      </p>
      {job.error && <p class="error">{job.error.message}</p>}
      {j && (
        <>
          <header class="job-header">
            <h1>{text(j.name)}</h1>
            <StateBadge state={j.state} />
            <span class="muted">
              started {time(j['start-time'])} ·{' '}
              {j['end-time'] !== undefined && j['end-time'] > 0 ? `ended ${time(j['end-time'])} · ` : ''}
              duration {duration(j.duration)}
            </span>
          </header>
          {live && (
            <JobActions
              jid={jid}
              parallelism={Math.max(1, ...(j.vertices ?? []).map((v) => v.parallelism ?? 1))}
              onDone={job.refresh}
            />
          )}
          <nav class="tabs">
            {TABS.map(([id, label]) => (
              <a
                key={id}
                class={tab === id ? 'active' : ''}
                href={id === '' ? href('jobs', jid) : href('jobs', jid, id)}
              >
                {label}
              </a>
            ))}
          </nav>
          {tab === '' && <OverviewTab jid={jid} job={j} live={live} />}
          {tab === 'checkpoints' && <CheckpointsTab jid={jid} live={live} />}
          {tab === 'exceptions' && <ExceptionsTab jid={jid} live={live} />}
          {tab === 'logs' && <LogsPanel jid={jid} live={live} />}
          {tab === 'scaling' && <ScalingTab jid={jid} live={live} />}
        </>
      )}
    </section>
  );
}
