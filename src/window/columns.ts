/**
 * Columnar buffers of one window, in Apache Arrow's memory layout: a Float64 values buffer with a
 * validity bitmap for each numeric feature, and Int32 dictionary indices with a validity bitmap for
 * each categorical feature (the dictionary is shared by all windows of a model). Appends write in
 * place into growable typed arrays: no object per event. `toArrow()` wraps the buffers as an Arrow
 * Table without copying them.
 */
import { Dictionary, Float64, Int32, Table, Utf8, makeData, makeVector, vectorFromArray, type Vector } from 'apache-arrow';
import { KllSketch } from '../stats/index.js';

const INITIAL_CAPACITY = 1024;

/** Maps category strings to stable dense codes; one per (model, feature), shared across windows. */
export class CategoryDictionary {
  private readonly codes = new Map<string, number>();
  readonly values: string[] = [];
  /** The last value looked up and its code (categories often repeat from one event to the next). */
  private lastValue: string | null = null;
  private lastCode = 0;
  code(value: string): number {
    if (value === this.lastValue) return this.lastCode;
    const c = this.lookupOrAdd(value);
    this.lastValue = value;
    this.lastCode = c;
    return c;
  }
  /** Code of a remembered string, cached per slot object (`slot.text` must never change). */
  private readonly slotRefs: ({ readonly text: string } | undefined)[] = [];
  private readonly slotCodes: number[] = [];
  /**
   * The code of `slot.text`, where `slot` is the decoder's slot `index` (0-15) of the string:
   * while that slot holds the same object, its code is read from an array, not looked up.
   */
  codeOfSlot(slot: { readonly text: string }, index: number): number {
    if (this.slotRefs[index] === slot) return this.slotCodes[index];
    const c = this.code(slot.text);
    this.slotRefs[index] = slot;
    this.slotCodes[index] = c;
    return c;
  }
  private lookupOrAdd(value: string): number {
    let c = this.codes.get(value);
    if (c === undefined) {
      c = this.values.length;
      this.codes.set(value, c);
      this.values.push(value);
    }
    return c;
  }
  lookup(value: string): number | undefined {
    return this.codes.get(value);
  }
  get size(): number {
    return this.values.length;
  }
}

/**
 * The validity bitmap starts all ones (valid) and a null clears its bit, so appending a value
 * writes only the value: nulls are the rare case. Bits at and beyond `length` are not read (Arrow
 * reads `length` bits).
 */
abstract class Column<T extends Float64Array | Int32Array> {
  length = 0;
  nullCount = 0;
  validity: Uint8Array;
  abstract values: T;
  constructor(capacity: number) {
    this.validity = new Uint8Array(Math.ceil(capacity / 8)).fill(0xff);
  }
  protected abstract grow(capacity: number): void;
  /** Doubles the capacity (values and validity). */
  protected enlarge(): void {
    const capacity = this.values.length * 2;
    this.grow(capacity);
    const v = new Uint8Array(Math.ceil(capacity / 8)).fill(0xff);
    v.set(this.validity);
    this.validity = v;
  }
  protected reserve(): number {
    const i = this.length;
    if (i >= this.values.length) this.enlarge();
    this.length = i + 1;
    return i;
  }
  appendNull(): void {
    const i = this.reserve();
    this.validity[i >> 3] &= ~(1 << (i & 7));
    this.nullCount++;
  }
  isValid(i: number): boolean {
    return (this.validity[i >> 3] & (1 << (i & 7))) !== 0;
  }
  get validCount(): number {
    return this.length - this.nullCount;
  }
}

export class NumericColumn extends Column<Float64Array> {
  values: Float64Array;
  constructor(capacity = INITIAL_CAPACITY) {
    super(capacity);
    this.values = new Float64Array(capacity);
  }
  protected grow(capacity: number): void {
    const v = new Float64Array(capacity);
    v.set(this.values);
    this.values = v;
  }
  append(value: number): void {
    const i = this.length;
    if (i >= this.values.length) this.enlarge();
    this.values[i] = value;
    this.length = i + 1;
  }
  /** The non-missing values, copied into a new array (callers may sort it). */
  validValues(): Float64Array {
    const out = new Float64Array(this.validCount);
    if (this.nullCount === 0) {
      out.set(this.values.subarray(0, this.length));
      return out;
    }
    let k = 0;
    for (let i = 0; i < this.length; i++) if (this.isValid(i)) out[k++] = this.values[i];
    return out;
  }
  toArrow(): Vector<Float64> {
    return makeVector(makeData({ type: new Float64(), length: this.length, nullCount: this.nullCount, data: this.values.subarray(0, this.length), nullBitmap: this.validity }));
  }
}

export class CategoricalColumn extends Column<Int32Array> {
  values: Int32Array;
  constructor(readonly dictionary: CategoryDictionary, capacity = INITIAL_CAPACITY) {
    super(capacity);
    this.values = new Int32Array(capacity);
  }
  protected grow(capacity: number): void {
    const v = new Int32Array(capacity);
    v.set(this.values);
    this.values = v;
  }
  append(value: string): void {
    this.appendCode(this.dictionary.code(value));
  }
  /** Appends a code of this column's dictionary. */
  appendCode(code: number): void {
    const i = this.length;
    if (i >= this.values.length) this.enlarge();
    this.values[i] = code;
    this.length = i + 1;
  }
  /** Counts per dictionary code (array as long as the dictionary is now). */
  counts(): Float64Array {
    const out = new Float64Array(this.dictionary.size);
    for (let i = 0; i < this.length; i++) if (this.isValid(i)) out[this.values[i]]++;
    return out;
  }
  toArrow(): Vector<Dictionary<Utf8, Int32>> {
    const dictionary = vectorFromArray(this.dictionary.values, new Utf8());
    const type = new Dictionary(new Utf8(), new Int32());
    return makeVector(makeData({ type, length: this.length, nullCount: this.nullCount, data: this.values.subarray(0, this.length), nullBitmap: this.validity, dictionary }));
  }
}

/**
 * Sketch mode (bounded memory): a numeric feature's values go into a KLL quantile sketch of at
 * most ~27 KiB (k = 1024) whatever the event count; only counts are exact.
 */
export class SketchColumn {
  length = 0;
  nullCount = 0;
  readonly sketch: KllSketch;
  constructor(k: number) {
    this.sketch = new KllSketch(k);
  }
  append(value: number): void {
    this.sketch.update(value);
    this.length++;
  }
  appendNull(): void {
    this.length++;
    this.nullCount++;
  }
  toArrow(): never {
    throw new Error('sketch mode keeps no values of numeric features, only a quantile sketch: there is no Arrow column to show');
  }
}

/** Sketch mode for categories: exact counts per category, no per-event codes. */
export class CategoryCountsColumn {
  length = 0;
  nullCount = 0;
  private tally = new Float64Array(16);
  constructor(readonly dictionary: CategoryDictionary) {}
  append(value: string): void {
    const c = this.dictionary.code(value);
    if (c >= this.tally.length) {
      const t = new Float64Array(Math.max(c + 1, this.tally.length * 2));
      t.set(this.tally);
      this.tally = t;
    }
    this.tally[c]++;
    this.length++;
  }
  appendNull(): void {
    this.length++;
    this.nullCount++;
  }
  counts(): Float64Array {
    const out = new Float64Array(this.dictionary.size);
    out.set(this.tally.subarray(0, Math.min(this.tally.length, out.length)));
    return out;
  }
  toArrow(): never {
    throw new Error('sketch mode keeps category counts only: there is no Arrow column to show');
  }
}

export type AnyColumn = NumericColumn | CategoricalColumn | SketchColumn | CategoryCountsColumn;

/** All feature columns of one window; row i of every column is the i-th event of the window. */
export class WindowColumns {
  rows = 0;
  readonly columns: AnyColumn[];
  constructor(readonly featureNames: readonly string[], makeColumn: (index: number) => AnyColumn) {
    this.columns = featureNames.map((_, i) => makeColumn(i));
  }
  toArrow(): Table {
    const vectors: Record<string, Vector> = {};
    this.featureNames.forEach((name, i) => {
      vectors[name] = this.columns[i].toArrow() as Vector;
    });
    return new Table(vectors);
  }
}
