import type { Bid } from 'sluice';

/** Price levels of q15–q17: 1 below $100, 2 below $10,000, 3 from $10,000 (prices are in cents). */
export function priceLevel(price: number): 1 | 2 | 3 {
  return price < 10_000 ? 1 : price < 1_000_000 ? 2 : 3;
}

/**
 * Bid, bidder and auction counts, in total ([0]) and per price level ([1]–[3]), with exact distinct counts
 * (q15, q16). Each distinct bidder and auction maps to the bit set of the levels it was seen at, so a bid costs one
 * lookup per id and a write only when an id shows up at a new level. Plain data (no methods), so it survives
 * checkpoints as keyed state.
 */
export interface BidStatistics {
  bids: number[];
  bidderCounts: number[];
  auctionCounts: number[];
  bidders: Map<number, number>;
  auctions: Map<number, number>;
}

export function newBidStatistics(): BidStatistics {
  return {
    bids: [0, 0, 0, 0],
    bidderCounts: [0, 0, 0, 0],
    auctionCounts: [0, 0, 0, 0],
    bidders: new Map(),
    auctions: new Map(),
  };
}

function countDistinct(seen: Map<number, number>, counts: number[], id: number, level: number): void {
  const levels = seen.get(id) ?? 0;
  const bit = 1 << level;
  if ((levels & bit) !== 0) return;
  seen.set(id, levels | bit);
  counts[level]!++;
  if (levels === 0) counts[0]!++;
}

export function addBid(s: BidStatistics, b: Pick<Bid, 'price' | 'bidder' | 'auction'>): void {
  const level = priceLevel(b.price);
  s.bids[0]!++;
  s.bids[level]!++;
  countDistinct(s.bidders, s.bidderCounts, b.bidder, level);
  countDistinct(s.auctions, s.auctionCounts, b.auction, level);
}

function mergeDistinct(into: Map<number, number>, counts: number[], from: ReadonlyMap<number, number>): void {
  for (const [id, levels] of from) {
    const old = into.get(id) ?? 0;
    const added = levels & ~old;
    if (added === 0) continue;
    into.set(id, old | levels);
    for (let level = 1; level <= 3; level++) if ((added & (1 << level)) !== 0) counts[level]!++;
    if (old === 0) counts[0]!++;
  }
}

/** Folds `b` into `a` (local-global aggregation): bid counts add up, distinct ids are united. `b` is unchanged. */
export function mergeBidStatistics(a: BidStatistics, b: BidStatistics): void {
  for (let i = 0; i < 4; i++) a.bids[i]! += b.bids[i]!;
  mergeDistinct(a.bidders, a.bidderCounts, b.bidders);
  mergeDistinct(a.auctions, a.auctionCounts, b.auctions);
}

/** The twelve count columns, in the reference's order. */
export function statisticsColumns(s: BidStatistics) {
  const [b, b1, b2, b3] = s.bids;
  const [bd, bd1, bd2, bd3] = s.bidderCounts;
  const [a, a1, a2, a3] = s.auctionCounts;
  return {
    total_bids: b!,
    rank1_bids: b1!,
    rank2_bids: b2!,
    rank3_bids: b3!,
    total_bidders: bd!,
    rank1_bidders: bd1!,
    rank2_bidders: bd2!,
    rank3_bidders: bd3!,
    total_auctions: a!,
    rank1_auctions: a1!,
    rank2_auctions: a2!,
    rank3_auctions: a3!,
  };
}
