/**
 * Nexmark q20, expand bid with auction: every bid on an auction of category 10, with all the auction's columns
 * (a regular inner join on bid.auction = auction.id).
 */
import { type Auction, type Bid, defineJob, mapState } from 'sluice';
import { BroadcastEnrichJoin } from './broadcast-enrich-join.js';
import { nexmarkInput } from './common.js';

/** Auctions of other categories are kept as this stub, so bids on them are dropped at once instead of waiting. */
type OtherAuction = { id: number; category: null };

function expand(a: Auction | OtherAuction, b: Bid) {
  if (a.category === null) return undefined;
  return {
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
  };
}

/** Every auction by id, on every subtask: bids (92 % of the events) then need not cross threads to meet theirs. */
const AUCTIONS = mapState<number, Auction | OtherAuction>('auctions');

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, {
    auction: ['id', 'itemName', 'description', 'initialBid', 'reserve', 'expires', 'seller', 'category', 'extra'],
    bid: ['auction', 'bidder', 'price', 'channel', 'url', 'extra'],
  });
  const auctions = q
    .auctions()
    .map((a): Auction | OtherAuction => (a.category === 10 ? a : { id: a.id, category: null }), 'q20-category')
    .broadcast(AUCTIONS);
  q.emit(
    q
      .bids()
      .connect(auctions)
      .process(
        new BroadcastEnrichJoin(
          AUCTIONS,
          (a) => a.id,
          (b: Bid) => b.auction,
          expand,
        ),
        'q20-join',
      ),
  );
});
