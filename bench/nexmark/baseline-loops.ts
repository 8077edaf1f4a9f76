/**
 * Hand-written baseline for the Nexmark queries q0, q5, q7 and q11: one plain single-threaded loop per query that
 * generates Nexmark-shaped bids inline and answers the query inline. No engine, no batches, no records: the
 * generator writes one bid's fields into a few module variables and the query reads them straight back.
 *
 * This is a BASELINE, not a Nexmark implementation: it does not reproduce the reference generator (ids, prices,
 * channels and extras only follow its shape and skew, from a cheap xorshift32 PRNG), and persons and auctions are
 * skipped, not generated. It exists to compare the engine's per-record overhead with the cheapest possible code;
 * use bench/nexmark/run.ts for the real queries.
 *
 * Event i (of N) has event time BASE_TIME + i/10 ms (a nominal 10,000 events/s); in every block of 50 events,
 * 1 is a person, 3 are auctions, 46 are bids. Throughput is N / elapsed, counting all N events, as the engine does.
 *
 * Usage: npx tsx bench/nexmark/baseline-loops.ts [--events N (10,000,000)] [--runs R (3)]; prints the best run.
 */
import { parseArgs } from 'node:util';

const BASE_TIME = 1_700_000_000_000; // epoch ms, a multiple of every window size below
const FIRST_ID = 1000; // first auction and person id, as in the reference

// ---- Inline generator ---------------------------------------------------------------------------------------------

let seed = 1; // xorshift32 state (never 0)
/** xorshift32 (Marsaglia): the next 32-bit draw as an unsigned integer. */
function rnd(): number {
  let x = seed;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  seed = x;
  return x >>> 0;
}

// Price in cents, log-uniform over 1 .. 10^6 dollars like the reference's 10 ** (random * 6) * 100: a 64 Ki table.
const PRICES = new Float64Array(65_536);
for (let k = 0; k < PRICES.length; k++) PRICES[k] = Math.round(10 ** (((k + 0.5) / PRICES.length) * 6) * 100);
// Channel and url: four "hot" channels plus a few ordinary ones, precomputed.
const CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple', 'channel-1', 'channel-2', 'channel-3', 'channel-4'];
const URLS = CHANNELS.map((c, k) => `https://www.nexmark.com/${c.toLowerCase()}/item.htm?query=${k}`);
// Extra: a 32..47 character slice of one precomputed random string.
const EXTRA_SOURCE = Array.from({ length: 2048 }, (_, k) => String.fromCharCode(97 + ((k * 7919) % 26))).join('');

// The current bid, written by nextBid() and read by the query loops.
let auction = 0;
let bidder = 0;
let price = 0;
let channel = '';
let url = '';
let dateTime = 0;
let extra = '';

/** Fills the current bid for event i (epoch = i / 50, one of 46 bid slots per epoch). Two draws per bid. */
function nextBid(i: number): void {
  const epoch = Math.floor(i / 50);
  const r1 = rnd();
  // Auction: the hot one (the last multiple of 100) half the time, else one of the last ~100 auctions.
  const lastAuction = epoch * 3 + 2;
  auction =
    FIRST_ID +
    (r1 & 1 ? lastAuction - (lastAuction % 100) : Math.max(0, lastAuction - ((((r1 >>> 1) & 127) * 100) >>> 7)));
  // Bidder: a hot one (second person of the current block of 100) 3/4 of the time, else one of the last ~1000.
  bidder = FIRST_ID + ((r1 >>> 8) & 3 ? epoch - (epoch % 100) + 1 : Math.max(0, epoch - ((r1 >>> 10) & 1023)));
  const r2 = rnd();
  price = PRICES[r2 >>> 16]!;
  channel = CHANNELS[r2 & 7]!;
  url = URLS[r2 & 7]!;
  const start = (r2 >>> 3) & 2047 & ~63;
  extra = EXTRA_SOURCE.slice(start, start + 32 + ((r1 >>> 20) & 15));
  dateTime = BASE_TIME + Math.floor(i / 10);
}

/** Events 0..3 of each block of 50 are the person and the auctions, which the loops skip without generating. */
const isBid = (i: number): boolean => i % 50 >= 4;

// ---- q0: pass-through ---------------------------------------------------------------------------------------------

function q0(n: number): number {
  let check = 0;
  for (let i = 0; i < n; i++) {
    if (!isBid(i)) continue;
    nextBid(i);
    // Consume every column so that nothing can be optimised away.
    check =
      (check +
        (auction ^ bidder ^ price ^ dateTime) +
        extra.length +
        extra.charCodeAt(31) +
        channel.length +
        url.length) |
      0;
  }
  return check;
}

// ---- q5: hot items (sliding 10 s windows every 2 s) ---------------------------------------------------------------

const SLIDE = 2_000;
const PANES = 5; // window size / slide

function q5(n: number): number {
  // Bid counts per auction for the last 5 panes of 2 s (a ring); a window is the sum of its 5 panes.
  const panes = Array.from({ length: PANES }, () => new Map<number, number>());
  const totals = new Map<number, number>();
  let cur = 0;
  let paneEnd = BASE_TIME + SLIDE;
  let check = 0;
  /** The window ending at paneEnd is complete: sum its panes, emit the auctions with the max count, slide. */
  const closeWindow = (): void => {
    totals.clear();
    let max = 0;
    for (const pane of panes)
      for (const [a, c] of pane) {
        const t = (totals.get(a) ?? 0) + c;
        totals.set(a, t);
        if (t > max) max = t;
      }
    if (max > 0) for (const [a, t] of totals) if (t === max) check = (check + a + t + paneEnd) | 0; // one output row
    cur = (cur + 1) % PANES;
    panes[cur]!.clear();
    paneEnd += SLIDE;
  };
  for (let i = 0; i < n; i++) {
    if (!isBid(i)) continue;
    nextBid(i);
    while (dateTime >= paneEnd) closeWindow(); // event time passed the window end: it fires
    const pane = panes[cur]!;
    pane.set(auction, (pane.get(auction) ?? 0) + 1);
  }
  for (let k = 0; k < PANES; k++) closeWindow(); // end of input: the last windows fire too
  return check;
}

// ---- q7: highest bid per 10 s tumbling window ---------------------------------------------------------------------

const TUMBLE = 10_000;

function q7(n: number): number {
  // The window's max price and the bids at that price, in parallel arrays reused from window to window.
  // (Ignores the reference's detail that a bid exactly at the window end also matches: BETWEEN is inclusive.)
  const auctions: number[] = [];
  const bidders: number[] = [];
  const times: number[] = [];
  const extras: string[] = [];
  let max = -1;
  let windowEnd = BASE_TIME + TUMBLE;
  let check = 0;
  const closeWindow = (): void => {
    for (let k = 0; k < auctions.length; k++)
      check = (check + auctions[k]! + bidders[k]! + (times[k]! - BASE_TIME) + extras[k]!.length + max) | 0;
    auctions.length = bidders.length = times.length = extras.length = 0;
    max = -1;
    windowEnd += TUMBLE;
  };
  for (let i = 0; i < n; i++) {
    if (!isBid(i)) continue;
    nextBid(i);
    while (dateTime >= windowEnd) closeWindow();
    if (price < max) continue;
    if (price > max) {
      max = price;
      auctions.length = bidders.length = times.length = extras.length = 0;
    }
    auctions.push(auction);
    bidders.push(bidder);
    times.push(dateTime);
    extras.push(extra);
  }
  closeWindow();
  return check;
}

// ---- q11: sessions per bidder, 10 s gap ---------------------------------------------------------------------------

const GAP = 10_000;
const SWEEP = 1_000; // simulated ms between sweeps for sessions that no later bid of their bidder closed

interface Session {
  start: number;
  last: number;
  count: number;
}

function q11(n: number): number {
  const sessions = new Map<number, Session>();
  let nextSweep = BASE_TIME + SWEEP;
  let check = 0;
  const emit = (who: number, s: Session): void => {
    check = (check + who + s.count + (s.start - BASE_TIME) + (s.last + GAP - BASE_TIME)) | 0;
  };
  for (let i = 0; i < n; i++) {
    if (!isBid(i)) continue;
    nextBid(i);
    if (dateTime >= nextSweep) {
      // Periodic sweep (like a watermark advancing): close every session whose end (last + gap) has passed.
      for (const [who, s] of sessions)
        if (s.last + GAP <= dateTime) {
          emit(who, s);
          sessions.delete(who);
        }
      nextSweep += SWEEP;
    }
    const s = sessions.get(bidder);
    if (s === undefined) sessions.set(bidder, { start: dateTime, last: dateTime, count: 1 });
    else if (s.last + GAP <= dateTime) {
      // Lazy close: this bid comes after the session's end, so the session is complete; reuse its record.
      emit(bidder, s);
      s.start = s.last = dateTime;
      s.count = 1;
    } else {
      s.last = dateTime;
      s.count++;
    }
  }
  for (const [who, s] of sessions) emit(who, s); // end of input: every open session closes
  return check;
}

// ---- Driver -------------------------------------------------------------------------------------------------------

const { values } = parseArgs({ options: { events: { type: 'string' }, runs: { type: 'string' } } });
const events = Number(values.events ?? 10_000_000);
const runs = Number(values.runs ?? 3);
if (!Number.isSafeInteger(events) || events < 1 || !Number.isSafeInteger(runs) || runs < 1) {
  console.error('usage: npx tsx bench/nexmark/baseline-loops.ts [--events N >= 1] [--runs R >= 1]');
  process.exit(2);
}

const queries: Record<string, (n: number) => number> = { q0, q5, q7, q11 };
const best: Record<string, number> = {};
for (const [name, query] of Object.entries(queries)) {
  let rate = 0;
  let check = 0;
  for (let run = 0; run < runs; run++) {
    seed = 0x9e3779b9 | 0; // same bids in every run and query
    const start = process.hrtime.bigint();
    check = query(events);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rate = Math.max(rate, events / seconds);
  }
  best[name] = Math.round(rate);
  console.log(`${name.padEnd(3)} ${(rate / 1e6).toFixed(2)} M events/s  (best of ${runs}, check ${check})`);
}
console.log(JSON.stringify(best));
