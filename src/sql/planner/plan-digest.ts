import type { LogicalNode } from './logical-nodes.js';

/** Built-ins whose results differ between evaluations: a subplan calling one is never shared. */
const NONDETERMINISTIC = new Set([
  'RAND',
  'RAND_INTEGER',
  'UUID',
  'NOW',
  'PROCTIME',
  'CURRENT_TIMESTAMP',
  'CURRENT_ROW_TIMESTAMP',
  'CURRENT_DATE',
  'CURRENT_TIME',
  'LOCALTIME',
  'LOCALTIMESTAMP',
  'UNIX_TIMESTAMP',
]);

/**
 * A structural digest of a logical subplan for sub-plan reuse (Flink's `table.optimizer.reuse-sub-plan-enabled`):
 * two subplans with equal digests compute the same rows, so one lowered stream can feed both consumers (Nexmark q5
 * reads the same HOP count twice). Source spans and output column names (schemas) do not take part; tables are named
 * by their qualified name. Undefined — never shared — for subplans over DataStreams given from code or calling user
 * functions or non-deterministic built-ins.
 */
export function planDigest(node: LogicalNode): string | undefined {
  let shareable = true;
  const text = JSON.stringify(node, (key, value: unknown) => {
    if (key === 'span' || key === 'schema') return undefined;
    if (key === 'table' && typeof value === 'object' && value !== null && 'qualifiedName' in value) {
      return `table:${(value as { qualifiedName: string }).qualifiedName}`;
    }
    if (typeof value === 'bigint') return `${value}n`;
    if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('hex')}`;
    if (value instanceof Map) return { map: [...value] };
    if (typeof value === 'object' && value !== null) {
      const o = value as { kind?: unknown; name?: unknown; udf?: unknown };
      if (o.kind === 'datastream') shareable = false;
      if (o.kind === 'call' && (o.udf === true || NONDETERMINISTIC.has(String(o.name).toUpperCase())))
        shareable = false;
    }
    return value;
  });
  return shareable ? text : undefined;
}
