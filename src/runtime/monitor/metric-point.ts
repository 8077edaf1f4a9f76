import type { SubtaskSample } from '../metrics/subtask-sample.js';

/**
 * One subtask's figures at one time, under Flink's metric names: counters and accumulated times summed over every
 * attempt of the run, rates over the interval since the previous sample (time rates in ms per second, 0–1000).
 * Watermarks are epoch ms, or null before the first one.
 */
export interface MetricPoint {
  time: number;
  numRecordsIn: number;
  numRecordsOut: number;
  numRecordsInPerSecond: number;
  numRecordsOutPerSecond: number;
  busyTimeMsPerSecond: number;
  backPressuredTimeMsPerSecond: number;
  idleTimeMsPerSecond: number;
  accumulatedBusyTimeMs: number;
  accumulatedBackPressuredTimeMs: number;
  accumulatedIdleTimeMs: number;
  currentInputWatermark: number | null;
  currentOutputWatermark: number | null;
  numLateRecordsDropped: number;
  /** Keyed state entries held now. */
  stateEntries: number;
  /** Bytes of this subtask's state in the last completed checkpoint. */
  checkpointedSize: number;
}

/** The metric names a point carries, in the order documents list them. */
export const METRIC_NAMES = [
  'numRecordsIn',
  'numRecordsOut',
  'numRecordsInPerSecond',
  'numRecordsOutPerSecond',
  'busyTimeMsPerSecond',
  'backPressuredTimeMsPerSecond',
  'idleTimeMsPerSecond',
  'accumulatedBusyTimeMs',
  'accumulatedBackPressuredTimeMs',
  'accumulatedIdleTimeMs',
  'currentInputWatermark',
  'currentOutputWatermark',
  'numLateRecordsDropped',
  'stateEntries',
  'checkpointedSize',
] as const satisfies readonly (keyof MetricPoint)[];

/** Counters that add up over attempts (a restarted attempt counts from 0 again). */
export interface AttemptBase {
  recordsIn: number;
  recordsOut: number;
  busyMs: number;
  backPressuredMs: number;
  idleMs: number;
  late: number;
}

export const ZERO_BASE: AttemptBase = {
  recordsIn: 0,
  recordsOut: 0,
  busyMs: 0,
  backPressuredMs: 0,
  idleMs: 0,
  late: 0,
};

/** The point of `sample`, given the previous sample of the same attempt (or the attempt's start) and the base. */
export function toPoint(
  sample: SubtaskSample,
  previous: SubtaskSample | { time: number } | undefined,
  base: AttemptBase,
  checkpointedSize: number,
  last: MetricPoint | undefined,
): MetricPoint {
  const prev = previous as Partial<SubtaskSample> & { time: number };
  const dt = previous === undefined ? 0 : (sample.time - prev.time) / 1000;
  const rate = (now: number, before: number | undefined) => (dt > 0 ? Math.max(0, (now - (before ?? 0)) / dt) : 0);
  const ms = (now: number, before: number | undefined) => Math.min(1000, Math.round(rate(now, before)));
  const keep = dt <= 0 && last !== undefined;
  return {
    time: sample.time,
    numRecordsIn: base.recordsIn + sample.recordsIn,
    numRecordsOut: base.recordsOut + sample.recordsOut,
    numRecordsInPerSecond: keep ? last.numRecordsInPerSecond : rate(sample.recordsIn, prev?.recordsIn),
    numRecordsOutPerSecond: keep ? last.numRecordsOutPerSecond : rate(sample.recordsOut, prev?.recordsOut),
    busyTimeMsPerSecond: keep ? last.busyTimeMsPerSecond : ms(sample.busyMs, prev?.busyMs),
    backPressuredTimeMsPerSecond: keep
      ? last.backPressuredTimeMsPerSecond
      : ms(sample.backPressuredMs, prev?.backPressuredMs),
    idleTimeMsPerSecond: keep ? last.idleTimeMsPerSecond : ms(sample.idleMs, prev?.idleMs),
    accumulatedBusyTimeMs: Math.round(base.busyMs + sample.busyMs),
    accumulatedBackPressuredTimeMs: Math.round(base.backPressuredMs + sample.backPressuredMs),
    accumulatedIdleTimeMs: Math.round(base.idleMs + sample.idleMs),
    currentInputWatermark: sample.inputWatermark,
    currentOutputWatermark: sample.outputWatermark,
    numLateRecordsDropped: base.late + sample.lateRecordsDropped,
    stateEntries: sample.stateEntries,
    checkpointedSize,
  };
}

/** The base of the next attempt: everything counted until the end of this one. */
export function nextBase(base: AttemptBase, last: SubtaskSample | undefined): AttemptBase {
  if (last === undefined) return base;
  return {
    recordsIn: base.recordsIn + last.recordsIn,
    recordsOut: base.recordsOut + last.recordsOut,
    busyMs: base.busyMs + last.busyMs,
    backPressuredMs: base.backPressuredMs + last.backPressuredMs,
    idleMs: base.idleMs + last.idleMs,
    late: base.late + last.lateRecordsDropped,
  };
}
