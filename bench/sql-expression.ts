// Rows per second of one compiled SQL projection and predicate (Nexmark q1/q15-like expressions) over 1M rows.
// Run: npx tsx bench/sql-expression.ts
import { createExpressionCompiler } from '../src/sql/expr/expression-compiler.js';
import { FunctionRegistry } from '../src/sql/functions/function-registry.js';
import type { Rex } from '../src/sql/plan/rex.js';
import { SqlTypes } from '../src/sql/types/type-factory.js';

const registry = new FunctionRegistry();
const call = (name: string, ...args: Rex[]): Rex => ({
  kind: 'call',
  name,
  args,
  type: registry.scalar(name)?.inferType(args.map((a) => a.type)) ?? SqlTypes.any(),
});
const col = (index: number, type = SqlTypes.bigint()): Rex => ({ kind: 'input', index, type });
const lit = (value: unknown, type: ReturnType<typeof SqlTypes.int>): Rex => ({ kind: 'literal', value, type });
const compiler = createExpressionCompiler(registry);
const ts = col(3, SqlTypes.timestamp(3));
const projection = compiler.projection(
  [
    col(0),
    call('*', lit(0.908, SqlTypes.decimal(4, 3, false)), col(2)),
    call('DATE_FORMAT', ts, lit('yyyy-MM-dd', SqlTypes.string(false))),
    call(
      'CASE',
      call('>=', call('HOUR', ts), lit(8, SqlTypes.bigint(false))),
      lit('day', SqlTypes.string(false)),
      lit('night', SqlTypes.string(false)),
    ),
    call('UPPER', col(4, SqlTypes.string())),
  ],
  'bench',
);
const predicate = compiler.predicate(
  call('=', call('MOD', col(0), lit(123, SqlTypes.int(false))), lit(0, SqlTypes.int(false))),
  'bench',
);
const rows = Array.from({ length: 1_000_000 }, (_, i) => [
  0,
  i,
  i % 1000,
  i * 7,
  1_600_000_000_000 + i * 1000,
  `channel-${i % 10}`,
]);
for (let round = 0; round < 3; round++) {
  let start = performance.now();
  let kept = 0;
  for (const row of rows) projection(row);
  const projectionMs = performance.now() - start;
  start = performance.now();
  for (const row of rows) if (predicate(row)) kept++;
  const predicateMs = performance.now() - start;
  console.log(
    `projection (5 expressions): ${(1000 / projectionMs).toFixed(2)} M rows/s; predicate: ${(1000 / predicateMs).toFixed(1)} M rows/s (${kept} kept)`,
  );
}
