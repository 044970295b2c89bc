/**
 * The reference profile of one (model, model version), built from its TrainingEvents.
 *
 * Numeric features keep a reservoir sample of at most `maxRows` values (Vitter's Algorithm R,
 * "Random Sampling with a Reservoir", ACM TOMS 1985) with a PRNG seeded from the model, version and
 * feature, so the same training topic always gives the same sample; counts, missing, min and max
 * stay exact. Categorical features keep exact counts per category. Bin edges are frozen from the
 * reference sample: serving data never moves them.
 */
import { binCounts, mulberry32, proportions, referenceEdgesSorted, sortFloat64 } from '../stats/index.js';
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
  private readonly random: () => number;
  constructor(readonly maxRows: number, seed: number) {
    this.sample = new Float64Array(Math.min(maxRows, 1024));
    this.random = mulberry32(seed);
  }
  add(v: number): void {
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
  /** The sample, sorted ascending (a new array). */
  sortedSample(): Float64Array {
    return sortFloat64(this.sample.slice(0, this.kept));
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
  readonly sorted: Float64Array;
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

  /**
   * Adds the rows of a closed serving window (references built from serving traffic):
   * `numeric(name)` gives the window's valid values and missing count, `categorical(name)` its
   * counts per category and missing count.
   */
  addWindow(rows: number, column: (name: string) => { values: Float64Array; missing: number } | { counts: ReadonlyMap<string, number>; missing: number }): void {
    for (const f of this.features) {
      const c = column(f.name);
      if ('values' in c) {
        const r = this.numeric.get(f.name)!;
        for (let i = 0; i < c.values.length; i++) r.add(c.values[i]);
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
    if (this.snapshotCache) return this.snapshotCache;
    const features = new Map<string, FeatureSnapshot>();
    for (const f of this.features) {
      if (f.kind === 'numeric') {
        const r = this.numeric.get(f.name)!;
        const sorted = r.sortedSample();
        const edges = sorted.length > 0 ? referenceEdgesSorted(sorted, f.bins) : new Float64Array(0);
        const binProportions = sorted.length > 0 ? proportions(binCounts(sorted, edges)) : new Float64Array(0);
        features.set(f.name, { kind: 'numeric', sorted, edges, binProportions, count: r.seen, missing: r.missing, min: r.min, max: r.max });
      } else {
        const r = this.categorical.get(f.name)!;
        features.set(f.name, { kind: 'categorical', counts: new Map(r.counts), count: r.seen, missing: r.missing });
      }
    }
    this.snapshotCache = { modelId: this.modelId, modelVersion: this.modelVersion, rows: this.rows, features };
    return this.snapshotCache;
  }
}
