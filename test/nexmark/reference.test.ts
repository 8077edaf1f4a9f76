/**
 * Hand-computed cases for the brute-force Nexmark reference (test/nexmark/reference.ts): every query on a handful of
 * hand-made events, including window boundaries, ties and the edge cases pinned in bench/nexmark/QUERIES.md.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AUCTION,
  type Auction,
  BID,
  type Bid,
  type NexmarkEvent,
  PERSON,
  type Person,
} from '../../src/connectors/nexmark/model.js';
import {
  canonicalRows,
  countChar,
  extractChannelId,
  q12BidsPerBidder,
  q12Shape,
  type Row,
  referenceQueries,
  splitIndex,
  truncDiv,
} from './reference.js';

/** 2024-01-01T00:00:00.000Z: a multiple of 10 000, so 10 s windows start at T0 + k * 10 000. */
const T0 = Date.UTC(2024, 0, 1);
const SEC = 1_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const URL = 'https://www.nexmark.com/abc/def/ghi/item.htm?query=1';

function person(id: number, dateTime: number, over: Partial<Person> = {}): NexmarkEvent {
  const p: Person = {
    id,
    name: `person${id}`,
    emailAddress: `p${id}@example.com`,
    creditCard: '1234 5678 9012 3456',
    city: 'Portland',
    state: 'OR',
    dateTime,
    extra: '',
    ...over,
  };
  return { event_type: PERSON, person: p, auction: null, bid: null };
}

function auction(id: number, seller: number, category: number, dateTime: number, expires: number): NexmarkEvent {
  const a: Auction = {
    id,
    itemName: `item${id}`,
    description: `desc${id}`,
    initialBid: 100,
    reserve: 200,
    dateTime,
    expires,
    seller,
    category,
    extra: `ax${id}`,
  };
  return { event_type: AUCTION, person: null, auction: a, bid: null };
}

function bid(
  auctionId: number,
  bidder: number,
  price: number,
  dateTime: number,
  over: Partial<Bid> = {},
): NexmarkEvent {
  const b: Bid = { auction: auctionId, bidder, price, channel: 'Google', url: URL, dateTime, extra: '', ...over };
  return { event_type: BID, person: null, auction: null, bid: b };
}

function run(query: string, events: readonly NexmarkEvent[]): Row[] {
  const fn = referenceQueries[query];
  assert.ok(fn, `no reference for ${query}`);
  return fn(events);
}

/** Asserts the query's rows equal the expected rows as a multiset (column order included). */
function assertRows(query: string, events: readonly NexmarkEvent[], expected: readonly Row[]): void {
  assert.deepEqual(canonicalRows(run(query, events)), canonicalRows(expected));
}

/** The columns of every row, in order. */
function columnsOf(rows: readonly Row[]): string[][] {
  return rows.map((r) => Object.keys(r));
}

// ---------------------------------------------------------------------------------------------------------------
describe('helpers', () => {
  test('canonicalRows sorts, keeps key order, rounds doubles to 6 places', () => {
    assert.deepEqual(canonicalRows([{ b: 2, a: 1 }, { a: 0.1 + 0.2 }]), ['{"a":0.3}', '{"b":2,"a":1}']);
    assert.deepEqual(canonicalRows([{ x: 0.908 * 1234567 }]), canonicalRows([{ x: (1234567 * 908) / 1000 }]));
    assert.deepEqual(canonicalRows([{ x: 1.0000004 }]), ['{"x":1}']);
    assert.deepEqual(canonicalRows([{ x: -0 }, { x: null }, { x: undefined }]), [
      '{"x":0}',
      '{"x":null}',
      '{"x":null}',
    ]);
    assert.notDeepEqual(canonicalRows([{ a: 1, b: 2 }]), canonicalRows([{ b: 2, a: 1 }]));
  });

  test('truncDiv truncates toward zero', () => {
    assert.equal(truncDiv(7, 2), 3);
    assert.equal(truncDiv(2020201, 4), 505050);
    assert.equal(truncDiv(-7, 2), -3);
    assert.equal(truncDiv(6, 3), 2);
  });

  test('splitIndex keeps empty tokens and returns null past the end', () => {
    assert.equal(splitIndex('a//b', '/', 1), '');
    assert.equal(splitIndex('a/b/', '/', 2), '');
    assert.equal(splitIndex('/a', '/', 0), '');
    assert.equal(splitIndex('a/b', '/', 2), null);
    assert.equal(splitIndex('', '/', 0), null); // the empty string has no tokens
    assert.equal(splitIndex('abc', '/', 0), 'abc');
    assert.equal(splitIndex('abc', '/', -1), null);
    assert.equal(splitIndex(null, '/', 0), null);
  });

  test('extractChannelId: first match, after & or at the start, empty value kept', () => {
    assert.equal(extractChannelId('x?query=1&channel_id=42'), '42');
    assert.equal(extractChannelId('channel_id=7&a=1'), '7');
    assert.equal(extractChannelId('x?xchannel_id=5'), null);
    assert.equal(extractChannelId('x?q=1&channel_id='), '');
    assert.equal(extractChannelId('x&channel_id=1&channel_id=2'), '1');
    assert.equal(extractChannelId('x?channel_id=3'), null);
  });

  test('countChar counts bytes of the character, case-sensitively', () => {
    assert.equal(countChar('abcCc', 'c'), 2);
    assert.equal(countChar('çc', 'c'), 1);
    assert.equal(countChar('', 'c'), 0);
    assert.equal(countChar(null, 'c'), 0);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('stateless queries', () => {
  const events = [
    person(1, T0),
    bid(1000, 1, 1000, T0 + 1, { extra: 'e1' }),
    auction(1000, 1, 10, T0 + 2, T0 + 10_000),
    bid(1230, 2, 1, T0 + 3, { extra: 'e2' }),
    bid(246, 3, 1234567, T0 + 4),
    bid(0, 4, 77, T0 + 5),
  ];

  test('q0 projects bids only', () => {
    const rows = run('q0', events);
    assert.deepEqual(rows[0], { auction: 1000, bidder: 1, price: 1000, dateTime: T0 + 1, extra: 'e1' });
    assert.equal(rows.length, 4);
    assert.deepEqual(columnsOf(rows)[0], ['auction', 'bidder', 'price', 'dateTime', 'extra']);
  });

  test('q1 converts the price as an exact decimal price * 908 / 1000', () => {
    const prices = run('q1', events).map((r) => r['price']);
    assert.deepEqual(prices, [908, 0.908, 1120986.836, 69.916]);
    assert.deepEqual(columnsOf(run('q1', events))[0], ['auction', 'bidder', 'price', 'dateTime', 'extra']);
  });

  test('q2 keeps auctions divisible by 123', () => {
    assertRows('q2', events, [
      { auction: 1230, price: 1 },
      { auction: 246, price: 1234567 },
      { auction: 0, price: 77 },
    ]);
  });

  test('q14: 1e6 < 0.908 * price < 5e7 (exclusive), UTC hour classes, count of c', () => {
    const evs = [
      bid(1, 1, 1101321, T0), // 999999.468: out
      bid(1, 1, 1101322, T0, { extra: 'abcCc' }), // 1000000.376: in
      bid(1, 1, 55066079, T0 + 6 * HOUR + 59 * 60 * SEC), // 49999999.732: in
      bid(1, 1, 55066080, T0), // 50000000.64: out
      bid(2, 1, 2000000, T0 + 7 * HOUR),
      bid(2, 1, 2000000, T0 + 8 * HOUR),
      bid(2, 1, 2000000, T0 + 18 * HOUR + 59 * 60 * SEC),
      bid(2, 1, 2000000, T0 + 19 * HOUR),
      bid(2, 1, 2000000, T0 + 20 * HOUR),
    ];
    const row = (auctionId: number, price: number, bidTimeType: string, dateTime: number, extra = '', c = 0) => ({
      auction: auctionId,
      bidder: 1,
      price,
      bidTimeType,
      dateTime,
      extra,
      c_counts: c,
    });
    assertRows('q14', evs, [
      row(1, 1000000.376, 'nightTime', T0, 'abcCc', 2),
      row(1, 49999999.732, 'nightTime', T0 + 6 * HOUR + 59 * 60 * SEC),
      row(2, 1816000, 'otherTime', T0 + 7 * HOUR),
      row(2, 1816000, 'dayTime', T0 + 8 * HOUR),
      row(2, 1816000, 'dayTime', T0 + 18 * HOUR + 59 * 60 * SEC),
      row(2, 1816000, 'otherTime', T0 + 19 * HOUR),
      row(2, 1816000, 'nightTime', T0 + 20 * HOUR),
    ]);
  });

  test('q21: hot channels case-insensitively, else channel_id from the url, else dropped', () => {
    const base = 'https://www.nexmark.com/a/b/c/item.htm?query=1';
    const evs = [
      bid(1, 1, 10, T0, { channel: 'Apple' }),
      bid(1, 2, 10, T0, { channel: 'GOOGLE' }),
      bid(1, 3, 10, T0, { channel: 'facebook' }),
      bid(1, 4, 10, T0, { channel: 'Baidu', url: `${base}&channel_id=77` }), // the hot channel wins
      bid(1, 5, 10, T0, { channel: 'channel-5', url: `${base}&channel_id=12345` }),
      bid(1, 6, 10, T0, { channel: 'channel-6', url: base }), // dropped
      bid(1, 7, 10, T0, { channel: 'channel-7', url: 'channel_id=9&x=1' }),
      bid(1, 8, 10, T0, { channel: 'channel-8', url: 'https://x/?xchannel_id=5' }), // dropped: no & or ^ before
      bid(1, 9, 10, T0, { channel: 'channel-9', url: `${base}&channel_id=` }), // '' is not null
      bid(1, 10, 10, T0, { channel: 'channel-10', url: `${base}&channel_id=1&channel_id=2` }),
    ];
    const row = (bidder: number, channel: string, channel_id: string) => ({
      auction: 1,
      bidder,
      price: 10,
      channel,
      channel_id,
    });
    assertRows('q21', evs, [
      row(1, 'Apple', '0'),
      row(2, 'GOOGLE', '1'),
      row(3, 'facebook', '2'),
      row(4, 'Baidu', '3'),
      row(5, 'channel-5', '12345'),
      row(7, 'channel-7', '9'),
      row(9, 'channel-9', ''),
      row(10, 'channel-10', '1'),
    ]);
  });

  test('q22: tokens 3..5 of the url split on /, null past the end', () => {
    const evs = [
      bid(1, 1, 10, T0, { url: URL }),
      bid(1, 2, 10, T0, { url: 'https://www.nexmark.com/abc' }),
      bid(1, 3, 10, T0, { url: 'https://x//' }),
      bid(1, 4, 10, T0, { url: '' }),
      bid(1, 5, 10, T0, { url: 'a/b' }),
    ];
    const row = (bidder: number, dir1: string | null, dir2: string | null, dir3: string | null) => ({
      auction: 1,
      bidder,
      price: 10,
      channel: 'Google',
      dir1,
      dir2,
      dir3,
    });
    assertRows('q22', evs, [
      row(1, 'abc', 'def', 'ghi'),
      row(2, 'abc', null, null),
      row(3, '', '', null),
      row(4, null, null, null),
      row(5, null, null, null),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('joins', () => {
  test('q3: category 10 auctions of sellers in OR, ID, CA, in either arrival order', () => {
    const evs = [
      person(1, T0, { name: 'ann', city: 'Salem', state: 'OR' }),
      person(2, T0, { state: 'WA' }),
      person(5, T0, { name: 'eve', city: 'Boise', state: 'or' }), // case-sensitive: no match
      auction(11, 1, 10, T0 + 1, T0 + 100),
      auction(12, 2, 10, T0 + 1, T0 + 100), // WA
      auction(13, 3, 9, T0 + 1, T0 + 100), // category 9
      auction(14, 3, 10, T0 + 2, T0 + 100), // before its seller arrives: still joins
      auction(15, 99, 10, T0 + 2, T0 + 100), // no such person
      auction(16, 5, 10, T0 + 2, T0 + 100),
      person(3, T0 + 3, { name: 'cy', city: 'Fresno', state: 'CA' }),
      auction(17, 1, 10, T0 + 4, T0 + 100),
    ];
    assertRows('q3', evs, [
      { name: 'ann', city: 'Salem', state: 'OR', id: 11 },
      { name: 'cy', city: 'Fresno', state: 'CA', id: 14 },
      { name: 'ann', city: 'Salem', state: 'OR', id: 17 },
    ]);
  });

  test('q4: average (truncated) of each auction winning in-time bid, per category', () => {
    const evs = [
      auction(1, 1, 10, T0, T0 + 10_000),
      auction(2, 1, 10, T0, T0 + 10_000),
      auction(3, 1, 10, T0, T0 + 10_000), // no bids: not counted
      auction(4, 1, 20, T0, T0 + 10_000),
      auction(5, 1, 20, T0, T0 + 10_000),
      auction(6, 1, 30, T0 + 1_000, T0 + 2_000),
      bid(1, 9, 100, T0 + 1),
      bid(1, 9, 300, T0 + 2),
      bid(1, 9, 500, T0 + 10_000), // exactly at expires: in
      bid(1, 9, 900, T0 + 10_001), // after expires: out
      bid(2, 9, 201, T0 + 5),
      bid(4, 9, 7, T0 + 5),
      bid(5, 9, 8, T0 + 5),
      bid(6, 9, 1_000, T0 + 999), // before the auction opens: out
      bid(6, 9, 5, T0 + 1_000), // exactly at the auction's dateTime: in
      bid(7, 9, 1_000, T0 + 5), // no such auction
    ];
    assertRows('q4', evs, [
      { id: 10, final: 350 }, // (500 + 201) / 2 = 350.5
      { id: 20, final: 7 }, // (7 + 8) / 2 = 7.5
      { id: 30, final: 5 },
    ]);
  });

  test('q9: highest price, then earliest time, BETWEEN inclusive, first arrival on a full tie', () => {
    const evs = [
      auction(1, 1, 10, T0, T0 + 10_000),
      auction(2, 1, 11, T0, T0 + 5_000),
      auction(3, 1, 12, T0, T0 + 5_000), // no bids: no row
      auction(4, 1, 13, T0, T0 + 5_000),
      bid(1, 21, 100, T0 + 1_000),
      bid(1, 22, 300, T0 + 2_000, { extra: 'late-arrival-later-time' }),
      bid(1, 23, 300, T0 + 1_500, { extra: 'winner' }), // same price, earlier time, arrives later
      bid(1, 24, 900, T0 + 10_001), // after expires
      bid(2, 25, 200, T0 + 100),
      bid(2, 26, 400, T0 + 5_000, { extra: 'at-expires' }), // exactly at expires: wins
      bid(2, 27, 1_000, T0 - 1), // before the auction: out
      bid(4, 7, 50, T0 + 100, { extra: 'first' }),
      bid(4, 8, 50, T0 + 100, { extra: 'second' }),
    ];
    const row = (
      a: number,
      category: number,
      expires: number,
      bidder: number,
      price: number,
      t: number,
      extra: string,
    ) => ({
      id: a,
      itemName: `item${a}`,
      description: `desc${a}`,
      initialBid: 100,
      reserve: 200,
      dateTime: T0,
      expires,
      seller: 1,
      category,
      extra: `ax${a}`,
      auction: a,
      bidder,
      price,
      bid_dateTime: t,
      bid_extra: extra,
    });
    assertRows('q9', evs, [
      row(1, 10, T0 + 10_000, 23, 300, T0 + 1_500, 'winner'),
      row(2, 11, T0 + 5_000, 26, 400, T0 + 5_000, 'at-expires'),
      row(4, 13, T0 + 5_000, 7, 50, T0 + 100, 'first'),
    ]);
  });

  test('q20: bids joined with category 10 auctions, no time condition', () => {
    const evs = [
      bid(1, 5, 10, T0 - 5, { extra: 'early' }), // before its auction: still joins
      auction(1, 3, 10, T0, T0 + 100),
      auction(2, 3, 11, T0, T0 + 100),
      bid(1, 6, 20, T0 + 500, { channel: 'Apple', url: 'u' }), // after expires: still joins
      bid(2, 7, 30, T0 + 1),
      bid(9, 8, 40, T0 + 1),
    ];
    const row = (bidder: number, price: number, channel: string, url: string, t: number, extra: string) => ({
      auction: 1,
      bidder,
      price,
      channel,
      url,
      bid_dateTime: t,
      bid_extra: extra,
      itemName: 'item1',
      description: 'desc1',
      initialBid: 100,
      reserve: 200,
      auction_dateTime: T0,
      expires: T0 + 100,
      seller: 3,
      category: 10,
      auction_extra: 'ax1',
    });
    assertRows('q20', evs, [row(5, 10, 'Google', URL, T0 - 5, 'early'), row(6, 20, 'Apple', 'u', T0 + 500, '')]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('windows', () => {
  test('q5: per hopping window (10 s, slide 2 s), every auction with the top count', () => {
    const evs = [
      bid(1, 1, 10, T0), // windows starting T0-8s..T0
      bid(2, 1, 10, T0 + 2_000), // T0-6s..T0+2s
      bid(2, 1, 10, T0 + 9_999), // T0..T0+8s
      bid(1, 1, 10, T0 + 10_000), // T0+2s..T0+10s: NOT in the window [T0, T0+10s)
    ];
    // T0-8s: {1:1}; T0-6s, -4s, -2s: {1:1, 2:1}; T0: {1:1, 2:2}; T0+2s: {2:2, 1:1};
    // T0+4s, 6s, 8s: {2:1, 1:1}; T0+10s: {1:1}.
    const a11 = { auction: 1, num: 1 };
    const a21 = { auction: 2, num: 1 };
    const a22 = { auction: 2, num: 2 };
    assertRows('q5', evs, [a11, a11, a21, a11, a21, a11, a21, a22, a22, a21, a11, a21, a11, a21, a11, a11]);
  });

  test('q7: bids at the window max within [end - 10 s, end], so a bid at end can match twice', () => {
    const evs = [
      bid(1, 1, 100, T0),
      bid(1, 2, 300, T0 + 5_000),
      bid(1, 3, 300, T0 + 9_999), // tie in window [T0, T0+10s)
      bid(1, 4, 300, T0 + 10_000), // window [T0+10s, T0+20s), but also within [T0, T0+10s] at the max
      bid(1, 5, 50, T0 + 15_000),
      bid(1, 6, 70, T0 + 20_000), // window [T0+20s, T0+30s): max 70
      bid(1, 7, 70, T0 + 30_000), // its own window's max, and equals the previous window's max at its end
    ];
    const row = (bidder: number, price: number, t: number) => ({
      auction: 1,
      bidder,
      price,
      dateTime: t,
      extra: '',
    });
    assertRows('q7', evs, [
      row(2, 300, T0 + 5_000),
      row(3, 300, T0 + 9_999),
      row(4, 300, T0 + 10_000),
      row(4, 300, T0 + 10_000),
      row(6, 70, T0 + 20_000),
      row(7, 70, T0 + 30_000),
      row(7, 70, T0 + 30_000),
    ]);
  });

  test('q8: a person and their auction in the same 10 s tumbling window', () => {
    const evs = [
      person(1, T0 + 1_000, { name: 'alice' }),
      auction(101, 1, 10, T0 + 9_999, T0 + 50_000),
      person(2, T0 + 9_999, { name: 'bob' }),
      auction(102, 2, 10, T0 + 10_000, T0 + 50_000), // next window: no match
      person(3, T0 + 12_000, { name: 'carol' }),
      auction(103, 3, 10, T0 + 13_000, T0 + 50_000),
      auction(104, 3, 10, T0 + 14_000, T0 + 50_000), // two auctions, one row
      auction(105, 4, 10, T0 + 14_000, T0 + 50_000), // no such person
      auction(106, 1, 10, T0 + 21_000, T0 + 50_000),
      person(1, T0 + 25_000, { name: 'alice' }), // appears again in a later window
    ];
    assertRows('q8', evs, [
      { id: 1, name: 'alice', stime: T0 },
      { id: 3, name: 'carol', stime: T0 + 10_000 },
      { id: 1, name: 'alice', stime: T0 + 20_000 },
    ]);
  });

  test('q11: sessions per bidder with a 10 s gap, bids exactly 10 s apart in one session', () => {
    const evs = [
      bid(1, 1, 10, T0),
      bid(1, 2, 10, T0 + 5_000),
      bid(1, 1, 10, T0 + 10_000), // exactly the gap after T0: same session
      bid(1, 1, 10, T0 + 20_001), // 10 001 ms after the last: new session
      bid(1, 1, 10, T0 + 25_000),
    ];
    assertRows('q11', evs, [
      { bidder: 1, bid_count: 2, starttime: T0, endtime: T0 + 20_000 },
      { bidder: 1, bid_count: 2, starttime: T0 + 20_001, endtime: T0 + 35_000 },
      { bidder: 2, bid_count: 1, starttime: T0 + 5_000, endtime: T0 + 15_000 },
    ]);
  });

  test('q12 is not exact: its shape and per-bidder totals', () => {
    assert.deepEqual([...q12Shape.columns], ['bidder', 'bid_count', 'starttime', 'endtime']);
    assert.equal(referenceQueries['q12'], undefined);
    const totals = q12BidsPerBidder([bid(1, 1, 10, T0), bid(2, 1, 10, T0 + 20_000), bid(1, 2, 10, T0), person(1, T0)]);
    assert.deepEqual([...totals].sort(), [
      [1, 2],
      [2, 1],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('unbounded aggregations', () => {
  test('q15: per UTC day, counts and distinct counts at three price levels', () => {
    const evs = [
      bid(1, 1, 9_999, T0), // level 1 (< 10 000)
      bid(1, 2, 10_000, T0 + HOUR), // level 2 (10 000 inclusive)
      bid(2, 1, 999_999, T0 + HOUR), // level 2
      bid(2, 1, 1_000_000, T0 + HOUR), // level 3 (1 000 000 inclusive)
      bid(1, 1, 50, T0 + DAY - 1), // last ms of the day
      bid(3, 3, 5, T0 + DAY), // next day
    ];
    assertRows('q15', evs, [
      {
        day: '2024-01-01',
        total_bids: 5,
        rank1_bids: 2,
        rank2_bids: 2,
        rank3_bids: 1,
        total_bidders: 2,
        rank1_bidders: 1,
        rank2_bidders: 2,
        rank3_bidders: 1,
        total_auctions: 2,
        rank1_auctions: 1,
        rank2_auctions: 2,
        rank3_auctions: 1,
      },
      {
        day: '2024-01-02',
        total_bids: 1,
        rank1_bids: 1,
        rank2_bids: 0,
        rank3_bids: 0,
        total_bidders: 1,
        rank1_bidders: 1,
        rank2_bidders: 0,
        rank3_bidders: 0,
        total_auctions: 1,
        rank1_auctions: 1,
        rank2_auctions: 0,
        rank3_auctions: 0,
      },
    ]);
  });

  test('q16: per channel and UTC day, with the latest HH:mm', () => {
    const evs = [
      bid(1, 1, 100, T0 + 30 * SEC, { channel: 'Google' }),
      bid(1, 2, 20_000, T0 + 13 * HOUR + 5 * 60 * SEC + 59 * SEC, { channel: 'Google' }),
      bid(2, 1, 2_000_000, T0 + DAY - 1, { channel: 'Apple' }),
      bid(1, 1, 100, T0 + DAY + 60 * SEC, { channel: 'Google' }),
      bid(1, 1, 100, T0 + 10 * HOUR, { channel: 'Google' }), // an earlier minute arriving later: max stays 13:05
    ];
    const counts = (n: number[]) => ({
      total_bids: n[0],
      rank1_bids: n[1],
      rank2_bids: n[2],
      rank3_bids: n[3],
      total_bidders: n[4],
      rank1_bidders: n[5],
      rank2_bidders: n[6],
      rank3_bidders: n[7],
      total_auctions: n[8],
      rank1_auctions: n[9],
      rank2_auctions: n[10],
      rank3_auctions: n[11],
    });
    assertRows('q16', evs, [
      { channel: 'Google', day: '2024-01-01', minute: '13:05', ...counts([3, 2, 1, 0, 2, 1, 1, 0, 1, 1, 1, 0]) },
      { channel: 'Apple', day: '2024-01-01', minute: '23:59', ...counts([1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]) },
      { channel: 'Google', day: '2024-01-02', minute: '00:01', ...counts([1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]) },
    ]);
  });

  test('q17: per auction and UTC day, counts per level and min/max/avg (truncated)/sum', () => {
    const evs = [
      bid(1, 1, 100, T0),
      bid(1, 2, 20_000, T0 + 1),
      bid(1, 3, 2_000_000, T0 + 2),
      bid(1, 4, 101, T0 + 3),
      bid(1, 1, 7, T0 + DAY),
      bid(1, 1, 8, T0 + DAY + 1),
      bid(2, 1, 5, T0 + 5),
    ];
    const row = (a: number, day: string, n: number[], min: number, max: number, avg: number, sum: number) => ({
      auction: a,
      day,
      total_bids: n[0],
      rank1_bids: n[1],
      rank2_bids: n[2],
      rank3_bids: n[3],
      min_price: min,
      max_price: max,
      avg_price: avg,
      sum_price: sum,
    });
    assertRows('q17', evs, [
      row(1, '2024-01-01', [4, 2, 1, 1], 100, 2_000_000, 505_050, 2_020_201), // 505050.25
      row(1, '2024-01-02', [2, 2, 0, 0], 7, 8, 7, 15), // 7.5
      row(2, '2024-01-01', [1, 1, 0, 0], 5, 5, 5, 5),
    ]);
  });

  test('q18: the latest bid per (bidder, auction), later arrival on equal times', () => {
    const evs = [
      bid(1, 1, 10, T0 + 1_000),
      bid(1, 1, 30, T0 + 3_000),
      bid(1, 1, 20, T0 + 2_000), // out of order: not the latest
      bid(2, 1, 1, T0 + 5_000),
      bid(2, 1, 2, T0 + 5_000, { channel: 'Apple' }), // same time, arrives later: wins
      bid(1, 2, 99, T0),
    ];
    const row = (a: number, bidder: number, price: number, t: number, channel = 'Google') => ({
      auction: a,
      bidder,
      price,
      channel,
      url: URL,
      dateTime: t,
      extra: '',
    });
    assertRows('q18', evs, [row(1, 1, 30, T0 + 3_000), row(2, 1, 2, T0 + 5_000, 'Apple'), row(1, 2, 99, T0)]);
  });

  test('q19: top 10 by price per auction, ties in arrival order, a late tie at the 10th price stays out', () => {
    const prices = [5, 9, 9, 1, 12, 7, 3, 11, 9, 2, 10, 8, 3];
    const evs = prices.map((p, i) => bid(1, i + 1, p, T0 + i));
    evs.push(bid(2, 100, 4, T0), bid(2, 101, 4, T0 + 1));
    const row = (a: number, bidder: number, price: number, t: number, rank: number) => ({
      auction: a,
      bidder,
      price,
      channel: 'Google',
      url: URL,
      dateTime: t,
      extra: '',
      rank_number: rank,
    });
    // Bidder i placed prices[i - 1] at T0 + i - 1. Order: 12(b5) 11(b8) 10(b11) 9(b2) 9(b3) 9(b9) 8(b12) 7(b6) 5(b1)
    // 3(b7) | 3(b13, tie arriving later) 2(b10) 1(b4).
    const top = [5, 8, 11, 2, 3, 9, 12, 6, 1, 7];
    assertRows('q19', evs, [
      ...top.map((b, i) => row(1, b, prices[b - 1]!, T0 + b - 1, i + 1)),
      row(2, 100, 4, T0, 1),
      row(2, 101, 4, T0 + 1, 2),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('reference table', () => {
  test('keys and column order on an empty and a mixed input', () => {
    assert.deepEqual(Object.keys(referenceQueries).sort(), [
      'q0',
      'q1',
      'q11',
      'q14',
      'q15',
      'q16',
      'q17',
      'q18',
      'q19',
      'q2',
      'q20',
      'q21',
      'q22',
      'q3',
      'q4',
      'q5',
      'q7',
      'q8',
      'q9',
    ]);
    for (const fn of Object.values(referenceQueries)) assert.deepEqual(fn([]), []);
  });

  test('200k generated-like events run in a few seconds', () => {
    const evs: NexmarkEvent[] = [];
    let t = T0;
    for (let i = 0; i < 200_000; i++) {
      t += i % 3;
      if (i % 50 === 0) evs.push(person(1000 + i / 50, t, { state: ['OR', 'ID', 'CA', 'WA'][i % 4]! }));
      else if (i % 50 < 4)
        evs.push(auction(1000 + Math.floor(i / 50) * 3 + (i % 50), 1000 + Math.floor(i / 50), i % 20, t, t + 20_000));
      else {
        const a = 1000 + Math.floor(i / 50) * 3 + (i % 3);
        evs.push(bid(a, 1000 + (i % 997), (i * 7919) % 2_000_000, t, { url: `${URL}&channel_id=${i % 10}` }));
      }
    }
    const started = Date.now();
    for (const fn of Object.values(referenceQueries)) fn(evs);
    assert.ok(Date.now() - started < 20_000, 'the reference queries are too slow');
  });
});
