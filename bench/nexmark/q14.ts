/**
 * Nexmark q14, calculation: bids whose euro price lies strictly between 1,000,000 and 50,000,000, with the time of
 * day of the bid (UTC hour: 8–18 day, ≤ 6 or ≥ 20 night, else other) and the number of 'c's in `extra`.
 */
import { defineJob } from 'sluice';
import { nexmarkInput, toEuros } from './common.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function bidTimeType(dateTime: number): string {
  const hour = Math.floor((((dateTime % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
  if (hour >= 8 && hour <= 18) return 'dayTime';
  if (hour <= 6 || hour >= 20) return 'nightTime';
  return 'otherTime';
}

function countChar(text: string, c: number): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === c) n++;
  return n;
}

const C = 'c'.charCodeAt(0);

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['auction', 'bidder', 'price', 'extra'] });
  q.emit(
    q
      .bids()
      // 0.908 × price compared in integer thousandths: exact, as the reference's DECIMAL arithmetic.
      .filter((b) => b.price * 908 > 1_000_000_000 && b.price * 908 < 50_000_000_000, 'q14-filter')
      .map(
        (b) => ({
          auction: b.auction,
          bidder: b.bidder,
          price: toEuros(b.price),
          bidTimeType: bidTimeType(b.dateTime),
          dateTime: b.dateTime,
          extra: b.extra,
          c_counts: countChar(b.extra, C),
        }),
        'q14',
      ),
  );
});
