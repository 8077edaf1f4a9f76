import { readFileSync } from 'node:fs';

/** The parent pid of `pid`, from /proc (Linux); undefined where /proc is not available. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (in parentheses, which may contain spaces): state, ppid, ...
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[1]);
  } catch {
    return undefined;
  }
}

/**
 * `npx sluice …` runs the job as a grandchild of npm (npm → sh → node). When npm is killed (`kill -9` of the command
 * a supervisor started), the job would go on running as an orphan, next to the run that replaces it. This watch
 * notices that the launcher is gone (its shell or this process was re-parented) and ends the job at once, as a kill of
 * the whole command would. Only active when started by npm exec; Linux only (elsewhere it does nothing).
 */
export function exitWithLauncher(intervalMs = 100): void {
  if (process.env.npm_command !== 'exec') return;
  const parent = process.ppid;
  const grandparent = parentOf(parent);
  if (grandparent === undefined) return;
  const timer = setInterval(() => {
    if (process.ppid !== parent || parentOf(parent) !== grandparent) {
      process.stderr.write('error: the launching npm process is gone; stopping\n');
      process.kill(process.pid, 'SIGKILL');
    }
  }, intervalMs);
  timer.unref();
}
