import { useState } from 'preact/hooks';
import { api } from '../api';
import { JobTable } from '../components/job-table';
import { usePoll } from '../use-poll';

/** `#/jobs`: every job the service knows, filtered by name, id or state, refreshed every 2 s. */
export function JobsPage() {
  const jobs = usePoll(api.jobs, 2000, 'jobs');
  const [filter, setFilter] = useState('');
  const f = filter.trim().toLowerCase();
  const shown = (jobs.data?.jobs ?? []).filter(
    (j) => f === '' || [j.name, j.jid, j.state].some((s) => (s ?? '').toLowerCase().includes(f)),
  );
  return (
    <section>
      <h1>Jobs</h1>
      {jobs.error && <p class="error">{jobs.error.message}</p>}
      <input
        class="filter"
        type="search"
        placeholder="Filter by name, id or state"
        value={filter}
        onInput={(e) => setFilter(e.currentTarget.value)}
      />
      <JobTable jobs={shown} empty={jobs.data === undefined ? 'Loading…' : 'No jobs.'} />
    </section>
  );
}
