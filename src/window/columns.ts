/**
 * Columnar buffers of one window, in Apache Arrow's memory layout: a Float64 values buffer with a
 * validity bitmap for each numeric feature, and Int32 dictionary indices with a validity bitmap for
 * each categorical feature (the dictionary is shared by all windows of a model). Appends write in
 * place into growable typed arrays: no object per event. `toArrow()` wraps the buffers as an Arrow
 * Table without copying them.
 */
import { Dictionary, Float64, Int32, Table, Utf8, makeData, makeVector, vectorFromArray, type Vector } from 'apache-arrow';

const INITIAL_CAPACITY = 1024;

/** Maps category strings to stable dense codes; one per (model, feature), shared across windows. */
export class CategoryDictionary {
  private readonly codes = new Map<string, number>();
  readonly values: string[] = [];
  code(value: string): number {
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

abstract class Column<T extends Float64Array | Int32Array> {
  length = 0;
  nullCount = 0;
  validity: Uint8Array;
  abstract values: T;
  constructor(capacity: number) {
    this.validity = new Uint8Array(Math.ceil(capacity / 8));
  }
  protected abstract grow(capacity: number): void;
  protected reserve(): number {
    const i = this.length;
    if (i >= this.values.length) {
      const capacity = this.values.length * 2;
      this.grow(capacity);
      const v = new Uint8Array(Math.ceil(capacity / 8));
      v.set(this.validity);
      this.validity = v;
    }
    this.length = i + 1;
    return i;
  }
  appendNull(): void {
    this.reserve();
    this.nullCount++;
  }
  isValid(i: number): boolean {
    return (this.validity[i >> 3] & (1 << (i & 7))) !== 0;
  }
  protected setValid(i: number): void {
    this.validity[i >> 3] |= 1 << (i & 7);
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
    const i = this.reserve();
    this.values[i] = value;
    this.setValid(i);
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
    const i = this.reserve();
    this.values[i] = this.dictionary.code(value);
    this.setValid(i);
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

export type AnyColumn = NumericColumn | CategoricalColumn;

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
