/** The input of the window-counts and sessions examples: one JSON object per line. */
export interface Event {
  user: string;
  /** Event time, epoch milliseconds. */
  ts: number;
  amount: number;
}

/** Checks one parsed input line; a throw makes the line a bad record that names file and line. */
export function toEvent(value: unknown): Event {
  const e = value as Partial<Event> | null;
  if (e === null || typeof e !== 'object') throw new Error('expected a JSON object');
  if (typeof e.user !== 'string') throw new Error('field "user" must be a string');
  if (typeof e.ts !== 'number' || !Number.isFinite(e.ts)) throw new Error('field "ts" must be a finite number');
  if (typeof e.amount !== 'number' || !Number.isFinite(e.amount)) throw new Error('field "amount" must be a number');
  return { user: e.user, ts: e.ts, amount: e.amount };
}
