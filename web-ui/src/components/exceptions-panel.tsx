import { DASH, text, time } from '../format';
import type { ExceptionsDocument } from '../types';

function recordText(record: unknown): string {
  if (record === undefined || record === null) return DASH;
  if (typeof record === 'string') return record;
  try {
    return JSON.stringify(record, null, 2);
  } catch {
    return String(record);
  }
}

/** The job's failures, newest first: exception, the vertex and function that threw, the record it was processing. */
export function ExceptionsPanel({ doc }: { doc: ExceptionsDocument | undefined }) {
  if (doc === undefined) return <p class="muted">Loading exceptions…</p>;
  const entries = [...(doc.exceptionHistory?.entries ?? [])].sort((a, b) => (b.timestamp ?? 0) - (a.timestamp ?? 0));
  if (entries.length === 0 && !doc['root-exception']) return <p class="muted">No exceptions.</p>;
  return (
    <div class="exceptions">
      {entries.length === 0 && <pre class="stack">{doc['root-exception']}</pre>}
      {entries.map((e, i) => (
        <article class="exception" key={`${e.timestamp}-${i}`}>
          <header>
            <strong>{text(e.exceptionName)}</strong>
            {e.message && <span>: {e.message}</span>}
            <span class="muted"> at {time(e.timestamp)}</span>
          </header>
          <dl>
            <dt>Vertex</dt>
            <dd>{text(e.taskName)}</dd>
            <dt>Function</dt>
            <dd class="mono">{text(e.operator)}</dd>
            <dt>Record</dt>
            <dd>
              <pre class="record">{recordText(e.record)}</pre>
            </dd>
          </dl>
          <details open={i === 0}>
            <summary>Stack trace</summary>
            <pre class="stack">{text(e.stacktrace)}</pre>
          </details>
        </article>
      ))}
    </div>
  );
}
