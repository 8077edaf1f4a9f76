/** What a missing or meaningless value shows as. */
export const DASH = '–';

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A count with thousands separators; "–" when missing or negative (Flink's "unknown"). */
export function count(v: unknown): string {
  return isNum(v) && v >= 0 ? Math.round(v).toLocaleString('en-US') : DASH;
}

/** A rate per second with one decimal below 100. */
export function rate(v: unknown): string {
  if (!isNum(v) || v < 0) return DASH;
  return v < 100 ? `${v.toFixed(1)}/s` : `${Math.round(v).toLocaleString('en-US')}/s`;
}

/** Bytes in B, KiB, MiB, GiB. */
export function bytes(v: unknown): string {
  if (!isNum(v) || v < 0) return DASH;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let u = 0;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return u === 0 ? `${x} B` : `${x.toFixed(1)} ${units[u]}`;
}

/** A duration in ms as "850 ms", "12.3 s", "4m 05s", "2h 03m". */
export function duration(v: unknown): string {
  if (!isNum(v) || v < 0) return DASH;
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(1)} s`;
  const s = Math.floor(v / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
}

/** An epoch-ms timestamp as local "YYYY-MM-DD HH:MM:SS"; "–" when missing or not positive. */
export function time(v: unknown): string {
  const ms = typeof v === 'string' ? Date.parse(v) : v;
  if (!isNum(ms) || ms <= 0) return DASH;
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A percentage of a per-second millisecond time (busy, back-pressured): 0–1000 ms/s → "0%"–"100%". */
export function perMille(v: unknown): string {
  return isNum(v) && v >= 0 ? `${Math.round(v / 10)}%` : DASH;
}

/** A percentage given as 0–100: one decimal below 10 % (where the difference matters), whole otherwise. */
export function percent(v: unknown): string {
  if (!isNum(v) || v < 0) return DASH;
  return v > 0 && v < 10 ? `${v.toFixed(1)}%` : `${Math.round(v)}%`;
}

/** A share given as 0–1, as a percentage. */
export function share(v: unknown): string {
  return isNum(v) ? percent(v * 100) : DASH;
}

/** Any value as text, "–" for null/undefined. */
export function text(v: unknown): string {
  return v === undefined || v === null || v === '' ? DASH : String(v);
}

/** Whether a job in `state` may still change (its pages keep polling). */
export function isLive(state: string | undefined): boolean {
  return state === undefined || !['FINISHED', 'FAILED', 'CANCELED', 'CANCELLED', 'SUSPENDED'].includes(state);
}
