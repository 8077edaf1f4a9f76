/**
 * Java regular expressions (Flink's REGEXP_* functions) as JavaScript ones: the common syntax is shared; leading
 * inline flags such as `(?i)` become RegExp flags. Compiled patterns are cached by text. An invalid pattern throws
 * an Error naming it.
 */
const cache = new Map<string, RegExp>();

export function javaRegex(pattern: string, global = false): RegExp {
  const key = global ? `g:${pattern}` : pattern;
  let re = cache.get(key);
  if (re === undefined) {
    let source = pattern;
    let flags = global ? 'gu' : 'u';
    const inline = /^\(\?([imsx]+)\)/.exec(source);
    if (inline !== null) {
      source = source.slice(inline[0].length);
      for (const f of inline[1] as string) if (f !== 'x' && !flags.includes(f)) flags += f;
    }
    source = source.replace(/\\Q(.*?)(?:\\E|$)/g, (_, text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    try {
      re = new RegExp(source, flags);
    } catch {
      try {
        re = new RegExp(source, flags.replace('u', ''));
      } catch (e) {
        throw new Error(`Invalid regular expression '${pattern}': ${(e as Error).message}`);
      }
    }
    if (cache.size > 1000) cache.clear();
    cache.set(key, re);
  }
  return re;
}

/** A Java replacement string ($1, \$ for a dollar) in JavaScript's syntax. */
export function javaReplacement(replacement: string): string {
  return replacement.replace(/\\\$/g, '$$$$').replace(/\\\\/g, '\\');
}
