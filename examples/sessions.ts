/**
 * Per-user event-time sessions with a 30 s gap: a session ends 30 s after its last event.
 * Output lines: {"user","start","end","count"} with end = last event time + gap.
 *
 *   npx sluice run examples/sessions.ts -- --input examples/data/events.jsonl --output /tmp/sessions.jsonl
 */
import { parseArgs } from 'node:util';
import { defineJob, EventTimeSessionWindows, FileSink, FileSource, WatermarkStrategies } from 'sluice';
import { type Event, toEvent } from './events.js';

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: { input: { type: 'string' }, output: { type: 'string' } },
  });
  if (!values.input || !values.output) throw new Error('usage: sessions -- --input FILE --output FILE');

  env
    .fromSource(
      FileSource.jsonLines(values.input, { validate: toEvent }),
      WatermarkStrategies.forBoundedOutOfOrderness<Event>(5_000).withTimestampAssigner((e) => e.ts),
    )
    .keyBy((e) => e.user)
    .window(EventTimeSessionWindows.withGap(30_000))
    .aggregate(
      {
        createAccumulator: () => 0,
        add: (_e: Event, n: number) => n + 1,
        getResult: (n) => n,
        merge: (a, b) => a + b,
      },
      {
        process(user, ctx, [count]) {
          return [{ user, start: ctx.window.start, end: ctx.window.end, count }];
        },
      },
    )
    .sinkTo(FileSink.jsonLines(values.output));
});
