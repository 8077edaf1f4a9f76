/**
 * Which process runs which task: computed by the group leader at every rebalance. Sticky, so a process joining or
 * leaving moves as few tasks as possible (each move restores a task from its checkpoint), and balanced to within one
 * task per process.
 */

export interface MemberTasks {
  readonly memberId: string;
  /** The tasks the member runs now (it reports them when it rejoins). */
  readonly owned: readonly string[];
}

/**
 * Assigns every task to exactly one member: members keep what they own up to their fair share, the rest goes to the
 * least loaded, then single tasks move from the most to the least loaded member until the loads differ by ≤ 1.
 * Deterministic for the same input (members are taken in member id order).
 */
export function assignTasks(tasks: readonly string[], members: readonly MemberTasks[]): Map<string, string[]> {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const result = new Map<string, string[]>(sorted.map((m) => [m.memberId, []]));
  if (sorted.length === 0) return result;
  const valid = new Set(tasks);
  const taken = new Set<string>();
  const share = Math.ceil(tasks.length / sorted.length);
  for (const m of sorted) {
    const mine = result.get(m.memberId)!;
    for (const t of m.owned) {
      if (mine.length >= share) break;
      if (!valid.has(t) || taken.has(t)) continue;
      taken.add(t);
      mine.push(t);
    }
  }
  const lists = sorted.map((m) => result.get(m.memberId)!);
  const leastLoaded = () => lists.reduce((a, b) => (b.length < a.length ? b : a));
  const mostLoaded = () => lists.reduce((a, b) => (b.length > a.length ? b : a));
  for (const t of tasks) if (!taken.has(t)) leastLoaded().push(t);
  for (;;) {
    const most = mostLoaded();
    const least = leastLoaded();
    if (most.length - least.length <= 1) break;
    least.push(most.pop()!);
  }
  return result;
}
