/**
 * Side outputs and late data: per user and 60 s tumbling event-time window, the number of events and the sum of
 * their amounts, with a watermark that allows only --max-delay-ms (default 1000) of disorder. Events whose window
 * has already fired when they arrive are late: instead of being dropped they go to a side output, written to their
 * own file. Output lines: {"user","windowStart","count","sum"} to --output; the late events, as read, to --late.
 * Which events are late depends on when watermarks are emitted (after each batch a source reads); with
 * `--batch-size 1` that is after every event, so the late events are exactly those whose window ended at least
 * max-delay + 1 ms before the greatest event time read before them.
 *
 *   npx sluice run examples/late-events.ts --batch-size 1 -- --input examples/data/events.jsonl \
 *     --output /tmp/windows.jsonl --late /tmp/late.jsonl
 */
import { parseArgs } from 'node:util';
import { defineJob, FileSink, FileSource, OutputTag, TumblingEventTimeWindows, WatermarkStrategies } from 'sluice';
import { type Event, toEvent } from './events.js';

const LATE = new OutputTag<Event>('late-events');

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      input: { type: 'string' },
      output: { type: 'string' },
      late: { type: 'string' },
      'max-delay-ms': { type: 'string' },
    },
  });
  if (!values.input || !values.output || !values.late) {
    throw new Error('usage: late-events -- --input FILE --output FILE --late FILE [--max-delay-ms N]');
  }
  const maxDelayMs = Number(values['max-delay-ms'] ?? 1_000);
  if (!(maxDelayMs >= 0)) throw new Error(`--max-delay-ms must be a number >= 0, got ${values['max-delay-ms']}`);

  const windows = env
    .fromSource(
      FileSource.jsonLines(values.input, { validate: toEvent }),
      WatermarkStrategies.forBoundedOutOfOrderness<Event>(maxDelayMs).withTimestampAssigner((e) => e.ts),
    )
    .keyBy((e) => e.user)
    .window(TumblingEventTimeWindows.of(60_000))
    .sideOutputLateData(LATE)
    .aggregate(
      {
        createAccumulator: () => ({ count: 0, sum: 0 }),
        add: (e: Event, acc) => ({ count: acc.count + 1, sum: acc.sum + e.amount }),
        getResult: (acc) => acc,
        merge: (a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum }),
      },
      {
        process: (user, ctx, [acc]) => [{ user, windowStart: ctx.window.start, count: acc.count, sum: acc.sum }],
      },
    );
  windows.sinkTo(FileSink.jsonLines(values.output));
  windows.getSideOutput(LATE).sinkTo(FileSink.jsonLines(values.late), 'late-events');
});
