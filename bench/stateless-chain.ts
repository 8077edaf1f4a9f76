import { defineJob } from '../src/index.js';

/** generator → map → filter → discard, chained into one task. args: [records] */
export default defineJob((env, args) => {
  const count = Number(args[0] ?? 20_000_000);
  env
    .fromGenerator((i) => i, { count })
    .map((i) => i * 3 + 1)
    .filter((x) => (x & 1) === 0)
    .discard();
});
