/**
 * Decoding InferenceEvent and TrainingEvent bodies into a reusable EventView.
 *
 * The hot path reads driftline's own schemas straight from the bytes into one EventView that the
 * caller reuses for every message: no object per event, no wrapped-union objects. Bodies framed in
 * Confluent's wire format (magic byte 0, 4-byte big-endian schema id) whose writer schema differs
 * from driftline's take the general path: avsc resolves writer to reader schema, and the decoded
 * object fills the same view. Anything that is not a valid body throws RejectedMessageError with the
 * reason that goes to the dead-letter topic.
 */
import avro from 'avsc';
import { RejectedMessageError } from '../errors.js';

export type EventKind = 'inference' | 'training';

/** Type tags of a feature value, prediction or label, as the Avro union branch it came in. */
export const TAG_NULL = 0;
export const TAG_DOUBLE = 1;
export const TAG_LONG = 2;
export const TAG_STRING = 3;
export const TAG_BOOLEAN = 4;
export type ValueTag = 0 | 1 | 2 | 3 | 4;
export const TAG_NAMES = ['null', 'double', 'long', 'string', 'boolean'] as const;

/** A decoded string and its UTF-8 bytes, kept per position so that a repeat costs no allocation. */
export interface StringSlot {
  text: string;
  bytes: Uint8Array;
  /** packKey of the bytes: equal keys mean equal strings up to 6 bytes, equal first and last 3 bytes beyond. */
  key: number;
}

/** The slot of the empty string. */
function emptySlot(): StringSlot {
  return { text: '', bytes: EMPTY_BYTES, key: 0 };
}

/**
 * The last few distinct strings read at one place (a feature position's categories, model ids),
 * their keys in a typed array so that a lookup compares numbers, not objects' fields.
 */
export class RecentStrings {
  static readonly SIZE = 16;
  readonly keys = new Float64Array(RecentStrings.SIZE);
  readonly slots: StringSlot[] = [];
}

/**
 * Bytes a string key holds: all of a string up to 6 bytes, else its first 3 and last 3 (ids tend
 * to differ at the end, categories at the start); longer strings compare the middle bytes one by
 * one.
 */
const KEY_BYTES = 6;

/** 32-bit words kept per feature position for its name bytes: a one-byte length and up to 63 bytes. */
const NAME_WORDS = 16;

/**
 * A number that identifies a string of up to 6 bytes (its bytes and length) and, for longer
 * strings, their first and last 3 bytes: 48 bits of bytes, times 8, plus min(len, 7), so exact in
 * a double and never equal for strings of different lengths up to 7. `dv` is a DataView over the
 * ArrayBuffer of `buf` (which starts at `base` in it); the bytes [start, start + len) must lie
 * within `buf`.
 */
function packKey(buf: Uint8Array, dv: DataView, base: number, start: number, len: number): number {
  if (len >= 6) {
    const first = dv.getUint32(base + start, true) & 0xffffff;
    const last = dv.getUint32(base + start + len - 4, true) >>> 8;
    return (last * 0x1000000 + first) * 8 + (len < 7 ? len : 7);
  }
  if (len >= 4) return ((len === 5 ? buf[start + 4] * 0x100000000 : 0) + dv.getUint32(base + start, true)) * 8 + len;
  let h = 0;
  for (let q = 0; q < len; q++) h = (h << 8) | buf[start + q];
  return h * 8 + len;
}

/** A copy of `a` in a new array of the same type and `size` elements (size >= a.length). */
function enlarged<T extends Uint8Array | Int32Array | Float64Array>(a: T, size: number): T {
  const out = new (a.constructor as new (n: number) => T)(size);
  out.set(a);
  return out;
}

/** One decoded event, overwritten by each decode. Copy out what you keep. */
export class EventView {
  modelId = '';
  modelVersion = '';
  /** The event id is decoded only when asked for (the label join needs it; skew detection does not). */
  private eventIdText: string | null = '';
  private eventIdBuf: Buffer | null = null;
  private eventIdStart = 0;
  private eventIdEnd = 0;
  /** Per feature position, the last few distinct string values (categories repeat). */
  readonly valueSlots: RecentStrings[] = [];
  /**
   * Strings that repeat from event to event: the last few model ids (events of several models
   * interleave), the version, and the feature name at each position.
   */
  readonly slots = { models: new RecentStrings(), version: emptySlot(), names: [] as StringSlot[] };
  /**
   * The bytes of the name read last at each position k, as the body holds them (its one-byte
   * length, then the name), for the decoder's inner loop to compare as 32-bit words: nameSpan[k]
   * bytes (0: none known, compare the slow way) in nameWords[k * NAME_WORDS ...], zero-padded.
   * Names of 64 bytes or more (a longer length varint) are always read the slow way.
   */
  nameSpan = new Uint8Array(64);
  nameWords = new Int32Array(64 * NAME_WORDS);
  /**
   * Per string value k: the index of its slot in valueSlots[k] (whose text it is), or -1 when it is
   * not remembered there (native decodes only). Lets a caller cache what it derives per slot.
   */
  strSlot = new Int32Array(64);
  /**
   * Changes whenever the feature names (or their number) differ from the previous decode, so a
   * caller can keep what it looked up by name (feature positions) while it stays the same.
   */
  layout = 0;
  /** Number of feature names at the last layout change (native decodes). */
  private layoutCount = -1;

  get eventId(): string {
    if (this.eventIdText === null) this.eventIdText = this.eventIdBuf!.toString('utf8', this.eventIdStart, this.eventIdEnd);
    return this.eventIdText;
  }
  set eventId(id: string) {
    this.eventIdText = id;
    this.eventIdBuf = null;
  }
  setEventIdBytes(buf: Buffer, start: number, end: number): void {
    this.eventIdText = null;
    this.eventIdBuf = buf;
    this.eventIdStart = start;
    this.eventIdEnd = end;
  }
  eventTime = 0;
  datasetVersion: string | null = null;
  /** Number of valid entries in names/tags/nums/strs. */
  featureCount = 0;
  names: string[] = [];
  tags = new Uint8Array(64);
  nums = new Float64Array(64);
  /** The value of feature k where tags[k] is TAG_STRING; other entries are left over, not read. */
  strs: (string | null)[] = [];
  /** Prediction (inference) or label (training). */
  targetTag: ValueTag = TAG_NULL;
  targetNum = 0;
  targetStr: string | null = null;

  /**
   * Bit k set when feature k (k < 32) is a double / a double or long / null / a double that is NaN
   * or ±Infinity, so that a caller can check every type of an event at once. Valid when
   * `masksValid` (a native decode of at most 32 features).
   */
  doubleMask = 0;
  numberMask = 0;
  nullMask = 0;
  nonFiniteMask = 0;
  masksValid = false;

  reset(): void {
    this.featureCount = 0;
    this.masksValid = false;
    this.datasetVersion = null;
    this.targetTag = TAG_NULL;
    this.targetStr = null;
  }

  pushFeature(name: string, tag: ValueTag, num: number, str: string | null): void {
    const i = this.featureCount++;
    this.reserve(i + 1);
    this.names[i] = name;
    this.tags[i] = tag;
    this.nums[i] = num;
    this.strs[i] = str;
    this.strSlot[i] = -1;
    this.nameSpan[i] = 0;
    this.masksValid = false;
    // names set one by one: no longer the layout of the last native decode
    this.layout++;
    this.layoutCount = -1;
  }

  /** Makes tags, nums, the name bytes and strSlot hold at least n features. */
  reserve(n: number): void {
    if (n <= this.tags.length) return;
    let size = this.tags.length * 2;
    while (size < n) size *= 2;
    this.tags = enlarged(this.tags, size);
    this.nums = enlarged(this.nums, size);
    this.nameSpan = enlarged(this.nameSpan, size);
    this.nameWords = enlarged(this.nameWords, size * NAME_WORDS);
    this.strSlot = enlarged(this.strSlot, size);
  }

  /** End of a native decode's features: k names were read, `changed` if any differed from before. */
  namesRead(k: number, changed: boolean): void {
    this.featureCount = k;
    if (changed || k !== this.layoutCount) {
      this.layout++;
      this.layoutCount = k;
    }
  }

  /**
   * Index of a feature by name, or -1. Producers usually send features in the same order as the
   * config, so the position `hint` is tried first; otherwise a linear scan (tens of features).
   */
  indexOf(name: string, hint = -1): number {
    if (hint >= 0 && hint < this.featureCount && this.names[hint] === name) return hint;
    for (let i = 0; i < this.featureCount; i++) if (this.names[i] === name) return i;
    return -1;
  }
}

const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_BUFFER = Buffer.alloc(0);

/**
 * A cursor over one body. The decoder keeps one and resets it per body (no object per event); the
 * DataView for doubles is kept while bodies come from the same ArrayBuffer (a fetched batch).
 */
class Reader {
  buf: Buffer = EMPTY_BUFFER;
  pos = 0;
  end = 0;
  /** Over the whole ArrayBuffer of `buf`; `viewBase` is where `buf` starts in it. */
  view: DataView | null = null;
  viewBase = 0;
  /** The last long read by longIntoValue (or a multi-byte long()). */
  longValue = NaN;
  constructor(buf?: Buffer, start = 0, end = 0) {
    if (buf) this.reset(buf, start, end);
  }
  reset(buf: Buffer, start: number, end: number): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    const view = this.view;
    if (view === null || view.buffer !== buf.buffer) this.view = new DataView(buf.buffer);
    this.viewBase = buf.byteOffset;
  }
  fail(what: string): never {
    throw new RejectedMessageError('undecodable', `not a valid Avro body: ${what} at byte ${this.pos}`);
  }
  /** Zig-zag varint long (Avro spec 1.11, "Binary Encoding"). Exact up to 2^53. */
  long(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos];
      if (b < 0x80) {
        // one byte (lengths, counts and branches usually are): zig-zag of a 7-bit value
        this.pos = pos + 1;
        return (b >>> 1) ^ -(b & 1);
      }
    }
    return this.longSlow();
  }
  private longSlow(): number {
    this.longIntoValue();
    return this.longValue;
  }
  /**
   * The varint long at `pos` decoded into `longValue` instead of returned, for longs that may take
   * more than 31 bits (event times): a double returned from a call that is not inlined is boxed,
   * one heap number per event; a double field is written in place. A one-byte varint takes the
   * general loop below (long() has the fast path for those; event times take six bytes).
   */
  longIntoValue(): void {
    let n = 0;
    let mul = 1;
    let b: number;
    let shift = 0;
    const buf = this.buf;
    const pos = this.pos;
    if (pos + 4 <= this.end && buf[pos] & 0x80) {
      // The first 4 bytes (28 bits) in integer arithmetic; n is the same exact integer as below.
      n = buf[pos] & 0x7f;
      b = buf[pos + 1];
      n |= (b & 0x7f) << 7;
      if (!(b & 0x80)) return this.zigzag(n, pos + 2);
      b = buf[pos + 2];
      n |= (b & 0x7f) << 14;
      if (!(b & 0x80)) return this.zigzag(n, pos + 3);
      b = buf[pos + 3];
      n |= (b & 0x7f) << 21;
      if (!(b & 0x80)) return this.zigzag(n, pos + 4);
      this.pos = pos + 4;
      mul = 0x10000000;
      shift = 28;
    }
    do {
      if (this.pos >= this.end) this.fail('truncated long');
      b = this.buf[this.pos++];
      n += (b & 0x7f) * mul;
      mul *= 128;
      shift += 7;
      if (shift > 63) this.fail('varint longer than 10 bytes');
    } while (b & 0x80);
    // zig-zag: even -> n/2, odd -> -(n+1)/2
    this.longValue = n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }
  /** Zig-zag decoding of n (at most 28 bits) into `longValue`, the varint ending before `next`. */
  private zigzag(n: number, next: number): void {
    this.pos = next;
    this.longValue = (n >>> 1) ^ -(n & 1);
  }
  /** Reads a string's length and checks it fits; the bytes start at `pos`. */
  private stringLength(): number {
    const len = this.long();
    if (len < 0 || this.pos + len > this.end) this.fail('string length out of range');
    return len;
  }
  /** Whether the `len` bytes at `start`, whose packKey is `key`, are the slot's string. */
  private same(slot: StringSlot, key: number, start: number, len: number): boolean {
    if (slot.key !== key) return false;
    if (len <= KEY_BYTES) return true;
    const bytes = slot.bytes;
    if (bytes.length !== len) return false;
    const buf = this.buf;
    for (let i = 3; i < len - 3; i++) if (bytes[i] !== buf[start + i]) return false;
    return true;
  }
  private text(start: number, len: number): string {
    return this.buf.toString('utf8', start, start + len);
  }
  /** A copy of `len` bytes at `start` (Buffer.slice would share the body's memory). */
  private copy(start: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const buf = this.buf;
    for (let i = 0; i < len; i++) out[i] = buf[start + i];
    return out;
  }
  /**
   * Reads a string into a slot, keeping the slot's text when the bytes are the same as last time.
   * Returns whether the slot changed.
   */
  slotString(slot: StringSlot): boolean {
    const len = this.stringLength();
    const start = this.pos;
    this.pos += len;
    const key = packKey(this.buf, this.view!, this.viewBase, start, len);
    if (this.same(slot, key, start, len)) return false;
    slot.bytes = this.copy(start, len);
    slot.text = this.text(start, len);
    slot.key = key;
    return true;
  }
  /** Reads a string, reusing the slot's text when the bytes are the same as last time. */
  cachedString(slot: StringSlot): string {
    this.slotString(slot);
    return slot.text;
  }
  /**
   * Reads a string, reusing one of the last few distinct strings seen in `slots` when the bytes
   * match (categorical values and model ids repeat); otherwise decodes it and remembers it.
   */
  recentString(recent: RecentStrings): string {
    const len = this.stringLength();
    const start = this.pos;
    this.pos += len;
    const key = packKey(this.buf, this.view!, this.viewBase, start, len);
    const keys = recent.keys;
    const slots = recent.slots;
    for (let s = 0; s < slots.length; s++) {
      if (keys[s] === key && (len <= KEY_BYTES || this.same(slots[s], key, start, len))) {
        this.slotIndex = s;
        return slots[s].text;
      }
    }
    const text = this.text(start, len);
    this.slotIndex = -1;
    if (len <= 64) {
      // a new slot object (never one changed in place: callers may cache per slot object)
      const slot = { text, bytes: this.copy(start, len), key };
      const s = slots.length < RecentStrings.SIZE ? slots.length : (start + len) & (RecentStrings.SIZE - 1);
      slots[s] = slot;
      keys[s] = key;
      this.slotIndex = s;
    }
    return text;
  }
  /** The slot index in its RecentStrings of the last recentString, or -1. */
  slotIndex = -1;
  /** Skips a string, returning its start (after the length) and end. */
  skipString(): number {
    const len = this.stringLength();
    const start = this.pos;
    this.pos += len;
    return start;
  }
  string(): string {
    const len = this.stringLength();
    const s = this.text(this.pos, len);
    this.pos += len;
    return s;
  }
  double(): number {
    const pos = this.pos;
    if (pos + 8 > this.end) this.fail('truncated double');
    this.pos = pos + 8;
    // DataView.getFloat64 is an intrinsic; Buffer.readDoubleLE is not.
    return this.view!.getFloat64(this.viewBase + pos, true);
  }
  boolean(): boolean {
    if (this.pos >= this.end) this.fail('truncated boolean');
    const b = this.buf[this.pos++];
    if (b > 1) this.fail('boolean byte not 0 or 1');
    return b === 1;
  }
  unionIndex(size: number): number {
    const i = this.long();
    if (i < 0 || i >= size) this.fail(`union branch ${i} out of range`);
    return i;
  }
  /** Map/array block count; a negative count is followed by the block's byte size. */
  blockCount(): number {
    let n = this.long();
    if (n < 0) {
      n = -n;
      this.long();
    }
    if (n > this.end - this.pos) this.fail('block count larger than the body');
    return n;
  }
}

/**
 * The features map. The common case (the same name at this position as in the previous event,
 * then a null or double branch) is read inline with the position in a local: the name's bytes
 * are compared with the ones kept for the position as 32-bit words, and the feature's name string
 * stays as it was. Anything else goes through the Reader's methods from the same position, so
 * errors and their byte offsets are the same either way.
 */
function readFeatures(r: Reader, view: EventView): void {
  const slots = view.slots.names;
  const names = view.names;
  const strs = view.strs;
  const buf = r.buf;
  const end = r.end;
  const dv = r.view!;
  const base = r.viewBase;
  // a word read at base + pos must end within the ArrayBuffer (the bytes past `end` are masked)
  const wordEnd = dv.byteLength - base - 4;
  let k = 0;
  let changed = false;
  let doubles = 0;
  let numbers = 0;
  let nulls = 0;
  let nonFinite = 0;
  for (let n = r.blockCount(); n !== 0; n = r.blockCount()) {
    // n <= bytes left (blockCount), so this reserve is bounded by the body size
    view.reserve(k + n);
    const tags = view.tags;
    const nums = view.nums;
    const spans = view.nameSpan;
    const words = view.nameWords;
    let pos = r.pos;
    for (let i = 0; i < n; i++, k++) {
      const bit = k < 32 ? 1 << k : 0;
      // name: the same bytes as last time at this position?
      const span = spans[k];
      let same = span !== 0 && pos + span <= end && pos + span - 1 <= wordEnd;
      if (same) {
        const w = k * NAME_WORDS;
        const full = span >> 2;
        let q = 0;
        for (; q < full; q++) {
          if (dv.getInt32(base + pos + 4 * q, true) !== words[w + q]) {
            same = false;
            break;
          }
        }
        const rest = span & 3;
        if (same && rest !== 0 && ((dv.getInt32(base + pos + 4 * q, true) ^ words[w + q]) & ((1 << (8 * rest)) - 1)) !== 0) same = false;
      }
      if (same) pos += span;
      else {
        if (k === slots.length) slots.push(emptySlot());
        const slot = slots[k];
        r.pos = pos;
        if (r.slotString(slot)) changed = true;
        names[k] = slot.text;
        keepName(view, k, buf, pos, r.pos);
        pos = r.pos;
      }
      // value: union branch 0 (null) and 1 (double) are the bytes 0 and 2; strs[k] is left as it
      // was unless the value is a string (it is read only for TAG_STRING)
      const branch = pos < end ? buf[pos] : 1;
      if (branch === 2 && pos + 9 <= end) {
        const x = dv.getFloat64(base + pos + 1, true);
        tags[k] = TAG_DOUBLE;
        nums[k] = x;
        doubles |= bit;
        if (x - x !== 0) nonFinite |= bit;
        pos += 9;
        continue;
      }
      if (branch === 0) {
        tags[k] = TAG_NULL;
        nums[k] = 0;
        nulls |= bit;
        pos += 1;
        continue;
      }
      r.pos = pos;
      switch (r.unionIndex(5)) {
        case 0: tags[k] = TAG_NULL; nums[k] = 0; nulls |= bit; break;
        case 1: {
          const x = r.double();
          tags[k] = TAG_DOUBLE;
          nums[k] = x;
          doubles |= bit;
          if (x - x !== 0) nonFinite |= bit;
          break;
        }
        case 2: tags[k] = TAG_LONG; nums[k] = r.long(); numbers |= bit; break;
        case 3: {
          let recent = view.valueSlots[k];
          if (!recent) view.valueSlots[k] = recent = new RecentStrings();
          tags[k] = TAG_STRING;
          nums[k] = 0;
          strs[k] = r.recentString(recent);
          view.strSlot[k] = r.slotIndex;
          break;
        }
        default: tags[k] = TAG_BOOLEAN; nums[k] = r.boolean() ? 1 : 0; break;
      }
      pos = r.pos;
    }
    r.pos = pos;
  }
  view.namesRead(k, changed);
  view.doubleMask = doubles;
  view.numberMask = numbers | doubles;
  view.nullMask = nulls;
  view.nonFiniteMask = nonFinite;
  view.masksValid = k <= 32;
}

/**
 * Keeps the bytes [start, end) of `buf` (a name with its one-byte length) as position k's name
 * bytes for the next event's word compare; a name with a longer length varint is not kept.
 */
function keepName(view: EventView, k: number, buf: Buffer, start: number, end: number): void {
  const span = end - start;
  // (a name of 64 bytes or more, whose length takes two varint bytes, spans more than 64)
  if (span > NAME_WORDS * 4) {
    view.nameSpan[k] = 0;
    return;
  }
  const words = view.nameWords;
  const w = k * NAME_WORDS;
  for (let q = 0; q < NAME_WORDS; q++) words[w + q] = 0;
  for (let b = 0; b < span; b++) words[w + (b >> 2)] |= buf[start + b] << (8 * (b & 3));
  view.nameSpan[k] = span;
}

function readTarget(r: Reader, view: EventView): void {
  const branch = r.unionIndex(3);
  if (branch === 1) {
    view.targetTag = TAG_DOUBLE;
    view.targetNum = r.double();
  } else if (branch === 2) {
    view.targetTag = TAG_STRING;
    view.targetStr = r.string();
  } else view.targetTag = TAG_NULL;
}

/** Decodes a body written with driftline's own schema, from `start` to the end of `buf`. */
export function decodeNative(kind: EventKind, buf: Buffer, start: number, view: EventView, reader?: Reader): void {
  const r = reader ?? new Reader();
  r.reset(buf, start, buf.length);
  view.reset();
  view.modelId = r.recentString(view.slots.models);
  view.modelVersion = r.cachedString(view.slots.version);
  if (kind === 'training') view.datasetVersion = r.unionIndex(2) === 1 ? r.string() : null;
  const idStart = r.skipString();
  view.setEventIdBytes(buf, idStart, r.pos);
  r.longIntoValue();
  view.eventTime = r.longValue;
  readFeatures(r, view);
  readTarget(r, view);
  if (kind === 'inference') {
    // attributes: map<string>; read and dropped (not used by the detector).
    for (let n = r.blockCount(); n !== 0; n = r.blockCount()) {
      for (let i = 0; i < n; i++) {
        r.skipString();
        r.skipString();
      }
    }
  }
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} trailing bytes after the record`);
}

/**
 * Walks a body against a writer schema with bounds checks before avsc decodes it. avsc only checks
 * that a buffer was long enough after reading it, so a corrupted map or array count (a varint of
 * billions) makes it loop for minutes; here every length and block count must fit in the bytes
 * that are left. Throws RejectedMessageError (undecodable).
 */
function checkAgainst(type: avro.Type, r: Reader, depth = 0): void {
  if (depth > 64) r.fail('schema nesting deeper than 64');
  const t = type as avro.Type & Record<string, (...a: unknown[]) => unknown>;
  const name = type.typeName;
  switch (name) {
    case 'null': return;
    case 'boolean': r.boolean(); return;
    case 'int': case 'long': r.long(); return;
    case 'float': if (r.pos + 4 > r.end) r.fail('truncated float'); r.pos += 4; return;
    case 'double': r.double(); return;
    case 'string': case 'bytes': {
      const len = r.long();
      if (len < 0 || r.pos + len > r.end) r.fail(`${name} length out of range`);
      r.pos += len;
      return;
    }
    case 'fixed': {
      const size = t.getSize() as number;
      if (r.pos + size > r.end) r.fail('truncated fixed');
      r.pos += size;
      return;
    }
    case 'enum': r.unionIndex((t.getSymbols() as string[]).length); return;
    case 'union:wrapped': case 'union:unwrapped': {
      const types = t.getTypes() as avro.Type[];
      checkAgainst(types[r.unionIndex(types.length)], r, depth + 1);
      return;
    }
    case 'record': case 'error':
      for (const f of t.getFields() as { getType(): avro.Type }[]) checkAgainst(f.getType(), r, depth + 1);
      return;
    case 'map': case 'array': {
      const inner = (name === 'map' ? t.getValuesType() : t.getItemsType()) as avro.Type;
      for (let n = r.blockCount(); n !== 0; n = r.blockCount()) {
        for (let i = 0; i < n; i++) {
          if (name === 'map') checkAgainst(STRING, r, depth + 1);
          checkAgainst(inner, r, depth + 1);
        }
      }
      return;
    }
    default:
      if (name.startsWith('logical:')) return checkAgainst(t.getUnderlyingType() as avro.Type, r, depth);
      r.fail(`unsupported writer type ${name}`);
  }
}
const STRING = avro.Type.forSchema('string');

type Wrapped = Record<string, unknown> | null;

function unwrap(v: Wrapped): [ValueTag, number, string | null] {
  if (v === null || v === undefined) return [TAG_NULL, 0, null];
  const [branch, value] = Object.entries(v)[0];
  switch (branch) {
    case 'double': case 'float': return [TAG_DOUBLE, value as number, null];
    case 'long': case 'int': return [TAG_LONG, Number(value), null];
    case 'string': return [TAG_STRING, 0, value as string];
    case 'boolean': return [TAG_BOOLEAN, value ? 1 : 0, null];
    default: throw new RejectedMessageError('wrong_type', `value of unsupported Avro type "${branch}"`);
  }
}

/** Fills the view from an avsc-decoded (wrapped-union) event object. */
export function fillFromObject(kind: EventKind, obj: Record<string, unknown>, view: EventView): void {
  view.reset();
  view.modelId = obj.model_id as string;
  view.modelVersion = obj.model_version as string;
  view.eventId = obj.event_id as string;
  view.eventTime = Number(obj.event_time instanceof Date ? obj.event_time.getTime() : obj.event_time);
  if (kind === 'training') {
    const dv = obj.dataset_version as Wrapped;
    view.datasetVersion = dv ? (Object.values(dv)[0] as string) : null;
  }
  const features = obj.features as Record<string, Wrapped>;
  for (const name of Object.keys(features)) {
    const [tag, num, str] = unwrap(features[name]);
    view.pushFeature(name, tag, num, str);
  }
  const [tag, num, str] = unwrap((kind === 'inference' ? obj.prediction : obj.label) as Wrapped);
  view.targetTag = tag;
  view.targetNum = num;
  view.targetStr = str;
}

/** The writer schema of a Confluent-framed body; `native` when it is the reader's own schema. */
export interface FramedWriter {
  id: number;
  native: boolean;
  type: avro.Type;
  resolver: avro.Resolver | null;
}

/**
 * Confluent-framed bodies (magic byte 0, 4-byte big-endian schema id) read as one reader schema:
 * the writer schema of each id (from the config or a schema registry, via `writers`) and its
 * resolver, made once per id. Shared by the event and label decoders.
 */
export class FramedBodies {
  private readonly entries = new Map<number, FramedWriter | RejectedMessageError>();
  private readonly readerFingerprint: string;

  constructor(
    private readonly reader: avro.Type,
    /** The reader's record name, for errors (InferenceEvent, TrainingEvent, LabelEvent). */
    private readonly readerName: string,
    private readonly writers: ReadonlyMap<number, avro.Schema>,
  ) {
    this.readerFingerprint = reader.fingerprint('sha256').toString('hex');
  }

  /** The writer of a framed body (buf[0] is 0). Throws RejectedMessageError. */
  writerOf(buf: Buffer): FramedWriter {
    if (buf.length < 5) throw new RejectedMessageError('undecodable', 'Confluent-framed body shorter than its 5-byte header');
    const id = buf.readUInt32BE(1);
    const known = this.entries.get(id);
    if (known instanceof RejectedMessageError) throw known;
    if (known) return known;
    const schema = this.writers.get(id);
    if (!schema) throw new RejectedMessageError('unknown_schema_id', `unknown writer schema id ${id}: not in the config's codec.writerSchemas nor the schema registry`);
    const type = avro.Type.forSchema(schema, { wrapUnions: true });
    let entry: FramedWriter;
    if (type.fingerprint('sha256').toString('hex') === this.readerFingerprint) entry = { id, native: true, type, resolver: null };
    else {
      try {
        entry = { id, native: false, type, resolver: this.reader.createResolver(type) };
      } catch (err) {
        // A writer that lacks a field the reader needs (no default) is a missing field; any other
        // incompatibility (a field of another type) is a schema the processor cannot read.
        const missing = /no matching field for default-less/.test((err as Error).message);
        const error = new RejectedMessageError(missing ? 'missing_field' : 'unknown_schema_id', `writer schema id ${id} cannot be read as ${this.readerName}: ${(err as Error).message}`, { cause: err });
        this.entries.set(id, error);
        throw error;
      }
    }
    this.entries.set(id, entry);
    return entry;
  }

  /**
   * The body decoded by avsc into a (wrapped-union) object of the reader schema, after a bounds
   * check against its writer schema (see checkAgainst). Throws RejectedMessageError (undecodable).
   */
  decodeObject(buf: Buffer, writer: FramedWriter): Record<string, unknown> {
    const r = new Reader(buf, 5, buf.length);
    checkAgainst(writer.type, r);
    if (r.pos !== r.end) r.fail(`${r.end - r.pos} trailing bytes after the record`);
    try {
      const body = buf.subarray(5);
      return (writer.resolver ? this.reader.fromBuffer(body, writer.resolver) : this.reader.fromBuffer(body)) as Record<string, unknown>;
    } catch (err) {
      throw new RejectedMessageError('undecodable', `body does not match writer schema id ${writer.id}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * Decodes raw Avro bodies and Confluent-framed ones. `writers` maps schema ids to writer schemas
 * (from the config or a schema registry); a framed body whose id is not there is rejected with
 * reason unknown_schema_id.
 */
export class EventDecoder {
  private readonly framed: FramedBodies;
  /** Reused for every native body. */
  private readonly cursor = new Reader();

  constructor(
    readonly kind: EventKind,
    reader: avro.Type,
    writers: ReadonlyMap<number, avro.Schema>,
  ) {
    this.framed = new FramedBodies(reader, kind === 'inference' ? 'InferenceEvent' : 'TrainingEvent', writers);
  }

  decode(buf: Buffer, view: EventView): void {
    if (buf.length === 0) throw new RejectedMessageError('undecodable', 'empty message body');
    // A raw driftline body never starts with 0: that would be an empty model_id.
    if (buf[0] === 0) {
      const writer = this.framed.writerOf(buf);
      if (writer.native) return decodeNative(this.kind, buf, 5, view, this.cursor);
      fillFromObject(this.kind, this.framed.decodeObject(buf, writer), view);
      return;
    }
    decodeNative(this.kind, buf, 0, view, this.cursor);
  }
}

/** A plain event as producers and tests write it: feature values as JS values. */
export interface PlainEvent {
  model_id: string;
  model_version: string;
  event_id: string;
  event_time: number;
  features: Record<string, number | string | boolean | null | undefined>;
  prediction?: number | string | null;
  label?: number | string | null;
  dataset_version?: string | null;
  attributes?: Record<string, string>;
}

function wrapValue(v: number | string | boolean | null | undefined): Wrapped {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return { double: v };
  if (typeof v === 'string') return { string: v };
  return { boolean: v };
}

/** Encodes a plain event with driftline's schema (numbers as double). Optionally Confluent-framed. */
export function encodeEvent(type: avro.Type, kind: EventKind, e: PlainEvent, schemaId?: number): Buffer {
  const features: Record<string, Wrapped> = {};
  for (const [k, v] of Object.entries(e.features)) features[k] = wrapValue(v);
  const base = { model_id: e.model_id, model_version: e.model_version, event_id: e.event_id, event_time: e.event_time, features };
  const rec = kind === 'inference'
    ? { ...base, prediction: wrapValue(e.prediction), attributes: e.attributes ?? {} }
    : { ...base, dataset_version: e.dataset_version == null ? null : { string: e.dataset_version }, label: wrapValue(e.label) };
  const body = type.toBuffer(rec);
  if (schemaId === undefined) return body;
  const header = Buffer.alloc(5);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}
