/** Nexmark q22, URL directories: tokens 3–5 of each bid's url split on '/' (empty tokens kept, null past the end). */
import { defineJob } from 'sluice';
import { nexmarkInput } from './common.js';

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args);
  q.emit(
    q.bids().map((b) => {
      // SPLIT_INDEX keeps empty tokens; the empty string has none.
      const parts = b.url === '' ? [] : b.url.split('/');
      return {
        auction: b.auction,
        bidder: b.bidder,
        price: b.price,
        channel: b.channel,
        dir1: parts[3] ?? null,
        dir2: parts[4] ?? null,
        dir3: parts[5] ?? null,
      };
    }, 'q22'),
  );
});
