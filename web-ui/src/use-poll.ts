import { useEffect, useRef, useState } from 'preact/hooks';

/** What {@link usePoll} gives: the latest data, the latest error (cleared by the next success), and a refresh. */
export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  refresh: () => void;
}

/**
 * Loads `load()` now and then every `intervalMs` after the previous answer (never two requests at once); with
 * `intervalMs` null it loads once per change of `key`. Keeps the last good data while a later request fails.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number | null, key: string): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const d = await loadRef.current();
        if (stopped) return;
        setData(d);
        setError(undefined);
      } catch (e) {
        if (stopped) return;
        setError(e instanceof Error ? e : new Error(String(e)));
      }
      if (!stopped && intervalMs !== null) timer = setTimeout(run, intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [key, intervalMs, tick]);

  return { data, error, refresh: () => setTick((t) => t + 1) };
}
