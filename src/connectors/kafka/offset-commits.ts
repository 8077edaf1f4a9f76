import type { Admin } from '@platformatic/kafka';
import { describeKafkaError } from './client.js';
import type { KafkaPartitionPosition } from './kafka-source-reader.js';

/**
 * Reader positions taken at checkpoints, committed to the consumer group once their checkpoint is complete (as
 * Flink's Kafka source does): the group then never shows a position whose checkpoint could still fail. Commits are
 * for monitoring only; positions always come from Sluice's checkpoints.
 */
export class PendingOffsetCommits {
  private readonly pending = new Map<number, readonly KafkaPartitionPosition[]>();
  private inFlight: Promise<void> | undefined;
  private warned = false;

  /**
   * @param name the reader's name, for the one warning a failing commit gives
   * @param admin the reader's admin client (undefined: nothing is committed)
   * @param closing true once the reader is closing (failures are then not worth a warning)
   */
  constructor(
    private readonly name: string,
    private readonly groupId: string,
    private readonly admin: () => Admin | undefined,
    private readonly closing: () => boolean,
  ) {}

  /** Commits positions to the group; a failure is reported once per reader and otherwise ignored (monitoring). */
  private async commit(positions: readonly KafkaPartitionPosition[]): Promise<void> {
    const admin = this.admin();
    if (admin === undefined) return;
    await commitToGroup(admin, this.groupId, positions).catch((e: unknown) => {
      if (this.warned || this.closing()) return;
      this.warned = true;
      process.stderr.write(
        `warning: ${this.name}: cannot commit offsets to group ${this.groupId}: ${describeKafkaError(e)}\n`,
      );
    });
  }

  /** The reader snapshotted `positions` for checkpoint `checkpointId` (0: its final snapshot). */
  taken(checkpointId: number | undefined, positions: readonly KafkaPartitionPosition[]): void {
    if (checkpointId !== undefined && positions.length > 0) this.pending.set(checkpointId, positions);
  }

  /** Checkpoint `checkpointId` completed: commits the newest positions it covers and forgets older ones. */
  completed(checkpointId: number): void {
    // Id 0 (the final snapshot) is reported on its own once a checkpoint including it completes.
    const covered = (id: number) => (checkpointId === 0 ? id === 0 : id !== 0 && id <= checkpointId);
    let newest: number | undefined;
    for (const id of this.pending.keys()) if (covered(id) && (newest === undefined || id > newest)) newest = id;
    if (newest === undefined) return;
    const positions = this.pending.get(newest)!;
    for (const id of [...this.pending.keys()]) if (covered(id)) this.pending.delete(id);
    const previous = this.inFlight ?? Promise.resolve();
    this.inFlight = previous.then(() => this.commit(positions));
  }

  /** Waits, at most `ms`, for the commits under way: a reader closing its client would cut the last one off. */
  async settle(ms = 5_000): Promise<void> {
    if (this.inFlight === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    await Promise.race([this.inFlight, bound]).finally(() => clearTimeout(timer));
  }
}

/** Commits positions to a consumer group (AlterConsumerGroupOffsets, as an admin: the readers are not members). */
async function commitToGroup(
  admin: Admin,
  groupId: string,
  positions: readonly KafkaPartitionPosition[],
): Promise<void> {
  const topics = new Map<string, { partition: number; offset: bigint }[]>();
  for (const p of positions) {
    topics.set(p.topic, [...(topics.get(p.topic) ?? []), { partition: p.partition, offset: p.offset }]);
  }
  await admin.alterConsumerGroupOffsets({
    groupId,
    topics: [...topics].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
  });
}
