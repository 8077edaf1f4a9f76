import { defineJob, TumblingEventTimeWindows, WatermarkStrategies } from '../src/index.js';

interface Click {
  key: number;
  ts: number;
}

/**
 * keyBy + 60 s tumbling event-time count over 100k keys. 1000 records per simulated millisecond of event time, so a
 * window holds 60M records' worth of time; args: [records, keys]
 */
export default defineJob((env, args) => {
  const count = Number(args[0] ?? 10_000_000);
  const keys = Number(args[1] ?? 100_000);
  env
    .fromGenerator((i): Click => ({ key: (i * 2654435761) % keys, ts: Math.floor(i / 50) }), { count })
    .assignTimestampsAndWatermarks(
      WatermarkStrategies.forMonotonousTimestamps<Click>().withTimestampAssigner((c) => c.ts),
    )
    .keyBy((c) => c.key)
    .window(TumblingEventTimeWindows.of(60_000))
    .aggregate({ createAccumulator: () => 0, add: (_c: Click, n: number) => n + 1, getResult: (n) => n })
    .discard();
});
