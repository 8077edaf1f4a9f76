/**
 * Per user and 60 s tumbling event-time window: the number of events and the sum of their amounts.
 * Events are out of order by up to 5 s (bounded-out-of-orderness watermarks of 5 s).
 *
 *   npx sluice run examples/window-counts.ts -- --input examples/data/events.jsonl --output /tmp/windows.jsonl
 *
 * `--split-bytes N` reads an input file larger than N bytes in ranges of N bytes, spread over the subtasks
 * (FileSource's `splitBytes`; default 16 MiB).
 */
import { parseArgs } from 'node:util';
import { defineJob, FileSink, FileSource, TumblingEventTimeWindows, WatermarkStrategies } from 'sluice';
import { type Event, toEvent } from './events.js';

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: { input: { type: 'string' }, output: { type: 'string' }, 'split-bytes': { type: 'string' } },
  });
  if (!values.input || !values.output) {
    throw new Error('usage: window-counts -- --input FILE --output FILE [--split-bytes N]');
  }
  const splitBytes = values['split-bytes'] === undefined ? undefined : Number(values['split-bytes']);

  env
    .fromSource(
      FileSource.jsonLines(values.input, { validate: toEvent, ...(splitBytes === undefined ? {} : { splitBytes }) }),
      WatermarkStrategies.forBoundedOutOfOrderness<Event>(5_000).withTimestampAssigner((e) => e.ts),
    )
    .keyBy((e) => e.user)
    .window(TumblingEventTimeWindows.of(60_000))
    .aggregate(
      {
        createAccumulator: () => ({ count: 0, sum: 0 }),
        add: (e: Event, acc) => {
          acc.count++;
          acc.sum += e.amount;
          return acc;
        },
        getResult: (acc) => acc,
      },
      {
        process(user, ctx, [acc]) {
          const { start, end } = ctx.window;
          return [{ user, windowStart: start, windowEnd: end, count: acc.count, sum: acc.sum }];
        },
      },
    )
    .sinkTo(FileSink.jsonLines(values.output));
});
