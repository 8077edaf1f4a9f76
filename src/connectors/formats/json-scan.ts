/**
 * Byte-level scanning of JSON text in a UTF-8 buffer, for the compiled projection decoder
 * (`json-projection-decoder.ts`). Every function takes the buffer, a position and the end of the text (bytes at or
 * after `end` are never read: they belong to the next line), and returns the position after what it scanned, or
 * -1 when the text is not valid JSON there or is a shape left to `JSON.parse` (the caller then falls back to it, so
 * -1 never has to explain itself). A scanned value is left in {@link scanned}.
 *
 * The functions accept exactly the JSON grammar (RFC 8259): a -1 is returned for anything `JSON.parse` rejects, so a
 * line the scanner accepts is a line `JSON.parse` accepts, and values are built the way `JSON.parse` builds them.
 */

/** Where a scanning function leaves the value it built, and facts about the last string it scanned. */
export const scanned = {
  value: undefined as unknown,
  /** The last string scanned by {@link stringEnd} held a backslash escape. */
  escaped: false,
  /** The last string scanned by {@link stringEnd} held a byte >= 0x80 (a multi-byte UTF-8 sequence). */
  wide: false,
  /**
   * The text being decoded is `[lineStart, lineEnd)` of the buffer; `line` is that range decoded as Latin-1, made
   * at the first string of a line that needs it (undefined until then). Latin-1 maps each byte to one character,
   * so an ASCII string's characters sit at their byte offsets in it, whatever else the line holds, and slicing it
   * is much cheaper than a native call per string. {@link beginText} resets it.
   */
  line: undefined as string | undefined,
  lineStart: 0,
  lineEnd: 0,
};

/** Starts decoding the text `[start, end)`: forgets the Latin-1 copy of the previous one. */
export function beginText(start: number, end: number): void {
  scanned.line = undefined;
  scanned.lineStart = start;
  scanned.lineEnd = end;
}

/** `b[start, end)` (ASCII) as a string, sliced from the Latin-1 copy of the current text. */
function asciiSlice(b: Bytes, start: number, end: number): string {
  let line = scanned.line;
  if (line === undefined) {
    // Outside the current text (never, when callers keep to the contract): slice directly, still correct.
    if (start < scanned.lineStart || end > scanned.lineEnd) return latin1(b, start, end);
    line = scanned.line = latin1(b, scanned.lineStart, scanned.lineEnd);
  }
  return line.slice(start - scanned.lineStart, end - scanned.lineStart);
}

/** The characters of the one-character escapes, by the byte after the backslash. */
const ESCAPES: string[] = [];
ESCAPES[0x22] = '"';
ESCAPES[0x5c] = '\\';
ESCAPES[0x2f] = '/';
ESCAPES[0x62] = '\b';
ESCAPES[0x66] = '\f';
ESCAPES[0x6e] = '\n';
ESCAPES[0x72] = '\r';
ESCAPES[0x74] = '\t';

/** An ASCII string body with (valid, already checked) escapes, unescaped from slices of the current text. */
function unescapeAscii(b: Bytes, start: number, quote: number): string {
  let out = '';
  let segment = start;
  for (let p = start; p < quote; p++) {
    if (b[p] !== 0x5c) continue;
    if (p > segment) out += asciiSlice(b, segment, p);
    const e = b[p + 1]!;
    if (e === 0x75) {
      out += String.fromCharCode(
        hexValue(b[p + 2]!) * 4096 + hexValue(b[p + 3]!) * 256 + hexValue(b[p + 4]!) * 16 + hexValue(b[p + 5]!),
      );
      p += 5;
    } else {
      out += ESCAPES[e]!;
      p++;
    }
    segment = p + 1;
  }
  return segment < quote ? out + asciiSlice(b, segment, quote) : out;
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

/** Longest run of integer digits summed exactly in a double (10^15 < 2^53). */
const MAX_FAST_DIGITS = 15;

type Bytes = Buffer;
type SlicingBuffer = Buffer & {
  latin1Slice?: (start: number, end: number) => string;
  utf8Slice?: (start: number, end: number) => string;
};

/**
 * `b.toString('latin1', start, end)` without its argument normalisation: Buffer's own slicing method where Node
 * has it (it has since its early versions; the check keeps a runtime without it correct).
 */
const latin1: (b: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as SlicingBuffer).latin1Slice === 'function'
    ? (b, start, end) => (b as SlicingBuffer).latin1Slice!(start, end)
    : (b, start, end) => b.toString('latin1', start, end);
/** `b.toString('utf8', start, end)`, likewise. */
const utf8: (b: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as SlicingBuffer).utf8Slice === 'function'
    ? (b, start, end) => (b as SlicingBuffer).utf8Slice!(start, end)
    : (b, start, end) => b.toString('utf8', start, end);

/** The position of the first byte at or after `p` that is not JSON whitespace (space, tab, CR, LF). */
export function skipWhitespace(b: Bytes, p: number, end: number): number {
  while (p < end) {
    const c = b[p]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return p;
    p++;
  }
  return p;
}

/**
 * Scans the body of a string whose opening quote is at `p - 1`; returns the position of the closing quote, or -1.
 * Sets `scanned.escaped` and `scanned.wide`. Control characters below 0x20 and malformed escapes are rejected as
 * `JSON.parse` rejects them; lone surrogates in `\u` escapes are valid JSON and are accepted.
 */
export function stringEnd(b: Bytes, p: number, end: number): number {
  let escaped = false;
  let wide = false;
  for (;;) {
    // One table load per ordinary byte; the rare ones are sorted out below.
    while (p < end && STRING_STOP[b[p]!] === 0) p++;
    if (p >= end) return -1;
    const c = b[p]!;
    if (c === 0x22) {
      scanned.escaped = escaped;
      scanned.wide = wide;
      return p;
    }
    if (c >= 0x80) {
      wide = true;
      p++;
    } else if (c === 0x5c) {
      escaped = true;
      if (p + 1 >= end) return -1;
      const e = b[p + 1]!;
      if (e === 0x75) {
        if (p + 6 > end || !isHex(b[p + 2]!) || !isHex(b[p + 3]!) || !isHex(b[p + 4]!) || !isHex(b[p + 5]!)) return -1;
        p += 6;
      } else if (ESCAPES[e] !== undefined) p += 2;
      else return -1;
    } else return -1; // a control character below 0x20
  }
}

/** Bytes that end a run of ordinary string bytes: the quote, the backslash, control characters and non-ASCII. */
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < 256; c++) STRING_STOP[c] = c === 0x22 || c === 0x5c || c < 0x20 || c >= 0x80 ? 1 : 0;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

/**
 * The string whose body is `b[start, quote)` (as scanned by {@link stringEnd} just before): an ASCII string is sliced
 * from the current text (escapes resolved here); one with multi-byte characters is decoded as UTF-8 (invalid
 * sequences become U+FFFD, as when the whole line is decoded), by `JSON.parse` with its quotes if it has escapes.
 */
export function stringValue(b: Bytes, start: number, quote: number): string {
  if (scanned.wide) return scanned.escaped ? JSON.parse(utf8(b, start - 1, quote + 1)) : utf8(b, start, quote);
  return scanned.escaped ? unescapeAscii(b, start, quote) : asciiSlice(b, start, quote);
}

/** Scans a number starting at `p` (a '-' or digit); returns the position after it, or -1. The value goes to `scanned`. */
export function numberEnd(b: Bytes, p: number, end: number): number {
  const start = p;
  let negative = false;
  if (b[p] === 0x2d) {
    negative = true;
    p++;
  }
  if (p >= end) return -1;
  let c = b[p]!;
  let n = 0;
  if (c === 0x30) {
    p++;
  } else if (c >= 0x31 && c <= 0x39) {
    while (p < end) {
      c = b[p]!;
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      p++;
    }
  } else return -1;
  const intEnd = p;
  let simple = intEnd - start - (negative ? 1 : 0) <= MAX_FAST_DIGITS;
  if (p < end && b[p] === 0x2e) {
    simple = false;
    p++;
    const digits = p;
    while (p < end && b[p]! >= 0x30 && b[p]! <= 0x39) p++;
    if (p === digits) return -1;
  }
  if (p < end && (b[p] === 0x65 || b[p] === 0x45)) {
    simple = false;
    p++;
    if (p < end && (b[p] === 0x2b || b[p] === 0x2d)) p++;
    const digits = p;
    while (p < end && b[p]! >= 0x30 && b[p]! <= 0x39) p++;
    if (p === digits) return -1;
  }
  // JSON's number grammar is a subset of JavaScript's, and both round correctly, so Number() agrees with JSON.parse.
  scanned.value = simple ? (negative ? -n : n) : Number(latin1(b, start, p));
  return p;
}

/** Scans `true`, `false` or `null` at `p`; returns the position after it, or -1. The value goes to `scanned`. */
export function literalEnd(b: Bytes, p: number, end: number): number {
  const c = b[p];
  if (c === 0x74) {
    if (p + 4 <= end && b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65) {
      scanned.value = true;
      return p + 4;
    }
  } else if (c === 0x66) {
    if (p + 5 <= end && b[p + 1] === 0x61 && b[p + 2] === 0x6c && b[p + 3] === 0x73 && b[p + 4] === 0x65) {
      scanned.value = false;
      return p + 5;
    }
  } else if (c === 0x6e) {
    if (p + 4 <= end && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c) {
      scanned.value = null;
      return p + 4;
    }
  }
  return -1;
}

/**
 * Validates the value at `p` without building it; returns the position after it, or -1. Deep nesting ends in a
 * RangeError (stack), which callers treat as "fall back to JSON.parse".
 */
export function skipValue(b: Bytes, p: number, end: number): number {
  if (p >= end) return -1;
  const c = b[p]!;
  if (c === 0x22) {
    const q = stringEnd(b, p + 1, end);
    return q < 0 ? -1 : q + 1;
  }
  if (c === 0x7b) return skipObject(b, p, end);
  if (c === 0x5b) return skipArray(b, p, end);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return numberEnd(b, p, end);
  return literalEnd(b, p, end);
}

function skipObject(b: Bytes, p: number, end: number): number {
  p = skipWhitespace(b, p + 1, end);
  if (p < end && b[p] === 0x7d) return p + 1;
  for (;;) {
    if (p >= end || b[p] !== 0x22) return -1;
    const q = stringEnd(b, p + 1, end);
    if (q < 0) return -1;
    p = skipWhitespace(b, q + 1, end);
    if (p >= end || b[p] !== 0x3a) return -1;
    p = skipValue(b, skipWhitespace(b, p + 1, end), end);
    if (p < 0) return -1;
    p = skipWhitespace(b, p, end);
    if (p >= end) return -1;
    if (b[p] === 0x7d) return p + 1;
    if (b[p] !== 0x2c) return -1;
    p = skipWhitespace(b, p + 1, end);
  }
}

function skipArray(b: Bytes, p: number, end: number): number {
  p = skipWhitespace(b, p + 1, end);
  if (p < end && b[p] === 0x5d) return p + 1;
  for (;;) {
    p = skipValue(b, p, end);
    if (p < 0) return -1;
    p = skipWhitespace(b, p, end);
    if (p >= end) return -1;
    if (b[p] === 0x5d) return p + 1;
    if (b[p] !== 0x2c) return -1;
    p = skipWhitespace(b, p + 1, end);
  }
}

/**
 * Scans and builds the value at `p` as `JSON.parse` would; returns the position after it, or -1. Scalars are built
 * directly; objects and arrays are validated, then handed to `JSON.parse` whole.
 */
export function anyValue(b: Bytes, p: number, end: number): number {
  if (p >= end) return -1;
  const c = b[p]!;
  if (c === 0x22) {
    const q = stringEnd(b, p + 1, end);
    if (q < 0) return -1;
    scanned.value = stringValue(b, p + 1, q);
    return q + 1;
  }
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return numberEnd(b, p, end);
  if (c === 0x7b || c === 0x5b) {
    const after = skipValue(b, p, end);
    if (after < 0) return -1;
    scanned.value = JSON.parse(utf8(b, p, after));
    return after;
  }
  return literalEnd(b, p, end);
}
