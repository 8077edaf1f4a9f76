/** One metric family of the text format: its HELP and TYPE lines and its samples. */
interface Family {
  help?: string;
  type?: string;
  samples: string[];
}

/**
 * Merges Prometheus text expositions (one per job process) into one: the text format allows one HELP and TYPE line
 * per metric name, so the families of every input are joined under the first HELP/TYPE seen. Samples must already
 * tell their job apart (the children label theirs with the job id). Samples before any TYPE line stand alone.
 */
export function mergePrometheusTexts(texts: readonly string[]): string {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const text of texts) {
    let current = '';
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (meta !== null) {
        current = meta[2]!;
        const f = family(current);
        if (meta[1] === 'HELP') f.help ??= line;
        else f.type ??= line;
        continue;
      }
      if (line.startsWith('#')) continue;
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? '';
      // Histogram and summary samples (`x_bucket`, `x_sum`, `x_count`) belong to the family above them.
      family(current !== '' && name.startsWith(current) ? current : name).samples.push(line);
    }
  }
  const out: string[] = [];
  for (const f of families.values()) {
    if (f.help !== undefined) out.push(f.help);
    if (f.type !== undefined) out.push(f.type);
    out.push(...f.samples);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
