/** Turning Kafka record bytes into values (source side) and values into bytes (sink side). */
import { PlanError } from '../../core/errors.js';

/**
 * How record bytes become a value: 'json' (UTF-8 JSON), 'string' (UTF-8), 'bytes' (the Buffer itself) or a
 * function of the bytes. A missing key or value (null, e.g. a tombstone) is passed to a function as null and
 * becomes null for the named formats. A deserializer that throws makes the record a bad record.
 */
export type KafkaDeserializer<V> = 'json' | 'string' | 'bytes' | ((bytes: Buffer | null) => V);

/**
 * How a value becomes record bytes: 'json' (`JSON.stringify`, UTF-8), 'string' (`String(value)`, UTF-8) or a
 * function returning a Buffer, a string (UTF-8) or null (no value, e.g. a tombstone).
 */
export type KafkaSerializer<V> = 'json' | 'string' | ((value: V) => Buffer | Uint8Array | string | null | undefined);

export function deserializer<V>(spec: KafkaDeserializer<V> | undefined, what: string): (b: Buffer | null) => V {
  switch (spec ?? 'json') {
    case 'json':
      return (b) => (b === null ? null : JSON.parse(b.toString('utf8'))) as V;
    case 'string':
      return (b) => (b === null ? null : b.toString('utf8')) as V;
    case 'bytes':
      return (b) => b as V;
    default:
      if (typeof spec === 'function') return spec;
      throw new PlanError(
        `unknown ${what} deserializer '${String(spec)}' (expected json, string, bytes or a function)`,
      );
  }
}

export function serializer<V>(spec: KafkaSerializer<V> | undefined, what: string): (v: V) => Buffer | undefined {
  switch (spec ?? 'json') {
    case 'json':
      return (v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8');
    case 'string':
      return (v) => Buffer.from(String(v), 'utf8');
    default: {
      if (typeof spec !== 'function') {
        throw new PlanError(`unknown ${what} serializer '${String(spec)}' (expected json, string or a function)`);
      }
      return (v) => toBuffer(spec(v));
    }
  }
}

/** A key, header value or serializer result as bytes; null and undefined mean "none". */
export function toBuffer(v: Buffer | Uint8Array | string | null | undefined): Buffer | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
