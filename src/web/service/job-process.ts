import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { RotatingFile } from './rotating-file.js';

/** How a child process ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines of its stderr (the reason of a failure is there: `error: ...`). */
  stderrTail: string[];
}

/**
 * One job's child process: `node ARGV...` in `cwd`, its stdout and stderr written to rotating files of at most
 * `maxLogBytes` each, the last 50 lines of stderr kept for the failure reason. The child runs in its own process
 * group only where it must be killed with its workers: the engine's worker threads live inside it, so signalling
 * the one pid suffices.
 */
export class JobProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ChildExit>;
  private readonly tail: string[] = [];
  private partial = '';

  constructor(argv: string[], options: { cwd: string; stdout: string; stderr: string; maxLogBytes: number }) {
    const out = new RotatingFile(options.stdout, options.maxLogBytes);
    const err = new RotatingFile(options.stderr, options.maxLogBytes);
    this.child = spawn(process.execPath, argv, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // No progress bars or colours in files.
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    this.child.stdout!.on('data', (c: Buffer) => out.write(c));
    this.child.stderr!.on('data', (c: Buffer) => {
      err.write(c);
      this.keepTail(c.toString('utf8'));
    });
    this.exited = new Promise((resolve) => {
      let spawnError: Error | undefined;
      this.child.once('error', (e) => {
        spawnError = e;
      });
      this.child.once('close', (code, signal) => {
        out.close();
        err.close();
        if (this.partial !== '') this.tail.push(this.partial);
        if (spawnError !== undefined) this.tail.push(`error: cannot start the job process: ${spawnError.message}`);
        resolve({ code, signal, stderrTail: this.tail });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends `signal` if the process still runs. */
  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  private keepTail(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    for (const p of parts) {
      this.tail.push(p);
      if (this.tail.length > 50) this.tail.shift();
    }
  }
}

/** The reason of a failed run: its last `error:` line on stderr, else its last line, else the exit status. */
export function failureReason(exit: ChildExit): string {
  const errorLine = [...exit.stderrTail].reverse().find((l) => l.startsWith('error:'));
  const last = [...exit.stderrTail].reverse().find((l) => l.trim() !== '');
  return (
    errorLine?.replace(/^error:\s*/, '') ??
    last ??
    (exit.signal !== null
      ? `the job process was killed by ${exit.signal}`
      : `the job process exited with code ${exit.code}`)
  );
}

/**
 * Ends the child a previous service process left running (killed with it gone), before the job runs again: it
 * would hold the checkpoint directory's lock. Only a process whose command line names the job's directory is
 * signalled, never a stranger that reused the pid.
 */
export async function endOrphan(pid: number | undefined, jobDir: string): Promise<void> {
  if (pid === undefined) return;
  const ours = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(jobDir.replace(/\/$/, ''));
    } catch {
      return false;
    }
  };
  if (!ours()) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 150 && ours(); i++) await new Promise((r) => setTimeout(r, 100));
  if (ours()) process.kill(pid, 'SIGKILL');
}
