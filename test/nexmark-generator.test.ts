import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { SourceReader } from '../src/core/source.js';
import {
  AUCTION,
  type Auction,
  BID,
  type Bid,
  DEFAULT_NEXMARK_CONFIG,
  type NexmarkEvent,
  NexmarkGenerator,
  NexmarkSource,
  nexmarkEvent,
  PERSON,
  type Person,
  StreamExecutionEnvironment,
} from '../src/index.js';

/**
 * The seeded Nexmark generator: pinned output, the reference's id, time and kind rules, its distributions, the
 * parallel source (same events at every parallelism and across a rescaling restore) and `sluice nexmark generate`.
 */

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sluice-nexmark-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const payload = (e: NexmarkEvent): Person | Auction | Bid => e.person ?? e.auction ?? e.bid!;

// ---- golden ----

/** Seed 42, events 0–19: [event_type, fields with `extra` as [length, first 8 characters]]. */
const GOLDEN: [number, Record<string, unknown>][] = [
  [
    0,
    {
      id: 1000,
      name: 'John Abrams',
      emailAddress: 'rpoc@qgp.com',
      creditCard: '4631 4107 7426 1200',
      city: 'Seattle',
      state: 'OR',
      dateTime: 0,
      extra: [162, 'hiuzccNT'],
    },
  ],
  [
    1,
    {
      id: 1000,
      itemName: 'fg fbq j',
      description: 'dogyy j yoa frwq lksfh gbkyzuce lxnlftv cus thb ybjorqtu  pr xjequft',
      initialBid: 98454,
      reserve: 14313610,
      dateTime: 0,
      expires: 142,
      seller: 1000,
      category: 14,
      extra: [386, 'izbebVJY'],
    },
  ],
  [
    1,
    {
      id: 1001,
      itemName: 'vhcsybbbfh',
      description: 'jemn nfxctb termej kkk',
      initialBid: 350321,
      reserve: 635378,
      dateTime: 0,
      expires: 123,
      seller: 1000,
      category: 14,
      extra: [383, 'NRQKIuvs'],
    },
  ],
  [
    1,
    {
      id: 1002,
      itemName: 'giregelirii',
      description: 'lheoqsbcfvuuhkfjoe kkmm zybo e jltdxpy apceh pfmvnqleqcms bq ivlck',
      initialBid: 6020,
      reserve: 72980240,
      dateTime: 0,
      expires: 308,
      seller: 1000,
      category: 14,
      extra: [371, 'lpfepzyr'],
    },
  ],
  [
    2,
    {
      auction: 1001,
      bidder: 2001,
      price: 4194603,
      channel: 'Baidu',
      url: 'https://www.nexmark.com/kbqt/tzj/fqck/item.htm?query=1',
      dateTime: 0,
      extra: [58, 'a]KPJUSI'],
    },
  ],
  [
    2,
    {
      auction: 1000,
      bidder: 2008,
      price: 2694721,
      channel: 'channel-3136',
      url: 'https://www.nexmark.com/d_el/hbk/a_c/item.htm?query=1&channel_id=36700160',
      dateTime: 0,
      extra: [71, '[YZMa]rc'],
    },
  ],
  [
    2,
    {
      auction: 1008,
      bidder: 2001,
      price: 22487536,
      channel: 'channel-8308',
      url: 'https://www.nexmark.com/fwa/ame/km_d/item.htm?query=1&channel_id=772014080',
      dateTime: 0,
      extra: [74, 'rruzhiic'],
    },
  ],
  [
    2,
    {
      auction: 1000,
      bidder: 2005,
      price: 21294039,
      channel: 'Baidu',
      url: 'https://www.nexmark.com/kbqt/tzj/fqck/item.htm?query=1',
      dateTime: 0,
      extra: [80, '^[J_VMVY'],
    },
  ],
  [
    2,
    {
      auction: 1000,
      bidder: 2001,
      price: 511,
      channel: 'channel-2855',
      url: 'https://www.nexmark.com/aiv_/lbj/_hp/item.htm?query=1&channel_id=456130560',
      dateTime: 0,
      extra: [55, 'fsT[V`[^'],
    },
  ],
  [
    2,
    {
      auction: 1000,
      bidder: 2006,
      price: 4174,
      channel: 'channel-4854',
      url: 'https://www.nexmark.com/mss/wzg/wco/item.htm?query=1',
      dateTime: 0,
      extra: [64, 'wggmqmpx'],
    },
  ],
  [
    2,
    {
      auction: 1008,
      bidder: 2010,
      price: 12074,
      channel: 'channel-7817',
      url: 'https://www.nexmark.com/jlf/viip/sz_o/item.htm?query=1&channel_id=1854406656',
      dateTime: 1,
      extra: [65, 'duxtinmc'],
    },
  ],
  [
    2,
    {
      auction: 1000,
      bidder: 2001,
      price: 1898,
      channel: 'channel-8818',
      url: 'https://www.nexmark.com/qhqu/dhp/_inm/item.htm?query=1&channel_id=1313079296',
      dateTime: 1,
      extra: [68, 'NN_XWJQH'],
    },
  ],
  [
    2,
    {
      auction: 1000,
      bidder: 2001,
      price: 23201,
      channel: 'Google',
      url: 'https://www.nexmark.com/wzv/puy/nksp/item.htm?query=1',
      dateTime: 1,
      extra: [62, '^ZUVQXMa'],
    },
  ],
  [
    2,
    {
      auction: 1001,
      bidder: 2001,
      price: 20926,
      channel: 'Apple',
      url: 'https://www.nexmark.com/jkd/mtj/ejio/item.htm?query=1',
      dateTime: 1,
      extra: [71, ']V^HWZ_V'],
    },
  ],
  [
    2,
    {
      auction: 1000,
      bidder: 2001,
      price: 76818826,
      channel: 'Baidu',
      url: 'https://www.nexmark.com/kbqt/tzj/fqck/item.htm?query=1',
      dateTime: 1,
      extra: [58, 'aI`^O]LL'],
    },
  ],
  [
    2,
    {
      auction: 1002,
      bidder: 2001,
      price: 1868,
      channel: 'Google',
      url: 'https://www.nexmark.com/wzv/puy/nksp/item.htm?query=1',
      dateTime: 1,
      extra: [57, 'oxzcucjm'],
    },
  ],
  [
    2,
    {
      auction: 1003,
      bidder: 2007,
      price: 19280,
      channel: 'channel-2172',
      url: 'https://www.nexmark.com/wv_/hju/k__h/item.htm?query=1',
      dateTime: 1,
      extra: [58, 'STNIMtlj'],
    },
  ],
  [
    2,
    {
      auction: 1000,
      bidder: 2001,
      price: 7123,
      channel: 'channel-972',
      url: 'https://www.nexmark.com/k_ya/aqr/igi/item.htm?query=1&channel_id=868220928',
      dateTime: 1,
      extra: [64, 'NVRTIIVS'],
    },
  ],
  [
    2,
    {
      auction: 1000,
      bidder: 2008,
      price: 195461,
      channel: 'Facebook',
      url: 'https://www.nexmark.com/khj/chh/bcd/item.htm?query=1',
      dateTime: 1,
      extra: [81, 'seybubrx'],
    },
  ],
  [
    2,
    {
      auction: 1000,
      bidder: 2001,
      price: 329302,
      channel: 'Google',
      url: 'https://www.nexmark.com/wzv/puy/nksp/item.htm?query=1',
      dateTime: 1,
      extra: [61, 'QZizyckl'],
    },
  ],
];
/** SHA-256 of the JSON of events 0–19 of seed 42, one per line (pins the `extra` strings too). */
const GOLDEN_SHA256 = 'b1cce83335bb3f787e7037d67420dddcca8767cc6afc676d93cf12485d809ffd';

test('seed 42 produces the pinned first 20 events', () => {
  const g = new NexmarkGenerator({ seed: 42 });
  const lines: string[] = [];
  GOLDEN.forEach(([type, fields], i) => {
    const e = g.event(i);
    lines.push(JSON.stringify(e));
    assert.equal(e.event_type, type, `event ${i}`);
    const v = { ...payload(e) } as Record<string, unknown>;
    const extra = v.extra as string;
    v.extra = [extra.length, extra.slice(0, 8)];
    assert.deepEqual(v, fields, `event ${i}`);
  });
  assert.equal(createHash('sha256').update(lines.join('\n')).digest('hex'), GOLDEN_SHA256);
  // Field order of the nested form and of each kind is the data model's.
  assert.deepEqual(Object.keys(g.event(0)), ['event_type', 'person', 'auction', 'bid']);
  assert.deepEqual(Object.keys(g.event(0).person!), Object.keys(GOLDEN[0]![1]));
  assert.deepEqual(Object.keys(g.event(1).auction!), Object.keys(GOLDEN[1]![1]));
  assert.deepEqual(Object.keys(g.event(4).bid!), Object.keys(GOLDEN[4]![1]));
});

// ---- structure ----

test('kinds follow the 1:3:46 pattern by event id; ids count up from 1000; times follow the 100 µs delay', () => {
  const g = new NexmarkGenerator({ seed: 7 });
  for (let i = 0; i < 20_000; i++) {
    const e = g.event(i);
    const r = i % 50;
    assert.equal(e.event_type, r === 0 ? PERSON : r < 4 ? AUCTION : BID, `event ${i}`);
    assert.equal(g.eventType(i), e.event_type);
    const ts = payload(e).dateTime;
    assert.equal(ts, Math.floor(i / 10), `event ${i}: 10,000 events per second of event time`);
    assert.equal(g.eventTime(i), ts);
    if (e.person) assert.equal(e.person.id, 1000 + i / 50);
    if (e.auction) assert.equal(e.auction.id, 1000 + 3 * Math.floor(i / 50) + r - 1);
  }
  // baseTime and rate move the clock; the reference's (firstEventId, firstEventNumber) = (1, 1) starts at event id 2.
  const h = new NexmarkGenerator({ seed: 7, baseTime: 1_700_000_000_000, firstEventRate: 1000 });
  assert.equal(payload(h.event(0)).dateTime, 1_700_000_000_000);
  assert.equal(payload(h.event(1234)).dateTime, 1_700_000_001_234);
  const ref = new NexmarkGenerator({ firstEventId: 1, firstEventNumber: 1 });
  assert.equal(ref.event(0).event_type, AUCTION);
  assert.equal(ref.event(0).auction!.id, 1001);
  assert.equal(ref.event(48).person!.id, 1001);
});

test('bids, auctions and sellers reference persons and auctions in the reference ranges', () => {
  const g = new NexmarkGenerator({ seed: 3 });
  for (let i = 0; i < 100_000; i++) {
    const e = g.event(i);
    const lastPerson = Math.floor(i / 50); // base 0: the current epoch's person
    const numPeople = lastPerson + 1;
    const minActive = numPeople - Math.min(numPeople, 1000);
    const lastAuction = 3 * Math.floor(i / 50) + 2; // at a bid: the epoch's third auction
    if (e.bid) {
      const a = e.bid.auction - 1000;
      assert.ok(a >= Math.max(lastAuction - 100, 0) && a <= lastAuction + 10, `event ${i}: auction ${a}`);
      const b = e.bid.bidder - 2000; // FIRST_PERSON_ID added twice, as the reference does
      assert.ok(b >= minActive && b <= numPeople + 9, `event ${i}: bidder ${b}`);
    }
    if (e.auction) {
      const s = e.auction.seller - 1000;
      assert.ok(s >= minActive && s <= numPeople + 9, `event ${i}: seller ${s}`);
      assert.ok(e.auction.expires > e.auction.dateTime);
      // horizon: 1666 events ahead = 166 or 167 ms; length 1 + [0, 2 * horizon)
      assert.ok(e.auction.expires - e.auction.dateTime <= 334);
      assert.ok(e.auction.reserve > e.auction.initialBid);
      assert.ok(e.auction.category >= 10 && e.auction.category <= 14);
    }
  }
  const single = new NexmarkGenerator({ seed: 3, doubleBidderOffset: false });
  assert.equal(single.event(4).bid!.bidder, g.event(4).bid!.bidder - 1000);
});

test('the same seed gives the same events in any order; another seed gives others', () => {
  const a = new NexmarkGenerator({ seed: 11 });
  const b = new NexmarkGenerator({ seed: 11 });
  const forward = Array.from({ length: 3000 }, (_, i) => JSON.stringify(a.event(i)));
  for (let i = 2999; i >= 0; i -= 7) assert.equal(JSON.stringify(b.event(i)), forward[i]);
  assert.equal(JSON.stringify(nexmarkEvent({ seed: 11 }, 1234)), forward[1234]);
  assert.equal(
    JSON.stringify(new NexmarkGenerator({ seed: 11 }).event(5_000_000_123)),
    JSON.stringify(a.event(5_000_000_123)),
  );
  const c = new NexmarkGenerator({ seed: 12 });
  const differ = forward.filter((line, i) => JSON.stringify(c.event(i)) !== line).length;
  assert.ok(differ > 2900, `${differ} of 3000 differ`);
});

test('configuration errors name the option', () => {
  assert.throws(() => new NexmarkGenerator({ seed: 1.5 }), /seed must be a safe integer/);
  assert.throws(() => new NexmarkGenerator({ hotBiddersRatio: 0 }), /hotBiddersRatio must be a positive integer/);
  assert.throws(() => new NexmarkSource({ events: -1 }), /events must be an integer >= 0/);
  assert.equal(DEFAULT_NEXMARK_CONFIG.firstEventRate, 10_000);
});

// ---- distributions ----

test('distributions over 500,000 events match the reference', () => {
  const g = new NexmarkGenerator({ seed: 5 });
  const n = 500_000;
  let bids = 0;
  let hotAuction = 0;
  let hotBidder = 0;
  let hotChannel = 0;
  let auctions = 0;
  let hotSeller = 0;
  let lengthSum = 0;
  let persons = 0;
  const decades = new Array(6).fill(0);
  const channels = new Set<string>();
  const urls = new Set<string>();
  const size = { person: 0, auction: 0, bid: 0 };
  const hot = new Set(['Google', 'Facebook', 'Baidu', 'Apple']);
  let extraChars = true;
  for (let i = 0; i < n; i++) {
    const e = g.event(i);
    const lastPerson = Math.floor(i / 50);
    if (e.bid) {
      const b = e.bid;
      bids++;
      if (b.auction - 1000 === Math.floor((3 * Math.floor(i / 50) + 2) / 100) * 100) hotAuction++;
      if (b.bidder - 2000 === Math.floor(lastPerson / 100) * 100 + 1) hotBidder++;
      if (hot.has(b.channel)) hotChannel++;
      else channels.add(b.channel);
      urls.add(b.url);
      assert.ok(b.price >= 100 && b.price <= 100_000_000);
      decades[Math.min(5, Math.floor(Math.log10(b.price / 100)))]++;
      size.bid += 32 + b.extra.length;
      if (i % 97 === 0 && !/^[H-z]*$/.test(b.extra)) extraChars = false;
    } else if (e.auction) {
      const a = e.auction;
      auctions++;
      if (a.seller - 1000 === Math.floor(lastPerson / 100) * 100) hotSeller++;
      lengthSum += a.expires - a.dateTime;
      size.auction += 8 + a.itemName.length + a.description.length + 40 + a.extra.length;
      assert.ok(a.itemName.length <= 19 && a.description.length <= 99);
    } else {
      const p = e.person!;
      persons++;
      size.person +=
        8 +
        p.name.length +
        p.emailAddress.length +
        p.creditCard.length +
        p.city.length +
        p.state.length +
        p.extra.length;
      assert.match(p.emailAddress, /^[a-z ]{0,6}@[a-z ]{0,4}\.com$/);
      assert.match(p.creditCard, /^\d{4} \d{4} \d{4} \d{4}$/);
    }
  }
  const near = (actual: number, expected: number, tolerance: number, what: string) =>
    assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} (expected ${expected} ± ${tolerance})`);
  assert.equal(persons, n / 50);
  assert.equal(auctions, (3 * n) / 50);
  // hot with probability 1 - 1/ratio, plus the chance that a random pick hits the hot one
  near(hotAuction / bids, 0.5, 0.015, 'hot auction fraction (ratio 2)');
  near(hotBidder / bids, 0.75, 0.01, 'hot bidder fraction (ratio 4)');
  near(hotSeller / auctions, 0.75, 0.015, 'hot seller fraction (ratio 4)');
  near(hotChannel / bids, 0.5, 0.01, 'hot channel fraction');
  for (const [d, count] of decades.entries())
    near(count / bids, 1 / 6, 0.01, `prices between 10^${d} and 10^${d + 1} $`);
  assert.equal(channels.size, 10_000);
  assert.ok(urls.size >= 10_000 && urls.size <= 10_004, `${urls.size} urls`);
  near(lengthSum / auctions, 167, 3, 'mean auction length, ms (≈ 100 auctions in flight)');
  // nextExtra pads to the average (its mean is avg - 0.5)
  near(size.person / persons, 200, 2, 'person size');
  near(size.auction / auctions, 500, 2, 'auction size');
  near(size.bid / bids, 100, 1, 'bid size');
  assert.ok(extraChars, "extra uses the reference's characters 'H'..'z'");
});

test('channel urls carry the reversed channel number, with Java abs (channel 1 gets -2147483648)', () => {
  const g = new NexmarkGenerator({ seed: 42 });
  const withId = g.channels.urls.filter((u) => u.includes('&channel_id=')).length;
  assert.ok(withId > 8700 && withId < 9300, `${withId} of 10,000 urls have a channel_id`);
  for (const [n, id] of [
    [3136, '36700160'],
    [972, '868220928'],
    [1, '-2147483648'],
    [0, '0'],
  ] as const) {
    const url = g.channels.urls[n]!;
    assert.match(url, /^https:\/\/www\.nexmark\.com\/[a-z_]{3,4}\/[a-z_]{3,4}\/[a-z_]{3,4}\/item\.htm\?query=1/);
    if (url.includes('&channel_id=')) assert.ok(url.endsWith(`&channel_id=${id}`), url);
  }
});

// ---- the source ----

for (const p of [1, 2, 3]) {
  test(`NexmarkSource yields the generator's events at parallelism ${p}`, async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: p, batchSize: 64 });
    const h = env
      .fromSource(new NexmarkSource({ events: 3000, seed: 9 }))
      .map((e) => JSON.stringify(e))
      .collect();
    await env.execute();
    const g = new NexmarkGenerator({ seed: 9 });
    const expected = Array.from({ length: 3000 }, (_, i) => JSON.stringify(g.event(i))).sort();
    assert.deepEqual(h.get().sort(), expected);
  });
}

function poll(reader: SourceReader<NexmarkEvent>, max: number, into: [NexmarkEvent, number | undefined][]) {
  return reader.pollNext({ collect: (v, ts) => into.push([v, ts]) }, max);
}

test('NexmarkSource stamps event times and resumes exactly once after a rescaling restore', () => {
  const source = new NexmarkSource({ events: 1000, seed: 4 });
  const ctx = (subtaskIndex: number, parallelism: number) => ({
    subtaskIndex,
    parallelism,
    reportBadRecord: () => assert.fail('no bad records'),
  });
  // Two readers read a little, then the job restores at parallelism 3.
  const seen: [NexmarkEvent, number | undefined][] = [];
  const before = [source.createReader(ctx(0, 2)), source.createReader(ctx(1, 2))];
  poll(before[0]!, 100, seen);
  poll(before[1]!, 37, seen);
  const states = before.map((r) => r.snapshotState!());
  for (let s = 0; s < 3; s++) {
    const r = source.createReader(ctx(s, 3));
    r.restoreState!(states);
    while (poll(r, 50, seen) === 'more');
  }
  const g = new NexmarkGenerator({ seed: 4 });
  const byJson = seen.map(([e]) => JSON.stringify(e)).sort();
  assert.deepEqual(byJson, Array.from({ length: 1000 }, (_, i) => JSON.stringify(g.event(i))).sort());
  for (const [e, ts] of seen) assert.equal(ts, payload(e).dateTime);
  assert.equal(new NexmarkSource({ seed: 1 }).boundedness, 'unbounded');
});

// ---- the command ----

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/sluice.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('sluice nexmark generate writes the generator events as JSON Lines', () => {
  const file = join(dir, 'events.jsonl');
  const r = sluice('nexmark', 'generate', '--events', '5000', '--seed', '-3', '--output', file);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(file, 'utf8').split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, 5000);
  const g = new NexmarkGenerator({ seed: -3 });
  lines.forEach((line, i) => {
    assert.equal(line, JSON.stringify(g.event(i)), `line ${i + 1}`);
    assert.deepEqual(JSON.parse(line), g.event(i));
  });
  assert.ok(lines[4]!.startsWith('{"event_type":2,"person":null,"auction":null,"bid":{"auction":'));
});

test('sluice nexmark generate rejects bad options in one line', () => {
  const file = join(dir, 'bad.jsonl');
  for (const args of [
    ['--events', '0', '--output', file],
    ['--events', 'ten', '--output', file],
    ['--events', '10', '--seed', '1.5', '--output', file],
    ['--events', '10'],
    ['--events', '10', '--output', join(dir, 'missing', 'x.jsonl')],
  ]) {
    const r = sluice('nexmark', 'generate', ...args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, /^error: [^\n]+\n$/, args.join(' '));
  }
});
