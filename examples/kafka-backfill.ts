/**
 * Backfill: the window counts of examples/window-counts.ts over history from files and then, continuing exactly
 * where the history ends, live events from Kafka — one source (HybridSource), so windows that span the switch
 * simply go on.
 *
 *   npx sluice run examples/kafka-backfill.ts --checkpoint-dir /tmp/ck -- --history archive/ \
 *     --brokers 127.0.0.1:9092 --input-topic events --output-topic counts
 *
 * Job args:
 *   --history PATH               JSON Lines events ({user, ts, amount}): a file, or a directory of files
 *   --brokers B                  bootstrap brokers (default 127.0.0.1:9092)
 *   --input-topic T              the live events; their Kafka timestamps must be their event times (`ts`)
 *   --output-topic T             the window rows, written exactly-once (one transaction per checkpoint) ...
 *   --output PATH                ... or to JSON Lines files instead (a directory of part files with checkpoints)
 *   --start-offsets P:O,...      start Kafka at these offsets (partition:offset; other partitions at their earliest
 *                                offset) instead of after the history's greatest timestamp (the default, see below)
 *   --after-timestamp T          start Kafka after this event time instead of the history's greatest timestamp
 *   --group G                    consumer group for monitoring commits (default sluice-backfill-<input>)
 *   --transactional-id-prefix P  default sluice-backfill-<input>-<output>
 *   --bounded                    read Kafka up to its end offsets as of the switch, then stop
 *
 * Where Kafka starts by default: T = the greatest `ts` in the history; every partition starts at its first record
 * with a timestamp > T. That continues the history with no gap and no duplicate when the history holds, of every
 * partition, exactly the records before that record: e.g. an archive of the topic cut at a point in time (see
 * HybridSource and docs/KAFKA.md). As in kafka-window-counts, in unbounded mode the newest windows fire only when
 * later events arrive.
 */
import { parseArgs } from 'node:util';
import { defineJob, FileSink, FileSource, type StreamExecutionEnvironment } from 'sluice';
import { type HybridKafkaStart, HybridSource } from 'sluice/kafka';
import { type Event, toEvent } from './events.js';
import {
  eventValue,
  eventWatermarks,
  type JobHooks,
  positiveNumber,
  windowCounts,
  windowCountsSink,
} from './kafka-window-counts.js';

function parseOffsets(topic: string, text: string): HybridKafkaStart {
  const offsets = text.split(',').map((pair) => {
    const m = /^\s*(\d+):(\d+)\s*$/.exec(pair);
    if (m === null) throw new Error(`--start-offsets: expected partition:offset, got '${pair}'`);
    return { topic, partition: Number(m[1]), offset: BigInt(m[2]!) };
  });
  return { offsets };
}

/** Builds the job from its arguments (see the file comment). */
export function buildKafkaBackfill(env: StreamExecutionEnvironment, args: readonly string[], hooks: JobHooks = {}) {
  const { values } = parseArgs({
    args: [...args],
    options: {
      history: { type: 'string' },
      brokers: { type: 'string', default: '127.0.0.1:9092' },
      'input-topic': { type: 'string' },
      'output-topic': { type: 'string' },
      output: { type: 'string' },
      'start-offsets': { type: 'string' },
      'after-timestamp': { type: 'string' },
      group: { type: 'string' },
      'transactional-id-prefix': { type: 'string' },
      bounded: { type: 'boolean', default: false },
    },
  });
  const input = values['input-topic'];
  const outputTopic = values['output-topic'];
  if (!values.history || !input || (outputTopic === undefined) === (values.output === undefined)) {
    throw new Error(
      'usage: kafka-backfill -- --history PATH --brokers B --input-topic T (--output-topic T | --output PATH) [--bounded]',
    );
  }
  const brokers = values.brokers;
  const bounded = values.bounded;
  let start: HybridKafkaStart = 'after-history';
  if (values['start-offsets'] !== undefined) start = parseOffsets(input, values['start-offsets']);
  else if (values['after-timestamp'] !== undefined) {
    start = { afterTimestamp: positiveNumber(values['after-timestamp'], 0, '--after-timestamp') };
  }
  const source = new HybridSource<Event, Buffer | null, Event>({
    history: FileSource.jsonLines(values.history, { validate: toEvent }),
    historyTimestamp: (e) => e.ts,
    kafka: {
      brokers,
      topics: input,
      value: eventValue,
      groupId: values.group ?? `sluice-backfill-${input}`,
      ...(bounded ? { stoppingOffsets: 'latest' as const } : {}),
    },
    start,
    alignPartitions: { eventTime: (e) => e.ts },
    onSwitch: ({ subtaskIndex, cutTimestamp, restored }) =>
      process.stderr.write(
        `kafka-backfill: reader ${subtaskIndex} switched to Kafka${restored ? ' (restored positions)' : ''}` +
          `${cutTimestamp === undefined ? '' : ` after timestamp ${cutTimestamp}`}\n`,
      ),
  });
  let events = env.fromSource(source, eventWatermarks(5_000, bounded ? undefined : 30_000));
  const tap = hooks.tap;
  if (tap !== undefined) {
    events = events.map((e) => {
      tap(e);
      return e;
    });
  }
  const rows = windowCounts(events);
  if (outputTopic !== undefined) {
    rows.sinkTo(
      windowCountsSink(
        brokers,
        outputTopic,
        values['transactional-id-prefix'] ?? `sluice-backfill-${input}-${outputTopic}`,
      ),
    );
  } else {
    rows.sinkTo(FileSink.jsonLines(values.output!));
  }
}

export default defineJob((env, args) => buildKafkaBackfill(env, args));
