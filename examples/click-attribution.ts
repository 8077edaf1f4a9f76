/**
 * Interval join: attributes each ad click to the impressions of the same ad shown to the same user in the minute
 * before it (impression.ts <= click.ts <= impression.ts + 60 s). One output line per matching pair:
 * {"user","ad","impressionTs","clickTs"}. Both inputs are out of order by less than 5 s.
 *
 *   npx sluice run examples/click-attribution.ts -- --impressions examples/data/impressions.jsonl \
 *     --clicks examples/data/clicks.jsonl --output /tmp/attributed.jsonl
 */
import { parseArgs } from 'node:util';
import { type Collector, defineJob, FileSink, FileSource, WatermarkStrategies } from 'sluice';

/** An impression or a click: which ad, shown to or clicked by which user, when (epoch ms). */
export interface AdEvent {
  user: string;
  ad: string;
  ts: number;
}

export interface Attribution {
  user: string;
  ad: string;
  impressionTs: number;
  clickTs: number;
}

/** Checks one parsed input line; a throw makes the line a bad record that names file and line. */
function toAdEvent(value: unknown): AdEvent {
  const e = value as Partial<AdEvent> | null;
  if (e === null || typeof e !== 'object') throw new Error('expected a JSON object');
  if (typeof e.user !== 'string' || typeof e.ad !== 'string') throw new Error('fields "user" and "ad" must be strings');
  if (typeof e.ts !== 'number' || !Number.isFinite(e.ts)) throw new Error('field "ts" must be a finite number');
  return { user: e.user, ad: e.ad, ts: e.ts };
}

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: { impressions: { type: 'string' }, clicks: { type: 'string' }, output: { type: 'string' } },
  });
  if (!values.impressions || !values.clicks || !values.output) {
    throw new Error('usage: click-attribution -- --impressions FILE --clicks FILE --output FILE');
  }
  const read = (path: string) =>
    env.fromSource(
      FileSource.jsonLines(path, { validate: toAdEvent }),
      WatermarkStrategies.forBoundedOutOfOrderness<AdEvent>(5_000).withTimestampAssigner((e) => e.ts),
    );
  // The key is user and ad together: an array key.
  const byUserAndAd = (e: AdEvent): [string, string] => [e.user, e.ad];

  read(values.impressions)
    .keyBy(byUserAndAd)
    .intervalJoin(read(values.clicks).keyBy(byUserAndAd))
    .between(0, 60_000)
    .process((impression, click, _ctx, out: Collector<Attribution>) => {
      out.collect({ user: click.user, ad: click.ad, impressionTs: impression.ts, clickTs: click.ts });
    })
    .sinkTo(FileSink.jsonLines(values.output));
});
