import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nexmarkEventReader, toNexmarkEvent } from '../src/connectors/nexmark/event-validation.js';

const bid = { auction: 1, bidder: 2, price: 3, channel: 'c', url: 'u', dateTime: 4, extra: 'x' };
const person = { id: 1, name: 'n', emailAddress: 'e', creditCard: 'c', city: 'c', state: 's', dateTime: 5, extra: '' };

test('toNexmarkEvent: a valid event comes back with the same fields and a fixed shape', () => {
  const e = toNexmarkEvent({ event_type: 2, person: null, auction: null, bid: { ...bid } });
  assert.deepEqual(e, { event_type: 2, person: null, auction: null, bid });
  assert.deepEqual(Object.keys(e), ['event_type', 'person', 'auction', 'bid']);
  // Missing (undefined) other kinds are accepted, as from a projection of a line that lacks them.
  assert.deepEqual(toNexmarkEvent({ event_type: 0, person: { ...person } }), {
    event_type: 0,
    person,
    auction: null,
    bid: null,
  });
  const withText = toNexmarkEvent({ event_type: 2, bid: { ...bid, dateTime: '2015-07-15 00:00:00.000' } });
  assert.equal(withText.bid?.dateTime, Date.UTC(2015, 6, 15));
});

test('toNexmarkEvent: the first offending field is named', () => {
  const bad = (value: unknown, message: RegExp) => assert.throws(() => toNexmarkEvent(value), message);
  bad(null, /^Error: expected a JSON object$/);
  bad({ event_type: 3 }, /^Error: event_type: expected 0 \(person\), 1 \(auction\) or 2 \(bid\), got 3$/);
  bad({ event_type: 2, bid: null }, /^Error: bid: expected an object for event_type 2$/);
  bad({ event_type: 2, bid: { ...bid, price: '12' } }, /^Error: bid.price: expected a number, got "12"$/);
  bad({ event_type: 2, bid: { ...bid, price: Number.NaN } }, /^Error: bid.price: expected a number, got null$/);
  bad({ event_type: 2, bid: { ...bid, extra: undefined } }, /^Error: bid.extra: expected a string, got nothing$/);
  bad({ event_type: 2, bid: { ...bid, dateTime: 'soon' } }, /^Error: bid.dateTime: expected epoch milliseconds/);
  bad({ event_type: 2, bid, auction: {}, person: {} }, /^Error: person: expected null for event_type 2$/);
  bad({ event_type: 0, person, bid }, /^Error: bid: expected null for event_type 0$/);
});

test('nexmarkEventReader: decodes and checks the named fields and dateTime, nothing else', () => {
  const reader = nexmarkEventReader({ bid: ['auction', 'price'], person: ['name'] });
  assert.deepEqual(reader.fields, {
    event_type: true,
    person: { name: true, dateTime: true },
    auction: { dateTime: true },
    bid: { auction: true, price: true, dateTime: true },
  });
  // What the projection leaves out is not there to check.
  const e = reader.validate({ event_type: 2, bid: { auction: 1, price: 3, dateTime: 4 } });
  assert.deepEqual(e, { event_type: 2, person: null, auction: null, bid: { auction: 1, price: 3, dateTime: 4 } });
  assert.deepEqual(reader.validate({ event_type: 1, auction: { dateTime: 9 } }).auction, { dateTime: 9 });
  assert.throws(
    () => reader.validate({ event_type: 2, bid: { auction: 1, dateTime: 4 } }),
    /^Error: bid.price: expected a number, got nothing$/,
  );
  assert.throws(
    () => reader.validate({ event_type: 0, person: { name: 'n' } }),
    /^Error: person.dateTime: expected a number/,
  );
  // Without fields: every field, as toNexmarkEvent.
  const all = nexmarkEventReader();
  assert.deepEqual(Object.keys((all.fields as Record<string, object>).bid!), Object.keys(bid));
  assert.throws(() => all.validate({ event_type: 2, bid: { auction: 1, price: 3, dateTime: 4 } }), /bid.bidder/);
  assert.throws(() => nexmarkEventReader({ bid: ['prize' as 'price'] }), /bid has no field 'prize'/);
  assert.throws(() => nexmarkEventReader({ bids: ['price'] } as never), /no kind of event 'bids'/);
});
