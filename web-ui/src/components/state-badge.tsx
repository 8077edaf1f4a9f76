import { DASH } from '../format';

/** A job or vertex state as a coloured label (`state-RUNNING`, `state-FAILED`, … in style.css). */
export function StateBadge({ state }: { state: string | undefined }) {
  return <span class={`badge state-${state ?? 'UNKNOWN'}`}>{state ?? DASH}</span>;
}
