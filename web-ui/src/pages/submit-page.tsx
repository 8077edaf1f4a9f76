import { useState } from 'preact/hooks';
import { api } from '../api';
import { navigate } from '../router';
import type { SubmitRequest } from '../types';

/**
 * Splits an argument line as a shell would for plain words and quotes: `--in "a b.csv" -x` → ['--in', 'a b.csv', '-x'].
 * @throws Error on an unclosed quote, naming where it opened.
 */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: string | null = null;
  let opened = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      opened = i;
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote !== null) throw new Error(`arguments: the quote ${quote} at column ${opened + 1} is not closed`);
  if (has) out.push(cur);
  return out;
}

/** `#/submit`: submit a job file with its arguments, or SQL text, at a parallelism; opens the new job's page. */
export function SubmitPage() {
  const [kind, setKind] = useState<'file' | 'sql'>('file');
  const [file, setFile] = useState('');
  const [args, setArgs] = useState('');
  const [sql, setSql] = useState('');
  const [parallelism, setParallelism] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const p = parallelism.trim() === '' ? undefined : Number(parallelism);
      if (p !== undefined && !(Number.isInteger(p) && p >= 1)) throw new Error('parallelism: a whole number ≥ 1');
      let body: SubmitRequest;
      if (kind === 'file') {
        if (file.trim() === '') throw new Error('job file: give the path of the job file on the server');
        body = { file: file.trim(), args: splitArgs(args) };
      } else {
        if (sql.trim() === '') throw new Error('SQL: give the statements to run');
        body = { sql };
      }
      if (p !== undefined) body.parallelism = p;
      setBusy(true);
      const { jobid } = await api.submit(body);
      navigate('jobs', jobid);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Submit a job</h1>
      <form class="submit-form" onSubmit={submit}>
        <fieldset class="kind">
          <label>
            <input type="radio" name="kind" checked={kind === 'file'} onChange={() => setKind('file')} /> Job file
          </label>
          <label>
            <input type="radio" name="kind" value="sql" checked={kind === 'sql'} onChange={() => setKind('sql')} /> SQL
          </label>
        </fieldset>
        {kind === 'file' ? (
          <>
            <label>
              Job file (a path on the server)
              <input
                name="file"
                value={file}
                placeholder="/path/to/job.ts"
                onInput={(e) => setFile(e.currentTarget.value)}
              />
            </label>
            <label>
              Arguments
              <input
                name="args"
                value={args}
                placeholder='--input "data/in file.csv"'
                onInput={(e) => setArgs(e.currentTarget.value)}
              />
            </label>
          </>
        ) : (
          <label>
            SQL
            <textarea name="sql" rows={10} value={sql} onInput={(e) => setSql(e.currentTarget.value)} />
          </label>
        )}
        <label>
          Parallelism (optional)
          <input
            name="parallelism"
            type="number"
            min="1"
            value={parallelism}
            onInput={(e) => setParallelism(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          Submit
        </button>
        {error && <p class="error">{error}</p>}
      </form>
    </section>
  );
}
