import type { GeneratorContext } from './context.js';
import { FIRST_PERSON_ID, type NexmarkConfig, PERSON_ID_LEAD } from './generator-config.js';
import type { Person } from './model.js';
import type { EventRandom } from './seeded-random.js';

/** Few states and cities, so that the example queries find results on small data sets (reference lists). */
export const US_STATES: readonly string[] = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
export const US_CITIES: readonly string[] = [
  'Phoenix',
  'Los Angeles',
  'San Francisco',
  'Boise',
  'Portland',
  'Bend',
  'Redmond',
  'Seattle',
  'Kent',
  'Cheyenne',
];
export const FIRST_NAMES: readonly string[] = [
  'Peter',
  'Paul',
  'Luke',
  'John',
  'Saul',
  'Vicky',
  'Kate',
  'Julie',
  'Sarah',
  'Deiter',
  'Walter',
];
export const LAST_NAMES: readonly string[] = [
  'Shultz',
  'Abrams',
  'Spencer',
  'White',
  'Bartels',
  'Walton',
  'Smith',
  'Jones',
  'Noris',
];

/** "First Last" for every pair, so a name costs no concatenation. */
const FULL_NAMES: readonly string[] = FIRST_NAMES.flatMap((f) => LAST_NAMES.map((l) => `${f} ${l}`));
/** 0000 … 9999: the four-digit groups of credit card numbers. */
const DIGITS4: readonly string[] = Array.from({ length: 10000 }, (_, i) => String(i).padStart(4, '0'));

/**
 * The last person id generated (base 0, without FIRST_PERSON_ID) at event id `eventId`: the current person's id if
 * the event is a person.
 */
export function lastBase0PersonId(config: NexmarkConfig, totalProportion: number, eventId: number): number {
  const epoch = Math.floor(eventId / totalProportion);
  let offset = eventId - epoch * totalProportion;
  if (offset >= config.personProportion) offset = config.personProportion - 1;
  return epoch * config.personProportion + offset;
}

/**
 * A random person id (base 0) among the last `numActivePeople` persons plus PERSON_ID_LEAD not generated yet (so
 * bids and auctions may come before their person, as if reordered in time).
 */
export function nextBase0PersonId(ctx: GeneratorContext, eventId: number): number {
  const numPeople = lastBase0PersonId(ctx.config, ctx.totalProportion, eventId) + 1;
  const active = Math.min(numPeople, ctx.config.numActivePeople);
  return numPeople - active + ctx.rnd.long(active + PERSON_ID_LEAD);
}

/** The person of event id `eventId` at event time `timestamp` (reference `PersonGenerator.nextPerson`). */
export function nextPerson(ctx: GeneratorContext, eventId: number, timestamp: number): Person {
  const rnd: EventRandom = ctx.rnd;
  const id = lastBase0PersonId(ctx.config, ctx.totalProportion, eventId) + FIRST_PERSON_ID;
  const first = rnd.int(FIRST_NAMES.length);
  const name = FULL_NAMES[first * LAST_NAMES.length + rnd.int(LAST_NAMES.length)]!;
  const emailAddress = `${ctx.strings.nextString(rnd, 7)}@${ctx.strings.nextString(rnd, 5)}.com`;
  const creditCard = `${DIGITS4[rnd.int(10000)]} ${DIGITS4[rnd.int(10000)]} ${DIGITS4[rnd.int(10000)]} ${DIGITS4[rnd.int(10000)]}`;
  const city = US_CITIES[rnd.int(US_CITIES.length)]!;
  const state = US_STATES[rnd.int(US_STATES.length)]!;
  const currentSize = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
  const extra = ctx.strings.nextExtra(rnd, currentSize, ctx.config.avgPersonByteSize);
  return { id, name, emailAddress, creditCard, city, state, dateTime: timestamp, extra };
}
