import { lastBase0AuctionId, nextBase0AuctionId } from './auction-generator.js';
import type { GeneratorContext } from './context.js';
import { FIRST_AUCTION_ID, FIRST_PERSON_ID, HOT_AUCTION_RATIO, HOT_BIDDER_RATIO } from './generator-config.js';
import type { Bid } from './model.js';
import { lastBase0PersonId, nextBase0PersonId } from './person-generator.js';
import { nextPrice } from './price.js';
import { type EventRandom, TABLE_STREAM } from './seeded-random.js';
import { buildString } from './strings.js';

/** A bid comes from a hot channel with probability 1 - 1/HOT_CHANNELS_RATIO (reference value). */
export const HOT_CHANNELS_RATIO = 2;
/** Other bids come from one of this many channels "channel-0" … "channel-9999" (reference value). */
export const CHANNELS_NUMBER = 10_000;
export const HOT_CHANNELS: readonly string[] = ['Google', 'Facebook', 'Baidu', 'Apple'];

/** Java's `Integer.reverse`: the 32 bits in reverse order, as a signed int. */
function reverseBits32(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  return (x >>> 16) | (x << 16) | 0;
}

/** "https://www.nexmark.com/<w>/<w>/<w>/item.htm?query=1", each w 3 or 4 of a–z and '_' (reference `getBaseUrl`). */
function baseUrl(rnd: EventRandom): string {
  const a = buildString(rnd, 5, '_');
  const b = buildString(rnd, 5, '_');
  const c = buildString(rnd, 5, '_');
  return `https://www.nexmark.com/${a}/${b}/${c}/item.htm?query=1`;
}

/**
 * The channels of bids and their urls, derived once from the seed (the reference draws them from unseeded randomness,
 * lazily, per process): four hot channels with a url each, and CHANNELS_NUMBER channels "channel-N" whose url is a
 * base url plus, with probability 9/10, "&channel_id=" and |Integer.reverse(N)| — with Java's `Math.abs`, so
 * channel 1 gets -2147483648.
 */
export class ChannelTable {
  readonly hotUrls: readonly string[];
  readonly channels: readonly string[];
  readonly urls: readonly string[];

  constructor(key: number, rnd: EventRandom) {
    rnd.reset(key, 2, TABLE_STREAM);
    this.hotUrls = HOT_CHANNELS.map(() => baseUrl(rnd));
    const channels: string[] = [];
    const urls: string[] = [];
    for (let n = 0; n < CHANNELS_NUMBER; n++) {
      let url = baseUrl(rnd);
      if (rnd.int(10) > 0) {
        const r = reverseBits32(n);
        url = `${url}&channel_id=${r === -2147483648 ? r : Math.abs(r)}`;
      }
      channels.push(`channel-${n}`);
      urls.push(url);
    }
    this.channels = channels;
    this.urls = urls;
  }
}

/** The bid of event id `eventId` at `timestamp` (reference `BidGenerator.nextBid`, not in extended-bid mode). */
export function nextBid(ctx: GeneratorContext, eventId: number, timestamp: number): Bid {
  const c = ctx.config;
  const rnd = ctx.rnd;
  // P(hot auction) = 1 - 1/hotAuctionRatio: the first auction of the current block of HOT_AUCTION_RATIO auctions.
  const auction =
    (rnd.int(c.hotAuctionRatio) > 0
      ? Math.floor(lastBase0AuctionId(c, ctx.totalProportion, eventId) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO
      : nextBase0AuctionId(ctx, eventId)) + FIRST_AUCTION_ID;
  // P(hot bidder) = 1 - 1/hotBiddersRatio: the *second* person of the current block of HOT_BIDDER_RATIO persons (so
  // hot bidders and hot sellers differ), which may not have been generated yet.
  let bidder =
    (rnd.int(c.hotBiddersRatio) > 0
      ? Math.floor(lastBase0PersonId(c, ctx.totalProportion, eventId) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1
      : nextBase0PersonId(ctx, eventId)) + FIRST_PERSON_ID;
  const price = nextPrice(rnd);
  let channel: string;
  let url: string;
  if (rnd.int(HOT_CHANNELS_RATIO) > 0) {
    const i = rnd.int(HOT_CHANNELS.length);
    channel = HOT_CHANNELS[i]!;
    url = ctx.channels.hotUrls[i]!;
  } else {
    const n = rnd.int(CHANNELS_NUMBER);
    channel = ctx.channels.channels[n]!;
    url = ctx.channels.urls[n]!;
  }
  // The reference adds FIRST_PERSON_ID a second time here (nexmark/nexmark issue #30).
  if (c.doubleBidderOffset) bidder += FIRST_PERSON_ID;
  const extra = ctx.strings.nextExtra(rnd, 8 + 8 + 8 + 8, c.avgBidByteSize);
  return { auction, bidder, price, channel, url, dateTime: timestamp, extra };
}
