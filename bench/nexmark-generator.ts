import { NexmarkGenerator } from '../src/connectors/nexmark/index.js';

/**
 * Nexmark generator throughput on one thread: events generated into objects (no serialisation), best of three runs.
 * Usage: npx tsx bench/nexmark-generator.ts [events = 5000000] [seed = 42]
 */
const n = Number(process.argv[2] ?? 5_000_000);
const seed = Number(process.argv[3] ?? 42);
if (!Number.isSafeInteger(n) || n < 1 || !Number.isSafeInteger(seed)) {
  console.error('usage: npx tsx bench/nexmark-generator.ts [events >= 1] [integer seed]');
  process.exit(2);
}

const t0 = performance.now();
const generator = new NexmarkGenerator({ seed });
console.log(`setup (seed tables): ${(performance.now() - t0).toFixed(1)} ms`);

let best = 0;
for (let run = 1; run <= 3; run++) {
  let check = 0;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const e = generator.event(i);
    // Touch the result so that the work cannot be optimised away.
    check += e.event_type === 2 ? e.bid.price : e.event_type === 1 ? e.auction.reserve : e.person.id;
  }
  const seconds = (performance.now() - start) / 1000;
  const rate = n / seconds;
  best = Math.max(best, rate);
  console.log(
    `run ${run}: ${n} events in ${seconds.toFixed(3)} s = ${(rate / 1e6).toFixed(2)} M events/s (check ${check % 1000})`,
  );
}
console.log(`best: ${(best / 1e6).toFixed(2)} M events/s`);
