/**
 * GET `path` (with `query`) from a job child's REST server on `port`, read as JSON or text; undefined when the child
 * cannot answer (not listening yet, gone, an error status, or no answer within 5 s), which callers treat as "no
 * data" rather than as a failure of the service.
 */
export async function getFromChild(
  port: number,
  path: string,
  query: Readonly<Record<string, string>>,
  read: 'json',
): Promise<unknown>;
export async function getFromChild(
  port: number,
  path: string,
  query: Readonly<Record<string, string>>,
  read: 'text',
): Promise<string | undefined>;
export async function getFromChild(
  port: number,
  path: string,
  query: Readonly<Record<string, string>>,
  read: 'json' | 'text',
): Promise<unknown> {
  const qs = new URLSearchParams(query as Record<string, string>).toString();
  try {
    const r = await fetch(`http://127.0.0.1:${port}${path}${qs === '' ? '' : `?${qs}`}`, {
      signal: AbortSignal.timeout(5000),
    });
    if (!r.ok) return undefined;
    return read === 'json' ? await r.json() : await r.text();
  } catch {
    return undefined;
  }
}
