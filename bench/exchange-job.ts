import { defineJob } from '../src/index.js';

/**
 * The exchange benchmark's job: generated records keyed by a uniform key and counted per key after the exchange, so
 * at parallelism p a share (p - 1) / p of them crosses threads. args: [records, shape] with shape `numbers` (two
 * numbers), `bid` (a Nexmark-like bid projection: four numbers and a ~150-character string).
 */
export default defineJob((env, args) => {
  const count = Number(args[0] ?? 4_000_000);
  const shape = args[1] ?? 'numbers';
  const make =
    shape === 'bid'
      ? (i: number) => ({
          auction: i % 10_007,
          bidder: i,
          price: i * 3,
          dateTime: 1_600_000_000_000 + i,
          extra: `${'x'.repeat(100 + (i % 100))}${i}`,
        })
      : (i: number) => ({ auction: i % 10_007, price: i });
  env
    .fromGenerator(make, { count })
    .keyBy((r) => r.auction)
    .map((r) => r.price, 'after-exchange')
    .discard();
});
