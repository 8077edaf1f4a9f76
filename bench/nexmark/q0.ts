/** Nexmark q0, pass-through: every bid, to measure the engine's overhead with the generator. */
import { defineJob } from 'sluice';
import { nexmarkInput } from './common.js';

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['auction', 'bidder', 'price', 'extra'] });
  q.emit(
    q
      .bids()
      .map(
        (b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra }),
        'q0',
      ),
  );
});
