import { duration, text, time } from '../format';
import { href } from '../router';
import type { JobSummary } from '../types';
import { StateBadge } from './state-badge';

/** A table of jobs, newest first, each linking to its job page. */
export function JobTable({ jobs, empty }: { jobs: JobSummary[]; empty: string }) {
  if (jobs.length === 0) return <p class="muted">{empty}</p>;
  const sorted = [...jobs].sort((a, b) => (b['start-time'] ?? 0) - (a['start-time'] ?? 0));
  return (
    <table class="jobs">
      <thead>
        <tr>
          <th>Name</th>
          <th>State</th>
          <th>Start</th>
          <th>End</th>
          <th>Duration</th>
          <th>Tasks</th>
          <th>Job id</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((j) => (
          <tr key={j.jid} data-jid={j.jid}>
            <td>
              <a href={href('jobs', j.jid)}>{text(j.name)}</a>
            </td>
            <td>
              <StateBadge state={j.state} />
            </td>
            <td>{time(j['start-time'])}</td>
            <td>{time(j['end-time'])}</td>
            <td>{duration(j.duration)}</td>
            <td>{tasks(j.tasks)}</td>
            <td class="mono">{j.jid}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function tasks(t: Record<string, number> | undefined): string {
  if (t === undefined) return text(undefined);
  const parts = Object.entries(t)
    .filter(([k, n]) => k !== 'total' && n > 0)
    .map(([k, n]) => `${n} ${k.toLowerCase()}`);
  return `${t.total ?? text(undefined)}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}
