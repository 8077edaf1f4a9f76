import { useEffect, useState } from 'preact/hooks';

/** The page address after '#', split into path segments (`#/jobs/abc/logs` → ['jobs', 'abc', 'logs']). */
export function useRoute(): string[] {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash
    .replace(/^#\/?/, '')
    .split('?')[0]!
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
}

/** The address of a page, for links and {@link navigate}. */
export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}

/** Goes to a page. */
export function navigate(...segments: string[]): void {
  location.hash = href(...segments);
}
