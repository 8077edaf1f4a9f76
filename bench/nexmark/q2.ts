/** Nexmark q2, selection: bids on every 123rd auction. */
import { defineJob } from 'sluice';
import { nexmarkInput } from './common.js';

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['auction', 'price'] });
  q.emit(
    q
      .bids()
      .filter((b) => b.auction % 123 === 0, 'q2-filter')
      .map((b) => ({ auction: b.auction, price: b.price }), 'q2'),
  );
});
