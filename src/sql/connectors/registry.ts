import type { TableConnector } from './table-connector.js';

/** Placeholder until the connectors are merged: the connector for a 'connector' option value. */
export function connectorFor(name: string): TableConnector | undefined {
  throw new Error(`SQL connectors not merged yet ('connector' = '${name}')`);
}
