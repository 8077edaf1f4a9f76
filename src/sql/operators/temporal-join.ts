import type { DataStream } from '../../api/data-stream.js';
import type { ChangelogMode, Row } from '../runtime/row.js';
import type { SqlOperatorOptions } from './common.js';

/**
 * Event-time temporal join `probe JOIN versioned FOR SYSTEM_TIME AS OF probe.rowtime ON keys`: each probe row joins
 * the version of the versioned table (a changelog with a primary key and a rowtime) valid at the probe row's time.
 * Probe rows wait until the watermark passes their time, then join and are emitted as INSERTs (LEFT pads with NULLs).
 * Processing-time variant (`eventTime` false): joins the latest version at arrival.
 */
export function temporalJoin(
  probe: DataStream<Row>,
  versioned: DataStream<Row>,
  versionedMode: ChangelogMode,
  joinType: 'INNER' | 'LEFT',
  probeKeys: readonly number[],
  versionedKeys: readonly number[],
  probeTimeIndex: number,
  versionedTimeIndex: number,
  probeWidth: number,
  versionedWidth: number,
  condition: ((left: Row, right: Row) => boolean) | undefined,
  eventTime: boolean,
  options: SqlOperatorOptions,
): DataStream<Row> {
  throw new Error(
    `temporalJoin not implemented (${probe}, ${versioned}, ${versionedMode}, ${joinType}, ${probeKeys}, ${versionedKeys}, ${probeTimeIndex}, ${versionedTimeIndex}, ${probeWidth}, ${versionedWidth}, ${condition}, ${eventTime}, ${options.name})`,
  );
}
