import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** One page of a job's log: `lines` from line `offset`; `next-offset` continues (also for `--follow`). */
export interface LogPage {
  source: string;
  offset: number;
  'next-offset': number;
  /** Parsed JSON lines (structured logs) or `{msg}` for plain output lines. */
  lines: Record<string, unknown>[];
}

/**
 * Reads a page of log lines from `files` (oldest first, e.g. `[logs.jsonl.1, logs.jsonl]`, read as one sequence;
 * missing files are empty): from line `offset`, at most `limit` lines, only those containing `q` (case-insensitive)
 * when given. `json` parses each line (a line that is not JSON comes back as `{msg: line}`).
 */
export async function readLogPage(
  source: string,
  files: readonly string[],
  options: { offset: number; limit: number; q?: string; json: boolean },
): Promise<LogPage> {
  const lines: Record<string, unknown>[] = [];
  const needle = options.q?.toLowerCase();
  let n = 0;
  let next = options.offset;
  outer: for (const file of files) {
    if (!existsSync(file)) continue;
    const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const line of rl) {
        const index = n++;
        if (index < options.offset) continue;
        if (lines.length >= options.limit) break outer;
        next = index + 1;
        if (line === '' || (needle !== undefined && !line.toLowerCase().includes(needle))) continue;
        lines.push(parse(line, options.json, index));
      }
    } finally {
      rl.close();
    }
  }
  return { source, offset: options.offset, 'next-offset': Math.max(next, options.offset), lines };
}

function parse(line: string, json: boolean, index: number): Record<string, unknown> {
  if (json) {
    try {
      const v = JSON.parse(line) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return { line: index, ...(v as object) };
    } catch {}
  }
  return { line: index, msg: line };
}
