import type { JsonProjection } from '../formats/json-projection.js';
import { AUCTION, BID, type NexmarkEvent, PERSON } from './model.js';

const PERSON_FIELDS = {
  id: 'number',
  name: 'string',
  emailAddress: 'string',
  creditCard: 'string',
  city: 'string',
  state: 'string',
  dateTime: 'number',
  extra: 'string',
} as const;
const AUCTION_FIELDS = {
  id: 'number',
  itemName: 'string',
  description: 'string',
  initialBid: 'number',
  reserve: 'number',
  dateTime: 'number',
  expires: 'number',
  seller: 'number',
  category: 'number',
  extra: 'string',
} as const;
const BID_FIELDS = {
  auction: 'number',
  bidder: 'number',
  price: 'number',
  channel: 'string',
  url: 'string',
  dateTime: 'number',
  extra: 'string',
} as const;

const KINDS = [
  ['person', PERSON_FIELDS],
  ['auction', AUCTION_FIELDS],
  ['bid', BID_FIELDS],
] as const;
/** What a reader checks of one kind of event: [field, expected typeof] pairs, in the field table's order. */
type Checks = readonly (readonly [string, 'number' | 'string'])[];

/**
 * The fields of each kind of event a job reads, for {@link nexmarkEventReader}: a kind listed gets those fields, a
 * kind left out none, and every kind its `dateTime` (the event's time).
 */
export interface NexmarkFields {
  readonly person?: readonly (keyof typeof PERSON_FIELDS)[];
  readonly auction?: readonly (keyof typeof AUCTION_FIELDS)[];
  readonly bid?: readonly (keyof typeof BID_FIELDS)[];
}

/** How to read Nexmark events from JSON: the projection to decode and the check that makes each an event. */
export interface NexmarkEventReader {
  /** For `FileSource.jsonLines(path, { fields })` or `KafkaSource`'s `fields`: decode these and nothing else. */
  readonly fields: JsonProjection;
  /** For `validate`: checks the decoded value and returns it as an event (see {@link toNexmarkEvent}). */
  readonly validate: (value: unknown) => NexmarkEvent;
}

/**
 * A reader of Nexmark events in the nested JSON form that decodes and checks only `fields` (every field when
 * undefined). The events it returns have the other fields undefined: a job reading more than it named gets
 * undefined, so name what the job reads. Decoding a third of a bid's fields costs about half as much.
 */
export function nexmarkEventReader(fields?: NexmarkFields): NexmarkEventReader {
  // A misspelt kind would silently read none of its fields (a JavaScript caller has no type check).
  for (const kind of Object.keys(fields ?? {})) {
    if (!KINDS.some(([name]) => name === kind)) {
      throw new Error(`nexmarkEventReader: no kind of event '${kind}' (kinds: person, auction, bid)`);
    }
  }
  const checks: Checks[] = KINDS.map(([name, table]) => {
    const all = Object.entries(table) as [string, 'number' | 'string'][];
    if (fields === undefined) return all;
    const wanted = new Set<string>([...(fields[name] ?? []), 'dateTime']);
    for (const f of wanted) {
      if (!(f in table))
        throw new Error(`nexmarkEventReader: ${name} has no field '${f}' (fields: ${Object.keys(table).join(', ')})`);
    }
    return all.filter(([f]) => wanted.has(f));
  });
  const projection: JsonProjection = {
    event_type: true,
    ...Object.fromEntries(KINDS.map(([name], i) => [name, Object.fromEntries(checks[i]!.map(([f]) => [f, true]))])),
  };
  return { fields: projection, validate: (value) => validate(value, checks) };
}

const ALL_FIELDS = nexmarkEventReader();

/**
 * Checks that a parsed JSON value is a Nexmark event in the nested form (see {@link NexmarkEvent}) and returns it.
 * `dateTime` and `expires` may also be ISO-8601 strings (as other systems write them); they become epoch ms.
 * @throws Error naming the first offending field, e.g. `bid.price: expected a number, got "12"`.
 */
export function toNexmarkEvent(value: unknown): NexmarkEvent {
  return ALL_FIELDS.validate(value);
}

function validate(value: unknown, checks: readonly Checks[]): NexmarkEvent {
  if (typeof value !== 'object' || value === null) throw new Error('expected a JSON object');
  const e = value as Record<string, unknown>;
  const type = e.event_type;
  if (type !== PERSON && type !== AUCTION && type !== BID) {
    throw new Error(`event_type: expected 0 (person), 1 (auction) or 2 (bid), got ${JSON.stringify(type)}`);
  }
  const name = KINDS[type][0];
  const body = e[name];
  if (typeof body !== 'object' || body === null) throw new Error(`${name}: expected an object for event_type ${type}`);
  const record = body as Record<string, unknown>;
  for (const [field, kind] of checks[type]!) {
    let v = record[field];
    if (typeof v === kind && (kind !== 'number' || Number.isFinite(v))) continue;
    if (kind === 'number' && (field === 'dateTime' || field === 'expires') && typeof v === 'string') {
      v = record[field] = parseTime(v, `${name}.${field}`);
      if (Number.isFinite(v)) continue;
    }
    throw new Error(`${name}.${field}: expected a ${kind}, got ${JSON.stringify(v) ?? 'nothing'}`);
  }
  if (
    (type !== PERSON && e.person !== null && e.person !== undefined) ||
    (type !== AUCTION && e.auction !== null && e.auction !== undefined) ||
    (type !== BID && e.bid !== null && e.bid !== undefined)
  ) {
    const other = KINDS.find(([k], i) => i !== type && e[k] !== null && e[k] !== undefined)![0];
    throw new Error(`${other}: expected null for event_type ${type}`);
  }
  // One object literal per kind, so that every event has the same shape.
  const event =
    type === PERSON
      ? { event_type: type, person: record, auction: null, bid: null }
      : type === AUCTION
        ? { event_type: type, person: null, auction: record, bid: null }
        : { event_type: type, person: null, auction: null, bid: record };
  return event as unknown as NexmarkEvent;
}

function parseTime(text: string, field: string): number {
  // "2015-07-15 00:00:00.000" (SQL style, UTC) or ISO-8601.
  const t = Date.parse(/^\d{4}-\d\d-\d\d \d/.test(text) ? `${text.replace(' ', 'T')}Z` : text);
  if (!Number.isFinite(t)) throw new Error(`${field}: expected epoch milliseconds or a date-time, got "${text}"`);
  return t;
}
