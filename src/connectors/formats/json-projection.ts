import { PlanError } from '../../core/errors.js';
import { anyValue, beginText, scanned, skipValue, skipWhitespace, stringEnd } from './json-scan.js';

/**
 * Which parts of a JSON value to build. `true` takes the whole value. An object names fields: where the value is a
 * JSON object, the result is a new object with exactly the named fields, in the projection's order, each projected
 * in turn (a field the value lacks is present with the value `undefined`); where the value is anything else (null,
 * an array, a scalar), the result is that value as `JSON.parse` gives it. Fields not named are never built.
 *
 * @example `{ event_type: true, bid: { price: true, auction: true } }`
 */
export type JsonProjection = true | { readonly [field: string]: JsonProjection };

/**
 * The reference meaning of a {@link JsonProjection}: applies it to a value `JSON.parse` built. The compiled decoder
 * yields exactly this for every valid JSON text (duplicate keys: the last one wins, as in `JSON.parse`).
 */
export function projectJson(value: unknown, projection: JsonProjection): unknown {
  if (projection === true || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const object = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(projection)) {
    // Own properties only: a JSON object never inherits a field, whatever its name.
    const field = Object.hasOwn(object, name) ? projectJson(object[name], inner) : undefined;
    Object.defineProperty(out, name, { value: field, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** What a {@link JsonProjectionDecoder} returns for bytes it does not decode itself. */
export const UNDECODED: unique symbol = Symbol('undecoded');

/**
 * Decodes the JSON text in `bytes[start, end)` (UTF-8) under a projection, building only the projected fields; the
 * text around the value may hold JSON whitespace. Returns {@link UNDECODED} when the text is not valid JSON or takes
 * a path the compiled code leaves to `JSON.parse` (keys with escapes, very deep nesting); never a wrong value.
 * Bytes outside the range are never read.
 */
export type JsonProjectionDecoder = (bytes: Buffer, start: number, end: number) => unknown;

/**
 * Compiles a decoder for `projection` (JavaScript made with `new Function`, one function per projected object, keys
 * matched byte by byte). For valid JSON its result equals `projectJson(JSON.parse(text), projection)`; unprojected
 * values are validated and skipped without being built.
 *
 * @throws PlanError for a projection the compiler cannot express exactly (a field named `__proto__`, or holding
 *   U+FFFD, which invalid UTF-8 in a key also decodes to); use `JSON.parse` with {@link projectJson} for those.
 */
export function compileJsonProjection(projection: JsonProjection): JsonProjectionDecoder {
  const functions: string[] = [];
  const root = projection === true ? 'any(b, p, end)' : `(p < end && b[p] === 123 ? o0(b, p, end) : any(b, p, end))`;
  if (projection !== true) compileObject(projection, functions, []);
  const source = `${functions.join('\n')}
return function decode(b, start, end) {
  try {
    begin(start, end);
    let p = ws(b, start, end);
    p = ${root};
    if (p < 0 || ws(b, p, end) !== end) return UNDECODED;
    return S.value;
  } catch {
    return UNDECODED;
  }
};`;
  const factory = new Function('ws', 'str', 'skip', 'any', 'begin', 'S', 'UNDECODED', source);
  return factory(
    skipWhitespace,
    stringEnd,
    skipValue,
    anyValue,
    beginText,
    scanned,
    UNDECODED,
  ) as JsonProjectionDecoder;
}

const encoder = new TextEncoder();

/** Appends the function for one projected object (and those of its nested ones); returns its name. */
function compileObject(
  projection: { readonly [field: string]: JsonProjection },
  functions: string[],
  path: readonly string[],
): string {
  const name = `o${functions.length}`;
  functions.push(''); // reserve the slot, so nested objects get later numbers
  const names = Object.keys(projection);
  const byLength = new Map<number, string[]>();
  const cases: string[] = [];
  names.forEach((field, i) => {
    if (field === '__proto__' || field.includes('\ufffd')) {
      throw new PlanError(`JSON projection: field '${[...path, field].join('.')}' cannot be compiled`);
    }
    const bytes = encoder.encode(field);
    const test = Array.from(bytes, (byte, k) => `b[ks + ${k}] === ${byte}`).join(' && ') || 'true';
    const inner = projection[field]!;
    const value =
      inner === true
        ? 'any(b, p, end)'
        : `(p < end && b[p] === 123 ? ${compileObject(inner, functions, [...path, field])}(b, p, end) : any(b, p, end))`;
    const list = byLength.get(bytes.length) ?? [];
    list.push(`if (${test}) { p = ${value}; if (p < 0) return -1; f${i} = S.value; break; }`);
    byLength.set(bytes.length, list);
  });
  for (const [length, tests] of byLength)
    cases.push(`case ${length}:\n${tests.join('\n')}\np = skip(b, p, end); break;`);
  const locals = names.map((_, i) => `f${i}`).join(', ');
  const literal = `{ ${names.map((field, i) => `${JSON.stringify(field)}: f${i}`).join(', ')} }`;
  functions[Number(name.slice(1))] = `function ${name}(b, p, end) {
  ${names.length > 0 ? `let ${locals};` : ''}
  p = ws(b, p + 1, end);
  if (p < end && b[p] === 125) { S.value = ${literal}; return p + 1; }
  for (;;) {
    if (p >= end || b[p] !== 34) return -1;
    const ks = p + 1;
    const q = str(b, ks, end);
    if (q < 0 || S.escaped) return -1;
    p = ws(b, q + 1, end);
    if (p >= end || b[p] !== 58) return -1;
    p = ws(b, p + 1, end);
    switch (q - ks) {
${cases.join('\n')}
      default: p = skip(b, p, end);
    }
    if (p < 0) return -1;
    p = ws(b, p, end);
    if (p >= end) return -1;
    if (b[p] === 125) { S.value = ${literal}; return p + 1; }
    if (b[p] !== 44) return -1;
    p = ws(b, p + 1, end);
  }
}`;
  return name;
}
