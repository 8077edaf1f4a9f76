import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { DASH, time } from '../format';
import type { LogLine } from '../types';

const PAGE = 500;
/** Lines kept in the page; older ones scroll away (the API still has them). */
const KEEP = 2000;
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const KNOWN = new Set(['line', 'time', 'level', 'msg', 'vertex', 'subtask', 'jobId', 'jid', 'pid', 'hostname']);

function level(l: LogLine['level']): string {
  return typeof l === 'number' ? (LEVELS[l] ?? String(l)) : (l ?? DASH);
}

function extra(l: LogLine): string {
  const rest = Object.entries(l).filter(([k]) => !KNOWN.has(k));
  return rest.length === 0 ? '' : JSON.stringify(Object.fromEntries(rest));
}

/**
 * The job's structured log: searched on the server (`q`), read page by page from the start, and — while "follow"
 * is on — polled every second from where the last page ended, scrolled to the newest line.
 */
export function LogsPanel({ jid, live }: { jid: string; live: boolean }) {
  const [input, setInput] = useState('');
  const [q, setQ] = useState('');
  const [follow, setFollow] = useState(live);
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loaded, setLoaded] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const followRef = useRef(follow);
  followRef.current = follow;
  // Restarts a stopped poll when "follow" is switched on again (without reloading what is shown).
  const resume = useRef<() => void>(() => {});

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let offset = 0;
    setLines([]);
    setLoaded(false);
    const append = (more: LogLine[]) => {
      if (more.length > 0) setLines((old) => [...old, ...more].slice(-KEEP));
    };
    const poll = async () => {
      try {
        const page = await api.logs(jid, offset, PAGE, q);
        if (stopped) return;
        offset = page['next-offset'] ?? offset + (page.lines?.length ?? 0);
        append(page.lines ?? []);
        setError(undefined);
        // A full page means more is waiting: read it at once; otherwise wait for new lines.
        if ((page.lines?.length ?? 0) >= PAGE) return void poll();
        setLoaded(true);
      } catch (e) {
        if (stopped) return;
        setError(e instanceof Error ? e.message : String(e));
      }
      if (stopped) return;
      if (followRef.current) timer = setTimeout(poll, 1000);
      else resume.current = () => void poll();
    };
    void poll();
    return () => {
      stopped = true;
      resume.current = () => {};
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [jid, q]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow]);

  return (
    <div class="logs">
      <form
        class="log-tools"
        onSubmit={(e) => {
          e.preventDefault();
          setQ(input.trim());
        }}
      >
        <input
          type="search"
          name="q"
          placeholder="Search the log"
          value={input}
          onInput={(e) => setInput(e.currentTarget.value)}
        />
        <button type="submit">Search</button>
        <label>
          <input
            type="checkbox"
            name="follow"
            checked={follow}
            onChange={(e) => {
              setFollow(e.currentTarget.checked);
              if (e.currentTarget.checked) {
                resume.current();
                resume.current = () => {};
              }
            }}
          />{' '}
          Follow
        </label>
        <span class="muted">{`${lines.length} line${lines.length === 1 ? '' : 's'}${q === '' ? '' : ` matching “${q}”`}`}</span>
      </form>
      {error && <p class="error">{error}</p>}
      <div class="log-lines" ref={box} data-lines={lines.length}>
        {loaded && lines.length === 0 && <p class="muted">No log lines{q === '' ? '' : ' match'}.</p>}
        {lines.map((l, i) => (
          <div class={`log-line level-${level(l.level)}`} key={`${l.line ?? i}-${i}`}>
            <span class="log-time">{time(l.time)}</span>
            <span class="log-level">{level(l.level)}</span>
            <span class="log-where">
              {l.vertex === undefined ? '' : `${l.vertex}${l.subtask === undefined ? '' : `#${l.subtask}`}`}
            </span>
            <span class="log-msg">{l.msg ?? ''}</span>
            <span class="log-extra">{extra(l)}</span>
          </div>
        ))}
      </div>
    </div>
  );
}
