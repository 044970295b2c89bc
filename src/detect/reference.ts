/**
 * The reference profile of one (model, model version), built from its TrainingEvents.
 *
 * Numeric features keep a reservoir sample of at most `maxRows` values (Vitter's Algorithm R,
 * "Random Sampling with a Reservoir", ACM TOMS 1985) with a PRNG seeded from the model, version and
 * feature, so the same training topic always gives the same sample; counts, missing, min and max
 * stay exact. Categorical features keep exact counts per category. Bin edges are frozen from the
 * reference sample: serving data never moves them.
 */
import { binCountsSorted } from '../stats/binning.js';
import { bucketValues, mulberry32, proportions, rangeWasm, referenceBins, referenceEdgesSorted, sortFloat64, type ValueBuckets } from '../stats/index.js';
import type { FeatureKind } from './registry.js';

export interface ReferenceFeatureSpec {
  readonly name: string;
  readonly kind: FeatureKind;
  readonly bins: number;
}

/** FNV-1a 32-bit hash of a string; seeds the reservoir PRNG. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class NumericReference {
  seen = 0;
  missing = 0;
  min = Infinity;
  max = -Infinity;
  private sample: Float64Array;
  private kept = 0;
  /** Set once the sample was sorted in place for a final snapshot: no more values then. */
  private spent = false;
  private readonly random: () => number;
  constructor(readonly maxRows: number, seed: number) {
    this.sample = new Float64Array(Math.min(maxRows, 1024));
    this.random = mulberry32(seed);
  }
  add(v: number): void {
    if (this.spent) throw new Error('NumericReference: values added after the final snapshot');
    this.seen++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.kept < this.maxRows) {
      if (this.kept === this.sample.length) {
        const s = new Float64Array(Math.min(this.maxRows, this.sample.length * 2));
        s.set(this.sample);
        this.sample = s;
      }
      this.sample[this.kept++] = v;
      return;
    }
    const j = Math.floor(this.random() * this.seen);
    if (j < this.maxRows) this.sample[j] = v;
  }
  addMissing(): void {
    this.missing++;
  }
  /**
   * Adds each values[i] weights[i] times, in order: the same as add() for every value of the
   * expanded column, without making it (a sketch's weighted items hold a whole window's values).
   */
  addWeighted(values: Float64Array, weights: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      for (let r = weights[i]; r > 0; r--) this.add(v);
    }
  }
  /**
   * Adds a whole column: the same as add(x) for each value in order, and addMissing() for each
   * NaN. When the column goes into an empty reservoir and all of its values fit, they are kept in
   * one pass (the reservoir keeps every value, in order, until it is full: no random draws).
   * `giveUp`: the caller hands the array over and never reads it again, so the valid values are
   * kept in it (moved to its front when there are NaNs) instead of being copied; the sample may
   * later be sorted in place (finalSample()).
   */
  addColumn(values: Float64Array, giveUp = false): void {
    const n = values.length;
    if (this.spent) throw new Error('NumericReference: values added after the final snapshot');
    if (this.kept === 0 && n > 0 && n <= this.maxRows) {
      let min = this.min;
      let max = this.max;
      let missing = 0;
      // (In WebAssembly where the column lies in an arena, as compare reads them: the same pass.)
      const range = rangeWasm(values);
      if (range) {
        if (range.min < min) min = range.min;
        if (range.max > max) max = range.max;
        missing = range.nan;
      } else {
        for (let i = 0; i < n; i++) {
          const v = values[i];
          if (v !== v) missing++;
          else {
            if (v < min) min = v;
            if (v > max) max = v;
          }
        }
      }
      const valid = n - missing;
      let sample: Float64Array;
      if (missing === 0) sample = giveUp ? values : values.slice();
      else {
        sample = giveUp ? values.subarray(0, valid) : new Float64Array(valid);
        let j = 0;
        for (let i = 0; i < n; i++) {
          const v = values[i];
          if (v === v) sample[j++] = v;
        }
      }
      this.min = min;
      this.max = max;
      this.seen += valid;
      this.missing += missing;
      this.kept = valid;
      // An empty sample keeps its room, as one that was never added to.
      if (valid > 0) this.sample = sample;
      return;
    }
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== v) this.addMissing();
      else this.add(v);
    }
  }
  /** The sample, sorted ascending, in a new array. */
  sortedSample(): Float64Array {
    return sortFloat64(this.sample.slice(0, this.kept));
  }
  /**
   * The sample itself, in the order it was kept, for a final snapshot: the reference takes no
   * more values after this (it is spent), and the caller may sort it in place.
   */
  finalSample(): Float64Array {
    this.spent = true;
    return this.sample.subarray(0, this.kept);
  }
}

export class CategoricalReference {
  seen = 0;
  missing = 0;
  readonly counts = new Map<string, number>();
  add(v: string): void {
    this.seen++;
    this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
  }
  addMissing(): void {
    this.missing++;
  }
}

/** What evaluation needs of a numeric reference: computed once per change of the training data. */
export interface NumericSnapshot {
  readonly kind: 'numeric';
  /** The reference sample in any order: for the statistics that need no order (unsortedPairStats). */
  readonly sample: Float64Array;
  /**
   * The sample sorted ascending. A final snapshot sorts it the first time this is read, in place
   * (`sample` is then the same array, sorted); evaluation that needs no order never reads it.
   */
  readonly sorted: Float64Array;
  /** The sample's buckets (bucketValues), null when it has none (no values, or one value only, ...); may be made when first read. */
  readonly buckets: ValueBuckets | null;
  readonly edges: Float64Array;
  readonly binProportions: Float64Array;
  readonly count: number;
  readonly missing: number;
  readonly min: number;
  readonly max: number;
}
export interface CategoricalSnapshot {
  readonly kind: 'categorical';
  readonly counts: ReadonlyMap<string, number>;
  readonly count: number;
  readonly missing: number;
}
export type FeatureSnapshot = NumericSnapshot | CategoricalSnapshot;

export interface ReferenceSnapshot {
  readonly modelId: string;
  readonly modelVersion: string;
  readonly rows: number;
  readonly features: ReadonlyMap<string, FeatureSnapshot>;
}

export class ReferenceProfile {
  rows = 0;
  private readonly numeric = new Map<string, NumericReference>();
  private readonly categorical = new Map<string, CategoricalReference>();
  private snapshotCache: ReferenceSnapshot | null = null;

  constructor(readonly modelId: string, readonly modelVersion: string, readonly features: readonly ReferenceFeatureSpec[], maxRows: number) {
    for (const f of features) {
      if (f.kind === 'numeric') this.numeric.set(f.name, new NumericReference(maxRows, fnv1a(`${modelId}\u0000${modelVersion}\u0000${f.name}`)));
      else this.categorical.set(f.name, new CategoricalReference());
    }
  }

  numericFeature(name: string): NumericReference | undefined {
    return this.numeric.get(name);
  }
  categoricalFeature(name: string): CategoricalReference | undefined {
    return this.categorical.get(name);
  }
  /** Call after each accepted training row. */
  rowAdded(): void {
    this.rows++;
    this.snapshotCache = null;
  }
  /** rowAdded() `n` times. */
  rowsAdded(n: number): void {
    this.rows += n;
    this.snapshotCache = null;
  }

  /**
   * Adds the rows of a closed serving window (references built from serving traffic):
   * `numeric(name)` gives the window's valid values and missing count, `categorical(name)` its
   * counts per category and missing count.
   */
  addWindow(rows: number, column: (name: string) => { values: Float64Array; weights?: ArrayLike<number>; missing: number } | { counts: ReadonlyMap<string, number>; missing: number }): void {
    for (const f of this.features) {
      const c = column(f.name);
      if ('values' in c) {
        const r = this.numeric.get(f.name)!;
        if (c.weights) r.addWeighted(c.values, c.weights);
        else r.addColumn(c.values);
        for (let i = 0; i < c.missing; i++) r.addMissing();
      } else {
        const r = this.categorical.get(f.name)!;
        for (const [value, n] of c.counts) {
          r.seen += n;
          r.counts.set(value, (r.counts.get(value) ?? 0) + n);
        }
        for (let i = 0; i < c.missing; i++) r.addMissing();
      }
    }
    this.rows += rows;
    this.snapshotCache = null;
  }

  /**
   * The frozen view used for evaluation. Recomputed only when training rows arrived since the last
   * call; serving data never changes it.
   */
  snapshot(): ReferenceSnapshot {
    return this.takeSnapshot(false);
  }

  /**
   * The snapshot of a profile that takes no more rows (`driftline compare`, which builds one per
   * file): the same as snapshot(), but each numeric sample becomes the snapshot's `sample` as it
   * is, no copy made (with addColumn(values, true), the very column given). Its bins come from
   * order statistics (referenceBins), and it is sorted in place only if `sorted` is read.
   * `sortNow`: sort each sample in place now instead, when evaluation reads `sorted` anyway
   * (readsInOrder): the bins then come from the sorted values, with no buckets made for them.
   * Adding values afterwards throws.
   */
  finalSnapshot(options: { sortNow?: boolean } = {}): ReferenceSnapshot {
    return this.takeSnapshot(true, options.sortNow ?? false);
  }

  private takeSnapshot(final: boolean, sortNow = true): ReferenceSnapshot {
    if (this.snapshotCache) return this.snapshotCache;
    const features = new Map<string, FeatureSnapshot>();
    for (const f of this.features) {
      if (f.kind === 'numeric') {
        const r = this.numeric.get(f.name)!;
        const common = { count: r.seen, missing: r.missing, min: r.min, max: r.max };
        if (final && !sortNow) {
          // Bins by order statistics, and the sort left for whoever needs the order (see NumericSnapshot).
          const sample = r.finalSample();
          // (min and max are the sample's own when it kept every value, which a final profile does)
          const buckets = sample.length === 0 ? null : r.seen === sample.length ? bucketValues(sample, r.min, r.max) : bucketValues(sample);
          const bins = sample.length > 0 ? referenceBins(sample, f.bins, buckets) : null;
          features.set(f.name, numericFeature({
            ...common,
            order: 'any',
            values: sample,
            buckets,
            edges: bins ? bins.edges : new Float64Array(0),
            binProportions: bins ? proportions(bins.counts) : new Float64Array(0),
          }));
          continue;
        }
        const sorted = final ? sortFloat64(r.finalSample()) : r.sortedSample();
        const edges = sorted.length > 0 ? referenceEdgesSorted(sorted, f.bins) : new Float64Array(0);
        const binProportions = sorted.length > 0 ? proportions(binCountsSorted(sorted, edges)) : new Float64Array(0);
        features.set(f.name, numericFeature({ ...common, order: 'sorted', values: sorted, buckets: undefined, edges, binProportions }));
      } else {
        const r = this.categorical.get(f.name)!;
        features.set(f.name, { kind: 'categorical', counts: new Map(r.counts), count: r.seen, missing: r.missing });
      }
    }
    this.snapshotCache = { modelId: this.modelId, modelVersion: this.modelVersion, rows: this.rows, features };
    return this.snapshotCache;
  }
}

/**
 * What a numeric feature snapshot is made of, as plain data: what snapshotData sends to another
 * thread (structured clone: the values are not copied when they lie in shared memory), and what
 * numericFeature makes a snapshot of.
 *  - order 'any': `values` is the sample in any order; `sorted` sorts it in place when first read.
 *  - order 'sorted': `values` is sorted; `buckets` (undefined: not made yet) are made when first read.
 */
interface NumericFeatureData extends Pick<NumericSnapshot, 'edges' | 'binProportions' | 'count' | 'missing' | 'min' | 'max'> {
  readonly order: 'any' | 'sorted';
  readonly values: Float64Array;
  readonly buckets: ValueBuckets | null | undefined;
}

/** The data each numeric feature snapshot was made of (for snapshotData), without reading its lazy parts. */
const madeOf = new WeakMap<FeatureSnapshot, NumericFeatureData>();

function numericFeature(d: NumericFeatureData): NumericSnapshot {
  const common = { kind: 'numeric' as const, count: d.count, missing: d.missing, min: d.min, max: d.max, edges: d.edges, binProportions: d.binProportions };
  let snapshot: NumericSnapshot;
  if (d.order === 'any') {
    const sample = d.values;
    let sorted: Float64Array | null = null;
    snapshot = {
      ...common,
      sample,
      get sorted() {
        return (sorted ??= sortFloat64(sample));
      },
      buckets: d.buckets ?? null,
    };
  } else {
    const sorted = d.values;
    let buckets = d.buckets;
    snapshot = {
      ...common,
      sample: sorted,
      sorted,
      get buckets() {
        if (buckets === undefined) buckets = sorted.length > 0 ? bucketValues(sorted, sorted[0], sorted[sorted.length - 1]) : null;
        return buckets;
      },
    };
  }
  madeOf.set(snapshot, d);
  return snapshot;
}

/** A reference snapshot as plain data another thread can be sent (see snapshotFromData). */
export interface SnapshotData {
  readonly modelId: string;
  readonly modelVersion: string;
  readonly rows: number;
  readonly features: [string, NumericFeatureData | CategoricalSnapshot][];
}

/**
 * A snapshot as plain data: the same arrays (shared, not copied, when in shared memory), its lazy
 * parts not made. The thread it is given to must be the only one to use it from then on (reading
 * `sorted` of an unsorted sample sorts it in place).
 */
export function snapshotData(s: ReferenceSnapshot): SnapshotData {
  return {
    modelId: s.modelId,
    modelVersion: s.modelVersion,
    rows: s.rows,
    features: [...s.features].map(([name, f]) => {
      if (f.kind === 'categorical') return [name, f];
      const d = madeOf.get(f);
      if (!d) throw new Error(`snapshotData: feature ${name} was not made by a ReferenceProfile`);
      return [name, d];
    }),
  };
}

/** The snapshot snapshotData describes. */
export function snapshotFromData(d: SnapshotData): ReferenceSnapshot {
  const features = new Map<string, FeatureSnapshot>();
  for (const [name, f] of d.features) features.set(name, 'kind' in f ? f : numericFeature(f));
  return { modelId: d.modelId, modelVersion: d.modelVersion, rows: d.rows, features };
}
