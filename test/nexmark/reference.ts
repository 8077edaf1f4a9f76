/**
 * Brute-force reference implementations of the Nexmark queries, with the semantics of the Flink SQL definitions of
 * the public nexmark/nexmark repository (see bench/nexmark/QUERIES.md, which pins every detail these functions
 * implement).
 *
 * Each function reads the whole event array and returns the query's FINAL rows: every row for an append-only query,
 * the final table contents for an updating one. Rows are plain objects whose keys are the result columns, in order;
 * timestamps are epoch milliseconds. All events are treated as on time (the generator's disorder is far below the
 * 4 s watermark delay of the reference DDL), so lateness is ignored. Input order matters only to break ties that the
 * SQL leaves to arrival order (q9, q18, q19): the earlier element of the array counts as the earlier arrival.
 *
 * Written for clarity, not speed, but every query is near-linear (Maps keyed by join/group keys, never nested loops
 * over all bids), so 200k events take well under a second each.
 */
import {
  AUCTION,
  type Auction,
  BID,
  type Bid,
  type NexmarkEvent,
  PERSON,
  type Person,
} from '../../src/connectors/nexmark/model.js';

export type Row = Record<string, unknown>;
export type ReferenceQuery = (events: readonly NexmarkEvent[]) => Row[];

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function bidsOf(events: readonly NexmarkEvent[]): Bid[] {
  const out: Bid[] = [];
  for (const e of events) if (e.event_type === BID) out.push(e.bid);
  return out;
}

function auctionsOf(events: readonly NexmarkEvent[]): Auction[] {
  const out: Auction[] = [];
  for (const e of events) if (e.event_type === AUCTION) out.push(e.auction);
  return out;
}

function personsOf(events: readonly NexmarkEvent[]): Person[] {
  const out: Person[] = [];
  for (const e of events) if (e.event_type === PERSON) out.push(e.person);
  return out;
}

/** Groups values by a key, keeping input order within each group. */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

/** A composite Map key from primitive parts (JSON keeps strings and numbers apart). */
const key = (...parts: readonly (string | number)[]): string => JSON.stringify(parts);

/**
 * `0.908 * price`: in Flink a DECIMAL(23, 3), exactly price * 908 / 1000. We return the double nearest that exact
 * decimal (price * 908 is an exact integer below 2^53 for any realistic price, and one division rounds correctly).
 */
export const toEuro = (price: number): number => (price * 908) / 1000;

/** The largest of some numbers (a loop: spreading 100k+ arguments into Math.max overflows the stack). */
const maxOf = (xs: Iterable<number>): number => {
  let m = Number.NEGATIVE_INFINITY;
  for (const x of xs) if (x > m) m = x;
  return m;
};

/** The smallest of some numbers. */
const minOf = (xs: Iterable<number>): number => {
  let m = Number.POSITIVE_INFINITY;
  for (const x of xs) if (x < m) m = x;
  return m;
};

/** Integer division truncating toward zero, as Java's long `/` (Flink's AVG of BIGINT). Exact for safe integers. */
export const truncDiv = (sum: number, count: number): number => (sum - (sum % count)) / count;

/** DATE_FORMAT(ts, 'yyyy-MM-dd') of a TIMESTAMP(3) built from epoch millis: the UTC calendar day. */
export const utcDay = (t: number): string => new Date(t).toISOString().slice(0, 10);

/** DATE_FORMAT(ts, 'HH:mm'): the UTC hour and minute, zero-padded. */
export const utcHourMinute = (t: number): string => new Date(t).toISOString().slice(11, 16);

/** HOUR(ts): the UTC hour, 0..23. */
export const utcHour = (t: number): number => new Date(t).getUTCHours();

/** Start of the size-aligned window holding t (windows are [start, start + size), offset 0). */
export const windowStart = (t: number, size: number): number => t - (((t % size) + size) % size);

/** Price levels of q15-q17: 1 below 10 000, 2 from 10 000 below 1 000 000, 3 from 1 000 000. */
export const priceRank = (price: number): 1 | 2 | 3 => (price < 10_000 ? 1 : price < 1_000_000 ? 2 : 3);

/**
 * Flink's SPLIT_INDEX(str, sep, index): commons-lang3 splitByWholeSeparatorPreserveAllTokens, 0-based. Empty tokens
 * are kept (leading, trailing, between adjacent separators); the empty string has NO tokens; null when the index is
 * negative or past the last token.
 */
export function splitIndex(str: string | null, separator: string, index: number): string | null {
  if (str === null || index < 0) return null;
  const tokens = str.length === 0 ? [] : str.split(separator);
  return index < tokens.length ? tokens[index]! : null;
}

/** REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2): group 2 of the FIRST match, null when nothing matches. */
export function extractChannelId(url: string | null): string | null {
  if (url === null) return null;
  const m = /(&|^)channel_id=([^&]*)/.exec(url);
  return m === null ? null : m[2]!;
}

/** count_char(s, 'c'): the number of UTF-8 bytes equal to the byte of 'c' (for ASCII 'c', its occurrences). */
export function countChar(s: string | null, ch: string): number {
  if (s === null) return 0;
  const target = Buffer.from(ch, 'utf8')[0];
  let count = 0;
  for (const byte of Buffer.from(s, 'utf8')) if (byte === target) count++;
  return count;
}

/** The auction/bid join of q4 and q9: bid.auction = auction.id AND auction.dateTime <= bid.dateTime <= expires. */
function auctionBidPairs(events: readonly NexmarkEvent[]): { auction: Auction; bid: Bid }[] {
  const auctionsById = groupBy(auctionsOf(events), (a) => a.id);
  const pairs: { auction: Auction; bid: Bid }[] = [];
  for (const bid of bidsOf(events)) {
    for (const auction of auctionsById.get(bid.auction) ?? []) {
      if (auction.dateTime <= bid.dateTime && bid.dateTime <= auction.expires) pairs.push({ auction, bid });
    }
  }
  return pairs;
}

/** Counts and exact distinct counts, overall and per price level (q15, q16). */
class LevelStats {
  readonly bids = [0, 0, 0, 0];
  readonly bidders = [new Set<number>(), new Set<number>(), new Set<number>(), new Set<number>()];
  readonly auctions = [new Set<number>(), new Set<number>(), new Set<number>(), new Set<number>()];

  add(b: Bid): void {
    for (const level of [0, priceRank(b.price)]) {
      this.bids[level]!++;
      this.bidders[level]!.add(b.bidder);
      this.auctions[level]!.add(b.auction);
    }
  }

  columns(): Row {
    return {
      total_bids: this.bids[0],
      rank1_bids: this.bids[1],
      rank2_bids: this.bids[2],
      rank3_bids: this.bids[3],
      total_bidders: this.bidders[0]!.size,
      rank1_bidders: this.bidders[1]!.size,
      rank2_bidders: this.bidders[2]!.size,
      rank3_bidders: this.bidders[3]!.size,
      total_auctions: this.auctions[0]!.size,
      rank1_auctions: this.auctions[1]!.size,
      rank2_auctions: this.auctions[2]!.size,
      rank3_auctions: this.auctions[3]!.size,
    };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The queries

/** q0: pass-through of bids (append-only). */
function q0(events: readonly NexmarkEvent[]): Row[] {
  return bidsOf(events).map((b) => ({
    auction: b.auction,
    bidder: b.bidder,
    price: b.price,
    dateTime: b.dateTime,
    extra: b.extra,
  }));
}

/** q1: currency conversion, price * 0.908 as an exact decimal (append-only). */
function q1(events: readonly NexmarkEvent[]): Row[] {
  return bidsOf(events).map((b) => ({
    auction: b.auction,
    bidder: b.bidder,
    price: toEuro(b.price),
    dateTime: b.dateTime,
    extra: b.extra,
  }));
}

/** q2: bids on every 123rd auction (append-only). */
function q2(events: readonly NexmarkEvent[]): Row[] {
  return bidsOf(events)
    .filter((b) => b.auction % 123 === 0)
    .map((b) => ({ auction: b.auction, price: b.price }));
}

/** q3: sellers in OR/ID/CA of category-10 auctions; regular inner join, either arrival order (append-only). */
function q3(events: readonly NexmarkEvent[]): Row[] {
  const personsById = groupBy(personsOf(events), (p) => p.id);
  const states = new Set(['OR', 'ID', 'CA']);
  const rows: Row[] = [];
  for (const a of auctionsOf(events)) {
    if (a.category !== 10) continue;
    for (const p of personsById.get(a.seller) ?? []) {
      if (states.has(p.state)) rows.push({ name: p.name, city: p.city, state: p.state, id: a.id });
    }
  }
  return rows;
}

/** q4: per category, the truncated integer average of each auction's highest in-time bid (updating). */
function q4(events: readonly NexmarkEvent[]): Row[] {
  // Inner GROUP BY A.id, A.category: MAX(B.price) over the joined pairs.
  const finals = new Map<string, { category: number; final: number }>();
  for (const { auction, bid } of auctionBidPairs(events)) {
    const k = key(auction.id, auction.category);
    const cur = finals.get(k);
    if (cur === undefined) finals.set(k, { category: auction.category, final: bid.price });
    else if (bid.price > cur.final) cur.final = bid.price;
  }
  // Outer GROUP BY category: AVG of BIGINT is BIGINT, sum / count truncated.
  const perCategory = new Map<number, { sum: number; count: number }>();
  for (const { category, final } of finals.values()) {
    const acc = perCategory.get(category) ?? { sum: 0, count: 0 };
    acc.sum += final;
    acc.count++;
    perCategory.set(category, acc);
  }
  return [...perCategory].map(([category, { sum, count }]) => ({ id: category, final: truncDiv(sum, count) }));
}

/** q5: per 10 s window sliding by 2 s, the auctions with the most bids, all ties (append-only). */
function q5(events: readonly NexmarkEvent[]): Row[] {
  const SIZE = 10_000;
  const SLIDE = 2_000;
  const windows = new Map<number, Map<number, number>>(); // window start -> auction -> count
  for (const b of bidsOf(events)) {
    const last = windowStart(b.dateTime, SLIDE);
    for (let start = last; start > b.dateTime - SIZE; start -= SLIDE) {
      let counts = windows.get(start);
      if (counts === undefined) windows.set(start, (counts = new Map()));
      counts.set(b.auction, (counts.get(b.auction) ?? 0) + 1);
    }
  }
  const rows: Row[] = [];
  for (const counts of windows.values()) {
    const maxn = maxOf(counts.values());
    for (const [auction, num] of counts) if (num >= maxn) rows.push({ auction, num });
  }
  return rows;
}

/**
 * q7: bids whose price equals the maximum of a 10 s tumbling window [end - 10 s, end) and whose time lies in
 * [end - 10 s, end] (both ends inclusive: a bid at exactly `end` can also match the window before its own).
 * One row per (bid, window) match (append-only).
 */
function q7(events: readonly NexmarkEvent[]): Row[] {
  const SIZE = 10_000;
  const byWindow = groupBy(bidsOf(events), (b) => windowStart(b.dateTime, SIZE));
  const rows: Row[] = [];
  for (const [start, inWindow] of byWindow) {
    const end = start + SIZE;
    const maxprice = maxOf(inWindow.map((b) => b.price));
    // Candidates in [start, end]: the window's own bids plus the next window's bids at exactly `end`.
    const atEnd = (byWindow.get(end) ?? []).filter((b) => b.dateTime === end);
    for (const b of [...inWindow, ...atEnd]) {
      if (b.price === maxprice) {
        rows.push({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra });
      }
    }
  }
  return rows;
}

/** q8: persons who created auctions in the same 10 s tumbling window as they appeared (append-only). */
function q8(events: readonly NexmarkEvent[]): Row[] {
  const SIZE = 10_000;
  const sellers = new Set<string>();
  for (const a of auctionsOf(events)) sellers.add(key(a.seller, windowStart(a.dateTime, SIZE)));
  const seen = new Set<string>();
  const rows: Row[] = [];
  for (const p of personsOf(events)) {
    const stime = windowStart(p.dateTime, SIZE);
    const k = key(p.id, p.name, stime);
    if (seen.has(k)) continue; // GROUP BY id, name, window
    seen.add(k);
    if (sellers.has(key(p.id, stime))) rows.push({ id: p.id, name: p.name, stime });
  }
  return rows;
}

/**
 * q9: per auction, its winning in-time bid: highest price, then earliest bid dateTime, then (unspecified in Flink)
 * the first in input order. Auctions without an in-time bid have no row (updating).
 */
function q9(events: readonly NexmarkEvent[]): Row[] {
  const best = new Map<number, { auction: Auction; bid: Bid }>();
  for (const pair of auctionBidPairs(events)) {
    const cur = best.get(pair.auction.id);
    const better =
      cur === undefined ||
      pair.bid.price > cur.bid.price ||
      (pair.bid.price === cur.bid.price && pair.bid.dateTime < cur.bid.dateTime);
    if (better) best.set(pair.auction.id, pair);
  }
  return [...best.values()].map(({ auction: a, bid: b }) => ({
    id: a.id,
    itemName: a.itemName,
    description: a.description,
    initialBid: a.initialBid,
    reserve: a.reserve,
    dateTime: a.dateTime,
    expires: a.expires,
    seller: a.seller,
    category: a.category,
    extra: a.extra,
    auction: b.auction,
    bidder: b.bidder,
    price: b.price,
    bid_dateTime: b.dateTime,
    bid_extra: b.extra,
  }));
}

/**
 * q11: per bidder, session windows with a 10 s gap: consecutive bids at most 10 000 ms apart share a session
 * (Flink merges windows whose bounds touch). starttime = first bid, endtime = last bid + 10 000 (append-only).
 */
function q11(events: readonly NexmarkEvent[]): Row[] {
  const GAP = 10_000;
  const rows: Row[] = [];
  for (const [bidder, bids] of groupBy(bidsOf(events), (b) => b.bidder)) {
    const times = bids.map((b) => b.dateTime).sort((x, y) => x - y);
    let start = times[0]!;
    let last = start;
    let count = 0;
    for (const t of times) {
      if (t > last + GAP) {
        rows.push({ bidder, bid_count: count, starttime: start, endtime: last + GAP });
        start = t;
        count = 0;
      }
      last = t;
      count++;
    }
    rows.push({ bidder, bid_count: count, starttime: start, endtime: last + GAP });
  }
  return rows;
}

/** q12 runs on processing time: no exact rows exist. Its shape, and the per-bidder totals its rows must sum to. */
export const q12Shape = {
  columns: ['bidder', 'bid_count', 'starttime', 'endtime'] as const,
  note:
    'Processing-time 10 s tumbling windows: rows depend on wall-clock timing. Check structure only: ' +
    'endtime - starttime = 10000, starttime a multiple of 10000, bid_count >= 1, at most one row per ' +
    '(bidder, starttime), and per bidder the bid_counts sum to q12BidsPerBidder(events).',
};

/** The total number of bids per bidder: what q12's bid_count column sums to, per bidder, over all windows. */
export function q12BidsPerBidder(events: readonly NexmarkEvent[]): Map<number, number> {
  const totals = new Map<number, number>();
  for (const b of bidsOf(events)) totals.set(b.bidder, (totals.get(b.bidder) ?? 0) + 1);
  return totals;
}

/** q14: bids with 1 000 000 < 0.908 * price < 50 000 000, time-of-day class and 'c' count (append-only). */
function q14(events: readonly NexmarkEvent[]): Row[] {
  const rows: Row[] = [];
  for (const b of bidsOf(events)) {
    // Exact decimal comparison, in integers: 0.908 * price > 1e6  <=>  908 * price > 1e9.
    const scaled = b.price * 908;
    if (!(scaled > 1_000_000_000 && scaled < 50_000_000_000)) continue;
    const hour = utcHour(b.dateTime);
    const bidTimeType = hour >= 8 && hour <= 18 ? 'dayTime' : hour <= 6 || hour >= 20 ? 'nightTime' : 'otherTime';
    rows.push({
      auction: b.auction,
      bidder: b.bidder,
      price: toEuro(b.price),
      bidTimeType,
      dateTime: b.dateTime,
      extra: b.extra,
      c_counts: countChar(b.extra, 'c'),
    });
  }
  return rows;
}

/** q15: per UTC day, bid counts and exact distinct bidders/auctions, overall and per price level (updating). */
function q15(events: readonly NexmarkEvent[]): Row[] {
  const days = new Map<string, LevelStats>();
  for (const b of bidsOf(events)) {
    const day = utcDay(b.dateTime);
    let stats = days.get(day);
    if (stats === undefined) days.set(day, (stats = new LevelStats()));
    stats.add(b);
  }
  return [...days].map(([day, stats]) => ({ day, ...stats.columns() }));
}

/** q16: as q15 per (channel, UTC day), plus the latest 'HH:mm' seen in the group (updating). */
function q16(events: readonly NexmarkEvent[]): Row[] {
  const groups = new Map<string, { channel: string; day: string; minute: string; stats: LevelStats }>();
  for (const b of bidsOf(events)) {
    const day = utcDay(b.dateTime);
    const minute = utcHourMinute(b.dateTime);
    const k = key(b.channel, day);
    let g = groups.get(k);
    if (g === undefined) groups.set(k, (g = { channel: b.channel, day, minute, stats: new LevelStats() }));
    if (minute > g.minute) g.minute = minute; // MAX of strings: lexicographic
    g.stats.add(b);
  }
  return [...groups.values()].map((g) => ({ channel: g.channel, day: g.day, minute: g.minute, ...g.stats.columns() }));
}

/** q17: per (auction, UTC day), bid counts per price level and min/max/avg(truncated)/sum of price (updating). */
function q17(events: readonly NexmarkEvent[]): Row[] {
  const rows: Row[] = [];
  for (const bids of groupBy(bidsOf(events), (b) => key(b.auction, utcDay(b.dateTime))).values()) {
    const prices = bids.map((b) => b.price);
    const sum = prices.reduce((s, p) => s + p, 0);
    const count = (level: number) => prices.filter((p) => priceRank(p) === level).length;
    rows.push({
      auction: bids[0]!.auction,
      day: utcDay(bids[0]!.dateTime),
      total_bids: prices.length,
      rank1_bids: count(1),
      rank2_bids: count(2),
      rank3_bids: count(3),
      min_price: minOf(prices),
      max_price: maxOf(prices),
      avg_price: truncDiv(sum, prices.length),
      sum_price: sum,
    });
  }
  return rows;
}

/** q18: per (bidder, auction), the bid with the latest dateTime; on equal times the later arrival (updating). */
function q18(events: readonly NexmarkEvent[]): Row[] {
  const last = new Map<string, Bid>();
  for (const b of bidsOf(events)) {
    const k = key(b.bidder, b.auction);
    const cur = last.get(k);
    if (cur === undefined || cur.dateTime <= b.dateTime) last.set(k, b);
  }
  return [...last.values()].map((b) => ({
    auction: b.auction,
    bidder: b.bidder,
    price: b.price,
    channel: b.channel,
    url: b.url,
    dateTime: b.dateTime,
    extra: b.extra,
  }));
}

/**
 * q19: per auction, the 10 highest-priced bids, numbered 1..10 by price descending; equal prices rank in arrival
 * order (earlier first), and a bid tying the 10th price after the top 10 is full stays out (updating).
 */
function q19(events: readonly NexmarkEvent[]): Row[] {
  const rows: Row[] = [];
  for (const bids of groupBy(bidsOf(events), (b) => b.auction).values()) {
    const top = [...bids].sort((x, y) => y.price - x.price).slice(0, 10); // Array.prototype.sort is stable
    top.forEach((b, i) => {
      rows.push({
        auction: b.auction,
        bidder: b.bidder,
        price: b.price,
        channel: b.channel,
        url: b.url,
        dateTime: b.dateTime,
        extra: b.extra,
        rank_number: i + 1,
      });
    });
  }
  return rows;
}

/** q20: bids joined with their category-10 auction, no time condition (append-only). */
function q20(events: readonly NexmarkEvent[]): Row[] {
  const auctionsById = groupBy(auctionsOf(events), (a) => a.id);
  const rows: Row[] = [];
  for (const b of bidsOf(events)) {
    for (const a of auctionsById.get(b.auction) ?? []) {
      if (a.category !== 10) continue;
      rows.push({
        auction: b.auction,
        bidder: b.bidder,
        price: b.price,
        channel: b.channel,
        url: b.url,
        bid_dateTime: b.dateTime,
        bid_extra: b.extra,
        itemName: a.itemName,
        description: a.description,
        initialBid: a.initialBid,
        reserve: a.reserve,
        auction_dateTime: a.dateTime,
        expires: a.expires,
        seller: a.seller,
        category: a.category,
        auction_extra: a.extra,
      });
    }
  }
  return rows;
}

/** q21: channel_id from the four hot channels (case-insensitive) or from the url; others dropped (append-only). */
function q21(events: readonly NexmarkEvent[]): Row[] {
  const hot: Record<string, string> = { apple: '0', google: '1', facebook: '2', baidu: '3' };
  const rows: Row[] = [];
  for (const b of bidsOf(events)) {
    const lower = b.channel.toLowerCase();
    const fromUrl = extractChannelId(b.url);
    const hotId = Object.hasOwn(hot, lower) ? hot[lower]! : null;
    if (fromUrl === null && hotId === null) continue;
    rows.push({
      auction: b.auction,
      bidder: b.bidder,
      price: b.price,
      channel: b.channel,
      channel_id: hotId ?? fromUrl,
    });
  }
  return rows;
}

/** q22: '/'-separated url tokens 3, 4 and 5 (0-based; null past the end) (append-only). */
function q22(events: readonly NexmarkEvent[]): Row[] {
  return bidsOf(events).map((b) => ({
    auction: b.auction,
    bidder: b.bidder,
    price: b.price,
    channel: b.channel,
    dir1: splitIndex(b.url, '/', 3),
    dir2: splitIndex(b.url, '/', 4),
    dir3: splitIndex(b.url, '/', 5),
  }));
}

/** Every query with exact rows, keyed 'q0'..'q22' (no q6, q10, q13: not implemented; no q12: processing time). */
export const referenceQueries: Record<string, ReferenceQuery> = {
  q0,
  q1,
  q2,
  q3,
  q4,
  q5,
  q7,
  q8,
  q9,
  q11,
  q14,
  q15,
  q16,
  q17,
  q18,
  q19,
  q20,
  q21,
  q22,
};

// ---------------------------------------------------------------------------------------------------------------
// Comparison

/** Non-integer numbers are rounded to 6 decimal places; -0 becomes 0; undefined values become null. */
function canonicalValue(v: unknown): unknown {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v === 0 ? 0 : v;
    if (!Number.isFinite(v)) return String(v);
    const rounded = Number(v.toFixed(6));
    return rounded === 0 ? 0 : rounded;
  }
  return v === undefined ? null : v;
}

/**
 * Rows as a sorted array of JSON strings, for multiset comparison with assert.deepEqual. Keys keep each row's own
 * order (so column order is checked too). Doubles are rounded to 6 decimal places before stringifying, so values
 * that differ only in the last bits (another summation order, or 0.908 * p versus p * 908 / 1000) compare equal;
 * integers print exactly.
 */
export function canonicalRows(rows: readonly Row[]): string[] {
  return rows
    .map((row) => {
      const out: Row = {};
      for (const [k, v] of Object.entries(row)) out[k] = canonicalValue(v);
      return JSON.stringify(out);
    })
    .sort();
}
