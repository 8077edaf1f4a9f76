import { readFile } from 'node:fs/promises';

/** One page of a job's structured log (`GET /jobs/:jid/logs`). */
export interface LogPage {
  /** Lines `offset` … `offset + entries.length - 1` of the matching lines, parsed from JSON. */
  entries: Record<string, unknown>[];
  offset: number;
  /** Matching lines in the file now. */
  total: number;
}

/**
 * Reads a page of a JSON-lines log file (as `--log-file` writes it). `q` keeps lines whose text contains it
 * (case-insensitive); `offset` counts matching lines from the first; `limit` defaults to 100 (at most 10,000).
 * A missing file is an empty log (the job has not written a line yet). A line that is not JSON (a line cut short
 * by a crash) is returned as `{ msg: line }` rather than dropped.
 */
export async function readLogPage(file: string, query: Readonly<Record<string, string>>): Promise<LogPage> {
  const offset = Math.max(0, Number.parseInt(query.offset ?? '0', 10) || 0);
  const limit = Math.min(10_000, Math.max(1, Number.parseInt(query.limit ?? '100', 10) || 100));
  const q = query.q?.toLowerCase();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], offset, total: 0 };
    throw e;
  }
  const lines = text.split('\n').filter((l) => l !== '' && (q === undefined || l.toLowerCase().includes(q)));
  const entries = lines.slice(offset, offset + limit).map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return { msg: line };
    }
  });
  return { entries, offset, total: lines.length };
}
