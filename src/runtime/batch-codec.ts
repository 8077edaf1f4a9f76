import type { Batch } from '../core/batch.js';

/**
 * The form of a batch crossing threads: one transferred buffer with the record shapes, a tag per field, the numbers
 * and the timestamps, plus the other field values (strings, nested objects, dates, bigints…) in one array, which the
 * structured clone of postMessage copies natively. See {@link BatchCodec}.
 */
export interface EncodedBatch {
  /** Number of records. */
  readonly n: number;
  /** The record shapes of this batch, in order of first appearance. */
  readonly shapes: readonly Shape[];
  /** `[shape index per record (u8)][tag per field (u8)] pad [numbers (f64)][timestamps (f64)]`. */
  readonly data: ArrayBuffer;
  /** Fields written (one tag each) and fields tagged NUMBER. */
  readonly tags: number;
  /** Numbers written: field values and the `other` indexes of repeated strings. */
  readonly numbers: number;
  /** Field values that are not numbers and records of no shape, in record and field order. */
  readonly other: unknown[];
}

/**
 * How records of one shape are laid out: a plain object with these keys in this order, an array of this length, or
 * one value. Records of no shape (class instances, Maps, …) travel whole in `other` (shape index {@link WHOLE}).
 */
export type Shape =
  | { readonly kind: 'object'; readonly keys: readonly string[] }
  | {
      readonly kind: 'array';
      readonly length: number;
      /**
       * Per element, how it is laid out (see {@link Inline}); undefined for an element that goes as one value.
       * Local-global aggregation's partials are such arrays: `[key, accumulator]`.
       */
      readonly nested?: readonly (Inline | undefined)[];
    }
  | { readonly kind: 'value' };

/**
 * An element of an array record laid out inline, its fields written as a record's own: a plain object with these
 * keys, or a list of 1 to 16 plain objects that all have the keys `list` (a top-N accumulator's rows; the list's
 * length goes with each record, so lists of any length up to that share the shape).
 */
export type Inline = readonly string[] | { readonly list: readonly string[] };

const NUMBER = 0;
const OTHER = 1;
/** A string equal to an earlier one of the batch: its index in `other` is in the numbers. */
const REPEAT = 2;
/**
 * Strings a field sends (in one batch, or over several small ones) before the string dictionary decides whether it
 * pays for that field: it stays on while at least a third of the field's strings repeat an earlier one of their
 * batch.
 */
const DICTIONARY_TRIAL = 32;
/**
 * Most batches a field whose trial failed skips the dictionary for before it is tried again: the wait doubles with
 * each failed trial. Hashing a string reads all of it (an auction's description and padding, several hundred
 * characters): trying every batch anew hashed 32 strings of every such field per batch, all of them in a batch of
 * a few dozen auctions.
 */
const MAX_TRIAL_WAIT = 64;
/** Shape index of a record sent whole through the structured clone. */
const WHOLE = 255;
/** Shapes per batch before further ones travel whole (a batch is nearly always of one or two shapes). */
const MAX_SHAPES = 32;
/** Objects with more keys travel whole: a compiled literal per shape only pays for itself on small records. */
const MAX_KEYS = 64;
/** A plain object inside an array record is laid out inline up to this many keys; larger ones go as one value. */
const MAX_NESTED_KEYS = 16;
/** A list of plain objects inside an array record is laid out inline up to this many objects. */
const MAX_LIST = 16;

type Encoder = (r: unknown, w: Writer) => void;
type Decoder = (r: Reader) => unknown;

/**
 * Encodes batches for other threads and decodes them there, by record shape. A plain object's keys are sent once
 * per batch, not per record; its numbers go into one transferred float64 buffer; every other field value goes, in
 * order, into one array that postMessage's structured clone copies (V8 copies a string as one block of bytes each
 * way, cheaper than any encoding written in JavaScript, and it copies exactly what it can and refuses what is not
 * data). An array record's plain-object elements, and its lists of plain objects of one shape, are laid out the
 * same way, inline (local-global aggregation's `[key, accumulator]` partials, a top-N accumulator's rows): cloned one
 * by one, each object's keys were written out again. Decoded objects are
 * built by a literal compiled per shape, so every record of a shape gets the same hidden class downstream. Measured
 * against the MessagePack codec this replaced: about half the CPU per record (see docs/PERFORMANCE.md).
 *
 * Round trip: a decoded record equals the structured clone of the original (plain objects keep key order; class
 * instances arrive as plain objects, as with any copy between threads). One codec per thread; not re-entrant.
 */
export class BatchCodec {
  private readonly writer = new Writer();
  private readonly encoders = new Map<string, Encoder>();
  /** Field slots handed out to compiled encoders (each field of each shape has its own dictionary statistics). */
  private slots = 0;
  private readonly decoders = new Map<string, Decoder>();

  encode(batch: Batch): EncodedBatch {
    const { values, timestamps } = batch;
    const n = values.length;
    const w = this.writer;
    w.reset(n);
    const shapes: Shape[] = [];
    const shapeIds = new Map<string, number>();
    const encoders: Encoder[] = [];
    let lastKey = '';
    let lastKeys: readonly string[] | undefined;
    let lastId = -1;
    let lastArray: Extract<Shape, { kind: 'array' }> | undefined;
    let lastArrayId = -1;
    for (let i = 0; i < n; i++) {
      const r = values[i];
      let id: number;
      if (lastKeys !== undefined && isPlainObject(r) && hasKeys(r, lastKeys)) id = lastId;
      else if (lastArray !== undefined && fitsArray(r, lastArray)) id = lastArrayId;
      else {
        const shape = shapeOf(r);
        if (shape === undefined) {
          w.shapeIndex[i] = WHOLE;
          w.other.push(r);
          continue;
        }
        const key = shapeKey(shape);
        let known = shapeIds.get(key);
        if (known === undefined) {
          if (shapes.length >= MAX_SHAPES) {
            w.shapeIndex[i] = WHOLE;
            w.other.push(r);
            continue;
          }
          known = shapes.length;
          shapes.push(shape);
          shapeIds.set(key, known);
          encoders.push(this.encoderFor(key, shape));
        }
        id = known;
        if (shape.kind === 'object' && key !== lastKey) {
          lastKey = key;
          lastKeys = shape.keys;
          lastId = id;
        } else if (shape.kind === 'array') {
          lastArray = shapes[id] as Extract<Shape, { kind: 'array' }>;
          lastArrayId = id;
        }
      }
      w.shapeIndex[i] = id;
      encoders[id]!(r, w);
    }
    return w.finish(n, shapes, timestamps);
  }

  decode(enc: EncodedBatch): Batch {
    const r = new Reader(enc);
    const decoders = enc.shapes.map((s) => this.decoderFor(s));
    const n = enc.n;
    const values = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const id = r.shapeIndex[i]!;
      values[i] = id === WHOLE ? r.other[r.otherAt++] : decoders[id]!(r);
    }
    return { values, timestamps: Array.from(r.timestamps) };
  }

  private encoderFor(key: string, shape: Shape): Encoder {
    let e = this.encoders.get(key);
    if (e === undefined) {
      const fields = fieldsOf(shape);
      const base = this.slots;
      this.slots += slotsOf(fields);
      this.writer.ensureSlots(this.slots);
      e = compileEncoder(fields, base);
      this.encoders.set(key, e);
    }
    return e;
  }

  private decoderFor(shape: Shape): Decoder {
    const key = shapeKey(shape);
    let d = this.decoders.get(key);
    if (d === undefined) {
      d = compileDecoder(shape);
      this.decoders.set(key, d);
    }
    return d;
  }
}

/**
 * One field of a record's layout: a value (an expression of the record `r`), or a list of plain objects with the
 * same `keys` (an expression of `r` too), written as its length and then each object's fields.
 */
type Field = { readonly value: string } | { readonly list: string; readonly keys: readonly string[] };

/**
 * The fields a record of `shape` is written as, in order: its keys, its elements, or its inline objects' keys in
 * their place. The decoder reads them back in this order.
 */
function fieldsOf(shape: Shape): Field[] {
  const valuesOf = (keys: readonly string[], at: string) => keys.map((k) => ({ value: `${at}[${JSON.stringify(k)}]` }));
  if (shape.kind === 'object') return valuesOf(shape.keys, 'r');
  if (shape.kind === 'value') return [{ value: 'r' }];
  return Array.from({ length: shape.length }, (_, j): Field[] => {
    const inline = shape.nested?.[j];
    if (inline === undefined) return [{ value: `r[${j}]` }];
    return isKeyList(inline) ? valuesOf(inline, `r[${j}]`) : [{ list: `r[${j}]`, keys: inline.list }];
  }).flat();
}

/** The dictionary slots a layout uses: one per value, one per key of a list (shared by the list's objects). */
function slotsOf(fields: readonly Field[]): number {
  return fields.reduce((n, f) => n + ('list' in f ? f.keys.length : 1), 0);
}

function isKeyList(inline: Inline): inline is readonly string[] {
  return Array.isArray(inline);
}

/**
 * An encoder of one record laid out as `fields`, with the writing of each field written out in it (as in
 * {@link compileDecoder}); `slot` is the dictionary slot of the first field. A number goes to the float64 column; a
 * string the field's dictionary has met earlier in the batch goes as that one's index; anything else goes to
 * `other`. A list goes as its length (a number), then its objects' fields, in a loop.
 */
function compileEncoder(fields: readonly Field[], slot: number): Encoder {
  const write = (expr: string, s: number) => `v = ${expr};
if (typeof v === 'number') { nums[nc++] = v; tags[tc++] = ${NUMBER}; }
else {
  at = typeof v === 'string' && seen[${s}] >= 0 ? w.repeatOf(v, ${s}) : -1;
  if (at >= 0) { nums[nc++] = at; tags[tc++] = ${REPEAT}; }
  else { tags[tc++] = ${OTHER}; other.push(v); }
}`;
  const lists: string[] = [];
  const sizes: string[] = [String(fields.length)];
  const writes: string[] = [];
  let at = slot;
  fields.forEach((f, j) => {
    if ('value' in f) {
      writes.push(write(f.value, at++));
      return;
    }
    const list = `l${j}`;
    lists.push(`const ${list} = ${f.list};`);
    sizes.push(`${list}.length * ${f.keys.length}`);
    const items = f.keys.map((k, m) => write(`it[${JSON.stringify(k)}]`, at + m));
    writes.push(`nums[nc++] = ${list}.length; tags[tc++] = ${NUMBER};
for (let k = 0; k < ${list}.length; k++) {
const it = ${list}[k];
${items.join('\n')}
}`);
    at += f.keys.length;
  });
  return new Function(
    'r',
    'w',
    `${lists.join('\n')}
w.reserve(${sizes.join(' + ')});
const tags = w.tags, nums = w.numbers, other = w.other, seen = w.seen;
let tc = w.tagCount, nc = w.numberCount, v, at;
${writes.join('\n')}
w.tagCount = tc; w.numberCount = nc;`,
  ) as Encoder;
}

/**
 * A decoder of one record of `shape`, with the reading of each field written out in it. A method call per field
 * was the largest part of decoding in a profile of a long run: V8 stops inlining calls into one function after a
 * budget, which an auction's ten fields exceed. Each field is a number from the float64 column, a value of `other`,
 * or a repeated string whose index in `other` is in the numbers.
 *
 * A number that is an int32 other than -0 is made an integer-typed value, so V8 stores it the way it stores a small
 * integer anywhere else (as the structured clone also gives it back); read from a float64 array it would be boxed
 * as a double. A decoded record's integer field then took the double representation, and since the literal here
 * shares its chain of hidden classes with the job's own literals of the same keys, decoding deprecated the job's
 * classes and the job's literal migrated each record it built afterwards (q9 at p=2: ~3 % of all CPU in
 * `MigrateToMap`, plus the garbage of the migrations).
 */
function compileDecoder(shape: Shape): Decoder {
  const read = (v: string) => `t = tags[ta++];
if (t === ${NUMBER}) { x = nums[na++]; i = x | 0; ${v} = i === x && (i !== 0 || 1 / x > 0) ? i : x; }
else if (t === ${OTHER}) ${v} = other[oa++];
else ${v} = other[nums[na++]];`;
  const literal = (keys: readonly string[], names: readonly string[]) =>
    `{${keys.map((k, j) => `${JSON.stringify(k)}: ${names[j]}`).join(', ')}}`;
  const reads: string[] = [];
  /** The variable holding each field's value (a list: the array built). */
  const names: string[] = [];
  fieldsOf(shape).forEach((f, j) => {
    if ('value' in f) {
      reads.push(`let v${j}; ${read(`v${j}`)}`);
      names.push(`v${j}`);
      return;
    }
    const items = f.keys.map((_, m) => `e${j}_${m}`);
    reads.push(`const v${j} = []; let c${j}; ${read(`c${j}`)}
for (let k = 0; k < c${j}; k++) {
let ${items.join(', ')};
${items.map(read).join('\n')}
v${j}.push(${literal(f.keys, items)});
}`);
    names.push(`v${j}`);
  });
  let result = names[0]!;
  if (shape.kind === 'object') result = `(${literal(shape.keys, names)})`;
  else if (shape.kind === 'array') {
    const elements: string[] = [];
    let at = 0;
    for (let j = 0; j < shape.length; j++) {
      const inline = shape.nested?.[j];
      if (inline !== undefined && isKeyList(inline)) {
        elements.push(literal(inline, names.slice(at, at + inline.length)));
        at += inline.length;
      } else elements.push(names[at++]!);
    }
    result = `[${elements.join(', ')}]`;
  }
  return new Function(
    'r',
    `const tags = r.tags, nums = r.numbers, other = r.other;
let ta = r.tagAt, na = r.numberAt, oa = r.otherAt, t = 0, x = 0, i = 0;
${reads.join('\n')}
r.tagAt = ta; r.numberAt = na; r.otherAt = oa;
return ${result};`,
  ) as Decoder;
}

function isPlainObject(r: unknown): r is Record<string, unknown> {
  if (typeof r !== 'object' || r === null) return false;
  const proto = Object.getPrototypeOf(r);
  return proto === Object.prototype || proto === null;
}

/** True when `r`'s enumerable keys are exactly `keys`, in order. */
function hasKeys(r: Record<string, unknown>, keys: readonly string[]): boolean {
  let j = 0;
  for (const k in r) if (k !== keys[j++]) return false;
  return j === keys.length;
}

function shapeOf(r: unknown): Shape | undefined {
  if (typeof r !== 'object' || r === null) return { kind: 'value' };
  if (Array.isArray(r)) {
    // Sparse arrays keep their holes only through the structured clone.
    for (let j = 0; j < r.length; j++) if (!(j in r)) return undefined;
    if (r.length > MAX_KEYS) return undefined;
    let nested: (Inline | undefined)[] | undefined;
    for (let j = 0; j < r.length; j++) {
      const inline = inlineOf(r[j]);
      if (inline !== undefined) (nested ??= new Array(r.length).fill(undefined))[j] = inline;
    }
    return nested === undefined ? { kind: 'array', length: r.length } : { kind: 'array', length: r.length, nested };
  }
  if (!isPlainObject(r)) return undefined;
  const keys: string[] = [];
  for (const k in r) {
    // '__proto__' as a literal key would set the prototype instead of a property.
    if (k === '__proto__' || keys.length === MAX_KEYS) return undefined;
    keys.push(k);
  }
  return { kind: 'object', keys };
}

/** How an element of an array record is laid out inline, or undefined when it goes as one value. */
function inlineOf(v: unknown): Inline | undefined {
  if (!Array.isArray(v)) return inlineKeys(v);
  if (v.length === 0 || v.length > MAX_LIST || !(0 in v)) return undefined;
  const list = inlineKeys(v[0]);
  // A list of empty objects has no fields to lay out.
  if (list === undefined || list.length === 0) return undefined;
  const inline = { list };
  return fitsInline(v, inline) ? inline : undefined;
}

/** The keys of a plain object an array record may carry inline, or undefined when it goes as one value. */
function inlineKeys(v: unknown): string[] | undefined {
  if (!isPlainObject(v)) return undefined;
  const keys: string[] = [];
  for (const k in v) {
    if (k === '__proto__' || keys.length === MAX_NESTED_KEYS) return undefined;
    keys.push(k);
  }
  return keys;
}

/** Whether `v` can be written as laid out by `inline`: a plain object with its keys, or a list of such, no holes. */
function fitsInline(v: unknown, inline: Inline): boolean {
  if (isKeyList(inline)) return isPlainObject(v) && hasKeys(v, inline);
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_LIST) return false;
  for (let i = 0; i < v.length; i++) {
    if (!(i in v)) return false;
    const item = v[i];
    if (!isPlainObject(item) || !hasKeys(item, inline.list)) return false;
  }
  return true;
}

/**
 * Whether an array record has the array shape `s`: the same length, no holes, each element laid out inline as `s`
 * lays it out, and no element that `s` sends as one value that could be laid out inline (after one odd record, the
 * records that follow it would otherwise all go whole).
 */
function fitsArray(r: unknown, s: Extract<Shape, { kind: 'array' }>): boolean {
  if (!Array.isArray(r) || r.length !== s.length) return false;
  const nested = s.nested;
  for (let j = 0; j < r.length; j++) {
    if (!(j in r)) return false;
    const inline = nested?.[j];
    if (inline === undefined ? inlineOf(r[j]) !== undefined : !fitsInline(r[j], inline)) return false;
  }
  return true;
}

function shapeKey(s: Shape): string {
  if (s.kind === 'object') return `o${JSON.stringify(s.keys)}`;
  if (s.kind === 'value') return 'v';
  return s.nested === undefined ? `a${s.length}` : `a${s.length}${JSON.stringify(s.nested)}`;
}

/**
 * Scratch space of the encoder, grown as needed and copied into an exact-size buffer per batch.
 *
 * Strings go through a per-batch dictionary, field by field: a string equal to one sent earlier in the batch is
 * sent as that one's index. Records often repeat a few strings (a channel and its url, a category, a country), and
 * every string crossing costs a copy out, a copy in and a new string on the receiver for the garbage collector —
 * with the dictionary the receiver's records also share one string. A field whose strings do not repeat (ids,
 * free text) stops using the dictionary after {@link DICTIONARY_TRIAL} strings and skips it for the next batches,
 * twice as many after each failed trial in a row (up to {@link MAX_TRIAL_WAIT}), so it pays a few hash lookups
 * now and then, not one per record.
 */
class Writer {
  shapeIndex = new Uint8Array(1024);
  tags = new Uint8Array(8192);
  numbers = new Float64Array(8192);
  other: unknown[] = [];
  tagCount = 0;
  numberCount = 0;
  /** String → its index in `other`, for this batch. */
  private readonly dictionary = new Map<string, number>();
  /**
   * Per field slot: strings seen and strings repeated in the current trial (of this batch, or of the last few when
   * they are small); a negative `seen` turns the slot off for this batch.
   */
  seen = new Int32Array(64);
  private repeated = new Int32Array(64);
  /** Per field slot, across batches: batches left without the dictionary, and the wait after the next failed trial. */
  private waitLeft = new Int32Array(64);
  private nextWait = new Int32Array(64);

  ensureSlots(slots: number): void {
    if (slots <= this.seen.length) return;
    const size = Math.max(slots, this.seen.length * 2);
    this.seen = grow(this.seen, new Int32Array(size));
    this.repeated = grow(this.repeated, new Int32Array(size));
    this.waitLeft = grow(this.waitLeft, new Int32Array(size));
    this.nextWait = grow(this.nextWait, new Int32Array(size));
  }

  reset(n: number): void {
    if (this.shapeIndex.length < n) this.shapeIndex = new Uint8Array(n);
    this.other = [];
    this.tagCount = 0;
    this.numberCount = 0;
    this.dictionary.clear();
    const { seen, repeated, waitLeft, nextWait } = this;
    for (let slot = 0; slot < seen.length; slot++) {
      if (waitLeft[slot]! > 0) waitLeft[slot]!--;
      else if (seen[slot]! < 0) {
        // The last batch's trial failed: wait, longer each time in a row.
        const wait = Math.max(nextWait[slot]!, 1);
        waitLeft[slot] = wait;
        nextWait[slot] = Math.min(wait * 2, MAX_TRIAL_WAIT);
      } else if (seen[slot]! >= DICTIONARY_TRIAL) nextWait[slot] = 1;
      // A trial not decided yet carries its counts over: in small batches (a filter's sparse output) a field never
      // reaches the trial's length within one batch, and its every string was hashed, batch after batch.
      else continue;
      seen[slot] = waitLeft[slot]! > 0 ? -1 : 0;
      repeated[slot] = 0;
    }
  }

  /** Makes room for `fields` more tags and numbers. */
  reserve(fields: number): void {
    if (this.tagCount + fields > this.tags.length)
      this.tags = grow(this.tags, new Uint8Array(2 * (this.tags.length + fields)));
    if (this.numberCount + fields > this.numbers.length)
      this.numbers = grow(this.numbers, new Float64Array(2 * (this.numbers.length + fields)));
  }

  /**
   * The index in `other` of a string equal to `v` sent earlier in this batch, or -1 after noting that `v` is about
   * to be pushed onto `other` next. Counts the field's strings and repeats, and turns the field's dictionary off for
   * the batch when too few repeat. Only while the field's dictionary is on (`seen[slot] >= 0`).
   */
  repeatOf(v: string, slot: number): number {
    const at = this.dictionary.get(v);
    const seen = ++this.seen[slot]!;
    if (at !== undefined) {
      this.repeated[slot]!++;
      return at;
    }
    this.dictionary.set(v, this.other.length);
    if (seen >= DICTIONARY_TRIAL && this.repeated[slot]! * 3 < seen) this.seen[slot] = -1;
    return -1;
  }

  finish(n: number, shapes: Shape[], timestamps: readonly number[]): EncodedBatch {
    const layout = layoutOf(n, this.tagCount, this.numberCount);
    const data = new ArrayBuffer(layout.size);
    new Uint8Array(data, 0, n).set(this.shapeIndex.subarray(0, n));
    new Uint8Array(data, n, this.tagCount).set(this.tags.subarray(0, this.tagCount));
    new Float64Array(data, layout.numbers, this.numberCount).set(this.numbers.subarray(0, this.numberCount));
    const ts = new Float64Array(data, layout.timestamps, n);
    for (let i = 0; i < n; i++) ts[i] = timestamps[i]!;
    return { n, shapes, data, tags: this.tagCount, numbers: this.numberCount, other: this.other };
  }
}

/** Reads one encoded batch in the order it was written. */
class Reader {
  readonly shapeIndex: Uint8Array;
  readonly tags: Uint8Array;
  readonly numbers: Float64Array;
  readonly timestamps: Float64Array;
  readonly other: unknown[];
  /** Positions of the next value's tag, number and `other` value (compiled decoders advance them). */
  otherAt = 0;
  tagAt = 0;
  numberAt = 0;

  constructor(enc: EncodedBatch) {
    const { n, data } = enc;
    const layout = layoutOf(n, enc.tags, enc.numbers);
    this.shapeIndex = new Uint8Array(data, 0, n);
    this.tags = new Uint8Array(data, n, enc.tags);
    this.numbers = new Float64Array(data, layout.numbers, enc.numbers);
    this.timestamps = new Float64Array(data, layout.timestamps, n);
    this.other = enc.other;
  }
}

/** Byte offsets of the parts of the data buffer (the float64 parts 8-aligned). */
function layoutOf(n: number, tags: number, numbers: number) {
  const numbersAt = align(n + tags, 8);
  const timestampsAt = numbersAt + 8 * numbers;
  return { numbers: numbersAt, timestamps: timestampsAt, size: timestampsAt + 8 * n };
}

function align(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

function grow<T extends Uint8Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
