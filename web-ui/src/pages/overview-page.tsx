import { api } from '../api';
import { JobTable } from '../components/job-table';
import { count, DASH, isLive } from '../format';
import { usePoll } from '../use-poll';

/** `#/`: the service's counts and its running and completed jobs, refreshed every 2 s. */
export function OverviewPage() {
  const overview = usePoll(api.overview, 2000, 'overview');
  const jobs = usePoll(api.jobs, 2000, 'jobs');
  const o = overview.data ?? {};
  const all = jobs.data?.jobs ?? [];
  const cards: [string, string][] = [
    ['Running', count(o['jobs-running'])],
    ['Finished', count(o['jobs-finished'])],
    ['Canceled', count(o['jobs-cancelled'])],
    ['Failed', count(o['jobs-failed'])],
    ['Slots', count(o['slots-total'])],
    ['Version', o['flink-version'] ?? DASH],
  ];
  return (
    <section>
      <h1>Overview</h1>
      {(overview.error ?? jobs.error) && <p class="error">{(overview.error ?? jobs.error)?.message}</p>}
      <div class="cards">
        {cards.map(([label, value]) => (
          <div class="card" key={label} data-card={label}>
            <div class="card-value">{value}</div>
            <div class="card-label">{label}</div>
          </div>
        ))}
      </div>
      <h2>Running jobs</h2>
      <JobTable jobs={all.filter((j) => isLive(j.state))} empty="No running jobs." />
      <h2>Completed jobs</h2>
      <JobTable jobs={all.filter((j) => !isLive(j.state))} empty="No completed jobs." />
    </section>
  );
}
