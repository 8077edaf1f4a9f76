import type { Source, SourceOutput, SourceReader } from '../../core/source.js';

/**
 * A bounded source over an in-memory array. Runs with parallelism 1 so the records keep their order.
 * The array is copied when the source is created; the position is the checkpointed state.
 */
export class CollectionSource<T> implements Source<T> {
  readonly boundedness = 'bounded';
  readonly maxParallelism = 1;
  private readonly items: readonly T[];
  constructor(
    items: Iterable<T>,
    readonly name = 'collection',
  ) {
    this.items = [...items];
  }
  createReader(): SourceReader<T> {
    const items = this.items;
    let position = 0;
    return {
      pollNext(out: SourceOutput<T>, max: number) {
        const end = Math.min(items.length, position + max);
        for (; position < end; position++) out.collect(items[position]!);
        return position < items.length ? 'more' : 'end';
      },
      snapshotState: () => position,
      // Parallelism is always 1, so there is exactly one previous state.
      restoreState: (states) => {
        position = (states[0] as number | undefined) ?? 0;
      },
    };
  }
}
