/** Turning Kafka record bytes into values (source side) and values into bytes (sink side). */
import { PlanError } from '../../core/errors.js';
import { compileJsonProjection, type JsonProjection, projectJson, UNDECODED } from '../formats/json-projection.js';

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

/**
 * The function that turns record bytes into a value. With `fields` (JSON only), a JSON value is decoded under that
 * projection from its bytes, building only the named fields (see `JsonProjection`); bytes the compiled decoder does
 * not take go through `JSON.parse` and `projectJson`, so values and errors are those of `JSON.parse`.
 *
 * @throws PlanError for an unknown format, or `fields` with a format other than JSON.
 */
export function deserializer<V>(
  spec: KafkaDeserializer<V> | undefined,
  what: string,
  fields?: JsonProjection,
): (b: Buffer | null) => V {
  if (fields !== undefined && (spec ?? 'json') !== 'json') {
    throw new PlanError(
      `'fields' applies to json ${what}s only, not ${typeof spec === 'function' ? 'a function' : spec}`,
    );
  }
  switch (spec ?? 'json') {
    case 'json': {
      if (fields === undefined) return (b) => (b === null ? null : JSON.parse(b.toString('utf8'))) as V;
      const decode = compileJsonProjection(fields);
      return (b) => {
        if (b === null) return null as V;
        const value = decode(b, 0, b.length);
        return (value === UNDECODED ? projectJson(JSON.parse(b.toString('utf8')), fields) : value) as V;
      };
    }
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
