/** Nexmark q1, currency conversion: every bid with its price in euros (0.908 × dollars, DECIMAL with 3 places). */
import { defineJob } from 'sluice';
import { nexmarkInput, toEuros } from './common.js';

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['auction', 'bidder', 'price', 'extra'] });
  q.emit(
    q.bids().map(
      (b) => ({
        auction: b.auction,
        bidder: b.bidder,
        price: toEuros(b.price),
        dateTime: b.dateTime,
        extra: b.extra,
      }),
      'q1',
    ),
  );
});
