/**
 * Names a side output of an operator (late data, dead letters, anything a ProcessFunction routes aside).
 * Two tags are the same side output when their ids are equal.
 */
export class OutputTag<T> {
  /** Phantom field carrying the element type; never set. */
  declare readonly __type?: T;
  constructor(readonly id: string) {}
}
