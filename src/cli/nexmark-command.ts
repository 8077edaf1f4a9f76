import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { InvalidArgumentError } from 'commander';
import { NexmarkGenerator } from '../connectors/nexmark/nexmark-generator.js';

/** Lines are gathered into chunks of about this many characters before they are written. */
const CHUNK_CHARS = 1 << 20;

/** Commander parser of an integer option that may be negative (a seed, a base time). */
export function safeInteger(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

export interface NexmarkGenerateOptions {
  events: number;
  seed?: number;
  output: string;
  baseTime?: number;
}

/**
 * `sluice nexmark generate --events N [--seed S] [--base-time MS] --output FILE`: writes events 0 … N - 1 of the
 * seeded generator as JSON Lines in the nested form (`{"event_type":2,"person":null,"auction":null,"bid":{…}}`),
 * fields in the order of the data model. Memory stays bounded: lines go out in chunks of ~1 MiB and generation waits
 * whenever the file stream's buffer is full. Returns the exit code.
 */
export async function nexmarkGenerateCommand(opts: NexmarkGenerateOptions): Promise<number> {
  let generator: NexmarkGenerator;
  try {
    generator = new NexmarkGenerator({ seed: opts.seed ?? 0, baseTime: opts.baseTime ?? 0 });
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 2;
  }
  const out = createWriteStream(opts.output);
  let failure: Error | undefined;
  out.on('error', (e) => (failure ??= e));
  const whenOpen = new Promise<void>((resolve) => {
    out.once('open', () => resolve());
    out.once('error', () => resolve());
  });
  /** Resolves once the stream can take more (or has failed). */
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done);
        out.off('error', done);
        resolve();
      };
      out.on('drain', done);
      out.on('error', done);
    });
  try {
    await whenOpen;
    let chunk = '';
    for (let i = 0; i < opts.events && failure === undefined; i++) {
      chunk += `${JSON.stringify(generator.event(i))}\n`;
      if (chunk.length >= CHUNK_CHARS) {
        const more = out.write(chunk);
        chunk = '';
        if (!more && failure === undefined) await drained();
      }
    }
    if (failure === undefined) {
      out.end(chunk);
      await finished(out).catch((e: Error) => (failure ??= e));
    }
  } finally {
    if (failure !== undefined) out.destroy();
  }
  if (failure !== undefined) {
    process.stderr.write(`error: cannot write ${opts.output}: ${failure.message}\n`);
    return 1;
  }
  process.stderr.write(`wrote ${opts.events} Nexmark events to ${opts.output}\n`);
  return 0;
}
