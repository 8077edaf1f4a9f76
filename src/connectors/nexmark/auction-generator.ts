import { type GeneratorContext, timestampForEvent } from './context.js';
import {
  AUCTION_ID_LEAD,
  FIRST_AUCTION_ID,
  FIRST_CATEGORY_ID,
  FIRST_PERSON_ID,
  HOT_SELLER_RATIO,
  type NexmarkConfig,
  NUM_CATEGORIES,
} from './generator-config.js';
import type { Auction } from './model.js';
import { lastBase0PersonId, nextBase0PersonId } from './person-generator.js';
import { nextPrice } from './price.js';

/**
 * The last auction id generated (base 0) at event id `eventId`: the current auction's id if the event is an auction;
 * at a person event, the last auction of the previous epoch (-1 before the first auction).
 */
export function lastBase0AuctionId(config: NexmarkConfig, totalProportion: number, eventId: number): number {
  let epoch = Math.floor(eventId / totalProportion);
  let offset = eventId - epoch * totalProportion;
  if (offset < config.personProportion) {
    epoch--;
    offset = config.auctionProportion - 1;
  } else if (offset >= config.personProportion + config.auctionProportion) {
    offset = config.auctionProportion - 1;
  } else {
    offset -= config.personProportion;
  }
  return epoch * config.auctionProportion + offset;
}

/**
 * A random auction id (base 0) among those likely still open — the last `numInFlightAuctions` — plus
 * AUCTION_ID_LEAD not generated yet.
 */
export function nextBase0AuctionId(ctx: GeneratorContext, eventId: number): number {
  const max = lastBase0AuctionId(ctx.config, ctx.totalProportion, eventId);
  const min = Math.max(max - ctx.config.numInFlightAuctions, 0);
  return min + ctx.rnd.long(max - min + 1 + AUCTION_ID_LEAD);
}

/**
 * How long an auction runs, ms: 1 + uniform [0, 2 * horizon), where the horizon is the event time until
 * `numInFlightAuctions` more auctions will have been generated, so that about that many are open at any time.
 */
function nextAuctionLengthMs(ctx: GeneratorContext, eventNumber: number, timestamp: number): number {
  const c = ctx.config;
  const eventsForAuctions = Math.floor((c.numInFlightAuctions * ctx.totalProportion) / c.auctionProportion);
  const horizonMs = timestampForEvent(ctx, eventNumber + eventsForAuctions) - timestamp;
  return 1 + ctx.rnd.long(Math.max(horizonMs * 2, 1));
}

/**
 * The auction of event id `eventId`, event number `eventNumber`, at `timestamp` (reference
 * `AuctionGenerator.nextAuction`, not in extended-bid mode).
 */
export function nextAuction(ctx: GeneratorContext, eventId: number, eventNumber: number, timestamp: number): Auction {
  const c = ctx.config;
  const rnd = ctx.rnd;
  const id = lastBase0AuctionId(c, ctx.totalProportion, eventId) + FIRST_AUCTION_ID;
  // P(hot seller) = 1 - 1/hotSellersRatio: the first person of the current block of HOT_SELLER_RATIO persons.
  const seller =
    (rnd.int(c.hotSellersRatio) > 0
      ? Math.floor(lastBase0PersonId(c, ctx.totalProportion, eventId) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO
      : nextBase0PersonId(ctx, eventId)) + FIRST_PERSON_ID;
  const category = FIRST_CATEGORY_ID + rnd.int(NUM_CATEGORIES);
  const initialBid = nextPrice(rnd);
  const expires = timestamp + nextAuctionLengthMs(ctx, eventNumber, timestamp);
  const itemName = ctx.strings.nextString(rnd, 20);
  const description = ctx.strings.nextString(rnd, 100);
  const reserve = initialBid + nextPrice(rnd);
  const currentSize = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
  const extra = ctx.strings.nextExtra(rnd, currentSize, c.avgAuctionByteSize);
  return { id, itemName, description, initialBid, reserve, dateTime: timestamp, expires, seller, category, extra };
}
