import type { Bid } from 'sluice';

/** Price levels of q15–q17: 1 below $100, 2 below $10,000, 3 from $10,000 (prices are in cents). */
export function priceLevel(price: number): 1 | 2 | 3 {
  return price < 10_000 ? 1 : price < 1_000_000 ? 2 : 3;
}

/**
 * Bid, bidder and auction counts, in total ([0]) and per price level ([1]–[3]), with exact distinct counts
 * (q15, q16). Plain data (no methods), so it survives checkpoints as keyed state.
 */
export interface BidStatistics {
  bids: number[];
  bidders: Set<number>[];
  auctions: Set<number>[];
}

export function newBidStatistics(): BidStatistics {
  return {
    bids: [0, 0, 0, 0],
    bidders: [new Set(), new Set(), new Set(), new Set()],
    auctions: [new Set(), new Set(), new Set(), new Set()],
  };
}

export function addBid(s: BidStatistics, b: Bid): void {
  const level = priceLevel(b.price);
  s.bids[0]!++;
  s.bids[level]!++;
  s.bidders[0]!.add(b.bidder);
  s.bidders[level]!.add(b.bidder);
  s.auctions[0]!.add(b.auction);
  s.auctions[level]!.add(b.auction);
}

/** The twelve count columns, in the reference's order. */
export function statisticsColumns(s: BidStatistics) {
  const [bd, bd1, bd2, bd3] = s.bidders.map((x) => x.size);
  const [a, a1, a2, a3] = s.auctions.map((x) => x.size);
  return {
    total_bids: s.bids[0]!,
    rank1_bids: s.bids[1]!,
    rank2_bids: s.bids[2]!,
    rank3_bids: s.bids[3]!,
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
