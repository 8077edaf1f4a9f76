/** Nexmark q22, URL directories: tokens 3–5 of each bid's url split on '/' (empty tokens kept, null past the end). */
import { defineJob } from 'sluice';
import { nexmarkInput } from './common.js';

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['auction', 'bidder', 'price', 'channel', 'url'] });
  q.emit(
    q.bids().map((b) => {
      // Tokens 3, 4 and 5 of the url split on '/' as SPLIT_INDEX gives them: token k runs from after slash k - 1
      // to slash k (or the end) and exists when slash k - 1 does; empty tokens count. One pass, no token array.
      const url = b.url;
      const s2 = nthSlash(url, 0, 3);
      const s3 = s2 === -1 ? -1 : url.indexOf('/', s2 + 1);
      const s4 = s3 === -1 ? -1 : url.indexOf('/', s3 + 1);
      const s5 = s4 === -1 ? -1 : url.indexOf('/', s4 + 1);
      return {
        auction: b.auction,
        bidder: b.bidder,
        price: b.price,
        channel: b.channel,
        dir1: s2 === -1 ? null : url.slice(s2 + 1, s3 === -1 ? url.length : s3),
        dir2: s3 === -1 ? null : url.slice(s3 + 1, s4 === -1 ? url.length : s4),
        dir3: s4 === -1 ? null : url.slice(s4 + 1, s5 === -1 ? url.length : s5),
      };
    }, 'q22'),
  );
});

/** Position of the `n`-th '/' at or after `from` (n >= 1), or -1. */
function nthSlash(text: string, from: number, n: number): number {
  let at = from - 1;
  for (let i = 0; i < n; i++) {
    at = text.indexOf('/', at + 1);
    if (at === -1) return -1;
  }
  return at;
}
