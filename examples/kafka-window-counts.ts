/**
 * examples/window-counts.ts on Kafka: per user and 60 s tumbling event-time window, the number of events and the
 * sum of their amounts ({user, windowStart, windowEnd, count, sum}), events out of order by up to 5 s. Reads JSON
 * events ({user, ts, amount}) from a topic and writes the rows to another topic exactly-once (one Kafka transaction
 * per checkpoint, keyed by user): consumers with isolation.level=read_committed see each row once.
 *
 *   npx sluice run examples/kafka-window-counts.ts --checkpoint-dir /tmp/ck -- \
 *     --brokers 127.0.0.1:9092 --input-topic events --output-topic counts
 *
 * Job args:
 *   --brokers B                  bootstrap brokers (default 127.0.0.1:9092)
 *   --input-topic T              the events
 *   --output-topic T             the window rows (created with the broker's defaults if missing and allowed)
 *   --group G                    consumer group the read offsets are committed to, for monitoring
 *                                (default sluice-window-counts-<input>)
 *   --transactional-id-prefix P  the sink's transactional ids (default sluice-window-counts-<input>-<output>);
 *                                must stay the same across restarts of the job and differ from other jobs'
 *   --bounded                    read each partition up to its end offset as of the first start, then stop (the
 *                                end of input fires the remaining windows); default: run until stopped
 *   --window-ms N, --max-delay-ms N   window size and out-of-orderness bound (default 60000 and 5000; for benches)
 *
 *   --idleness-ms N              unbounded mode: a partition without records for this long stops holding back the
 *                                watermark (default 30000)
 *
 * Windows fire on the watermark, per partition the greatest event time seen - 5 s, and for the job the minimum over
 * the partitions (per-partition watermarks, so a reader owning several partitions keeps each one's events on time).
 * In unbounded mode the newest windows therefore fire only when later events arrive (60 s + 5 s of event time
 * later): stopping the job leaves them unfired, and a restart continues them; a partition without records for 30 s
 * is idle and stops holding the others back.
 *
 * Without checkpoints (no --checkpoint-dir) the sink is at-least-once. The same file runs as a cluster job on
 * Kafka: `npx sluice run examples/kafka-window-counts.ts --cluster kafka://127.0.0.1:9092 --job-id counts -- …`
 * started several times (see docs/CLUSTER.md).
 */
import { parseArgs } from 'node:util';
import {
  type DataStream,
  defineJob,
  type KeyedStream,
  type StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategies,
  type WatermarkStrategy,
} from 'sluice';
import { KafkaSink, KafkaSource } from 'sluice/kafka';
import { type Event, toEvent } from './events.js';

/** One output row. */
export interface WindowCount {
  user: string;
  windowStart: number;
  windowEnd: number;
  count: number;
  sum: number;
}

/** Parses a Kafka record value; a throw makes it a bad record (dead letter or job failure, naming the offset). */
export const eventValue = (bytes: Buffer | null): Event => {
  if (bytes === null) throw new Error('record without a value');
  return toEvent(JSON.parse(bytes.toString('utf8')));
};

/** The watermark strategy of window-counts: event time `ts`, 5 s bounded out-of-orderness. */
export function eventWatermarks(maxDelayMs = 5_000, idlenessMs?: number): WatermarkStrategy<Event> {
  const strategy = WatermarkStrategies.forBoundedOutOfOrderness<Event>(maxDelayMs).withTimestampAssigner((e) => e.ts);
  return idlenessMs === undefined ? strategy : strategy.withIdleness(idlenessMs);
}

/** The window-counts logic: keyBy(user), tumbling event-time windows, count and sum per window. */
export function windowCounts(events: DataStream<Event>, windowMs = 60_000): DataStream<WindowCount> {
  const keyed: KeyedStream<Event, string> = events.keyBy((e) => e.user);
  return keyed.window(TumblingEventTimeWindows.of(windowMs)).aggregate(
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
      process(user, ctx, [acc], out) {
        const { start, end } = ctx.window;
        out.collect({ user, windowStart: start, windowEnd: end, count: acc!.count, sum: acc!.sum });
      },
    },
  );
}

/** The exactly-once sink of the rows, keyed by user. */
export function windowCountsSink(
  brokers: string,
  topic: string,
  transactionalIdPrefix: string,
): KafkaSink<WindowCount> {
  return new KafkaSink<WindowCount>({
    brokers,
    topic,
    // A missing output topic is created with the broker's defaults, where the broker allows it.
    autoCreateTopics: true,
    key: (r) => r.user,
    delivery: 'exactly-once',
    transactionalIdPrefix,
  });
}

export const positiveNumber = (value: string | undefined, fallback: number, what: string): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${what} must be a positive number, got '${value}'`);
  return n;
};

/** Test and bench hooks: `tap` sees every event right after the source (e.g. to slow the job down). */
export interface JobHooks {
  readonly tap?: (e: Event) => void;
}

/** Builds the job from its arguments (see the file comment). */
export function buildKafkaWindowCounts(env: StreamExecutionEnvironment, args: readonly string[], hooks: JobHooks = {}) {
  const { values } = parseArgs({
    args: [...args],
    options: {
      brokers: { type: 'string', default: '127.0.0.1:9092' },
      'input-topic': { type: 'string' },
      'output-topic': { type: 'string' },
      group: { type: 'string' },
      'transactional-id-prefix': { type: 'string' },
      bounded: { type: 'boolean', default: false },
      'window-ms': { type: 'string' },
      'max-delay-ms': { type: 'string' },
      'idleness-ms': { type: 'string' },
    },
  });
  const input = values['input-topic'];
  const output = values['output-topic'];
  if (!input || !output) {
    throw new Error('usage: kafka-window-counts -- --brokers B --input-topic T --output-topic T [--bounded]');
  }
  const brokers = values.brokers;
  const bounded = values.bounded;
  const source = new KafkaSource<Event, Buffer | null, Event>({
    brokers,
    topics: input,
    value: eventValue,
    groupId: values.group ?? `sluice-window-counts-${input}`,
    ...(bounded ? { stoppingOffsets: 'latest' as const } : {}),
  });
  const maxDelay = positiveNumber(values['max-delay-ms'], 5_000, '--max-delay-ms');
  const idleness = positiveNumber(values['idleness-ms'], 30_000, '--idleness-ms');
  // The strategy runs per partition (KafkaSource has per-split watermarks), whatever Kafka timestamps were set.
  let events = env.fromSource(source, eventWatermarks(maxDelay, bounded ? undefined : idleness));
  const tap = hooks.tap;
  if (tap !== undefined) {
    events = events.map((e) => {
      tap(e);
      return e;
    });
  }
  windowCounts(events, positiveNumber(values['window-ms'], 60_000, '--window-ms')).sinkTo(
    windowCountsSink(brokers, output, values['transactional-id-prefix'] ?? `sluice-window-counts-${input}-${output}`),
  );
}

export default defineJob((env, args) => buildKafkaWindowCounts(env, args));
