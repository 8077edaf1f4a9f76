/**
 * What every Nexmark query job shares: its arguments, the event source (the seeded generator or a JSON Lines file
 * of events in the nested form), the split into persons, auctions and bids, and the JSON Lines result sink.
 *
 * Job arguments (after `--`):
 *   --events N      generate N events (default 1,000,000) with the seeded generator …
 *   --seed S        … from seed S (default 1)
 *   --rate R        … at R events/s of wall-clock time over all subtasks (default: as fast as possible)
 *   --event-rate R  … R events per second of event time (the reference's first-event rate, default 10,000)
 *   --input FILE    read events from a JSON Lines file (or directory) instead
 *   --output FILE   write result rows as JSON Lines (default: count and discard them)
 */
import { parseArgs } from 'node:util';
import {
  type Auction,
  type Bid,
  type DataStream,
  DiscardSink,
  eventTime,
  FileSink,
  FileSource,
  type NexmarkEvent,
  type NexmarkFields,
  NexmarkSource,
  nexmarkEventReader,
  type Person,
  type StreamExecutionEnvironment,
  WatermarkStrategies,
} from 'sluice';

/**
 * How far event time may run ahead of the watermark, as in the reference's table definitions. Generated events are
 * in event-time order per generator subtask, so with this bound no event is ever late.
 */
export const WATERMARK_DELAY_MS = 4_000;

export interface QueryInput {
  /** Every event, with event-time timestamps and watermarks. */
  readonly events: DataStream<NexmarkEvent>;
  readonly persons: () => DataStream<Person>;
  readonly auctions: () => DataStream<Auction>;
  readonly bids: () => DataStream<Bid>;
  /** Writes the query's result rows to `--output` (JSON Lines, columns in the reference's order) or discards them. */
  readonly emit: <R>(rows: DataStream<R>) => void;
}

/**
 * Builds the query's input from its job arguments. `fields`: what the query reads of each kind of event; from a
 * file only those are decoded (and `dateTime`, every event's time), as a job names what it reads with `fields`.
 */
export function nexmarkInput(
  env: StreamExecutionEnvironment,
  args: readonly string[],
  fields?: NexmarkFields,
): QueryInput {
  const { values } = parseArgs({
    args: [...args],
    options: {
      events: { type: 'string' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      'event-rate': { type: 'string' },
      input: { type: 'string' },
      output: { type: 'string' },
    },
  });
  const number = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name}: expected an integer >= 0, got '${text}'`);
    return n;
  };
  const strategy = WatermarkStrategies.forBoundedOutOfOrderness<NexmarkEvent>(WATERMARK_DELAY_MS);
  const events =
    values.input !== undefined
      ? env.fromSource(
          FileSource.jsonLines(values.input, nexmarkEventReader(fields)),
          strategy.withTimestampAssigner(eventTime),
          'nexmark-file',
        )
      : env.fromSource(
          new NexmarkSource({
            events: number('events', values.events, 1_000_000),
            seed: number('seed', values.seed, 1),
            ...(values.rate === undefined ? {} : { ratePerSecond: number('rate', values.rate, 0) }),
            ...(values['event-rate'] === undefined
              ? {}
              : { firstEventRate: number('event-rate', values['event-rate'], 0) }),
          }),
          strategy,
          'nexmark',
        );
  const output = values.output;
  return {
    events,
    persons: () => events.filter((e) => e.event_type === 0, 'persons').map((e) => e.person!, 'person'),
    auctions: () => events.filter((e) => e.event_type === 1, 'auctions').map((e) => e.auction!, 'auction'),
    bids: () => events.filter((e) => e.event_type === 2, 'bids').map((e) => e.bid!, 'bid'),
    emit: (rows) => {
      if (output === undefined) rows.sinkTo(new DiscardSink(), 'result');
      else rows.sinkTo(FileSink.jsonLines(output), 'result');
    },
  };
}

/** 0.908 × a dollar price as the reference's DECIMAL(23, 3): exact thousandths, printed without float noise. */
export function toEuros(price: number): number {
  return (price * 908) / 1000;
}

const DAY_MS = 86_400_000;
let cachedDay = Number.NaN;
let cachedDayText = '';

/** DATE_FORMAT(dateTime, 'yyyy-MM-dd') in UTC. */
export function dayOf(dateTime: number): string {
  const day = Math.floor(dateTime / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayText = new Date(day * DAY_MS).toISOString().slice(0, 10);
  }
  return cachedDayText;
}

/** DATE_FORMAT(dateTime, 'HH:mm') in UTC. */
export function hourMinuteOf(dateTime: number): string {
  const minutes = Math.floor((dateTime - Math.floor(dateTime / DAY_MS) * DAY_MS) / 60_000);
  const hh = Math.floor(minutes / 60);
  const mm = minutes % 60;
  return `${hh < 10 ? '0' : ''}${hh}:${mm < 10 ? '0' : ''}${mm}`;
}

/** The start of the tumbling window of `size` containing `t` (windows aligned to the epoch). */
export function windowStart(t: number, size: number): number {
  return t - (((t % size) + size) % size);
}
