import { describe, expect, it } from 'vitest';
import { NumericReference, ReferenceProfile, snapshotData, snapshotFromData, type NumericSnapshot, type ReferenceSnapshot } from '../../../src/detect/reference.js';
import { mulberry32 } from '../../../src/stats/random.js';

/** A reference fed value by value, as the processor feeds training events. */
function oneByOne(values: Float64Array, maxRows: number, seed: number, prefix?: Float64Array): NumericReference {
  const r = new NumericReference(maxRows, seed);
  for (const part of prefix ? [prefix, values] : [values]) {
    for (const v of part) {
      if (Number.isNaN(v)) r.addMissing();
      else r.add(v);
    }
  }
  return r;
}

function same(a: NumericReference, b: NumericReference): void {
  expect([a.seen, a.missing, Object.is(a.min, b.min), Object.is(a.max, b.max)]).toEqual([b.seen, b.missing, true, true]);
  const sa = a.sortedSample();
  const sb = b.sortedSample();
  expect(Buffer.from(sa.buffer, sa.byteOffset, sa.byteLength).equals(Buffer.from(sb.buffer, sb.byteOffset, sb.byteLength))).toBe(true);
}

describe('NumericReference.addColumn', () => {
  const r = mulberry32(3);
  const column = (n: number, nanShare: number) => Float64Array.from({ length: n }, () => {
    const u = r();
    if (u < nanShare) return NaN;
    if (u < nanShare + 0.01) return [0, -0][Math.floor(r() * 2)];
    return (r() - 0.4) * 100;
  });
  for (const [name, n, nanShare, maxRows] of [
    ['fits, no NaN', 5000, 0, 5000],
    ['fits, with NaN', 5000, 0.1, 5000],
    ['all NaN', 50, 1, 100],
    ['more values than the reservoir holds (the reservoir path)', 5000, 0.05, 1000],
    ['empty column', 0, 0, 10],
  ] as const) {
    for (const giveUp of [false, true]) {
      it(`${name}${giveUp ? ', given up' : ''}: as add/addMissing one by one`, () => {
        const values = column(n, nanShare);
        const expected = oneByOne(values, maxRows, 42);
        const got = new NumericReference(maxRows, 42);
        const copy = values.slice();
        got.addColumn(values, giveUp);
        if (!giveUp) expect(Buffer.from(values.buffer).equals(Buffer.from(copy.buffer))).toBe(true);
        same(got, expected);
      });
    }
  }
  it('after earlier values (the reservoir path), as one by one', () => {
    const first = column(300, 0.1);
    const values = column(2000, 0.1);
    const got = new NumericReference(1000, 9);
    for (const v of first) if (Number.isNaN(v)) got.addMissing(); else got.add(v);
    got.addColumn(values);
    same(got, oneByOne(values, 1000, 9, first));
  });
  it('finalSample() hands over the given column as it is and spends the reference', () => {
    const values = column(4000, 0);
    const input = values.slice();
    const got = new NumericReference(4000, 1);
    got.addColumn(values, true);
    const sample = got.finalSample();
    expect(sample.buffer).toBe(values.buffer);
    expect([...sample]).toEqual([...input]);
    expect(() => got.add(1)).toThrow();
    expect(() => got.addColumn(Float64Array.of(1))).toThrow();
  });
});

describe('ReferenceProfile.finalSnapshot', () => {
  it('equals snapshot() of a profile fed row by row', () => {
    const r = mulberry32(5);
    const n = 6000;
    const values = Float64Array.from({ length: n }, () => (r() < 0.05 ? NaN : Math.round((r() - 0.5) * 1e4) / 100));
    const spec = [{ name: 'x', kind: 'numeric' as const, bins: 10 }];
    const a = new ReferenceProfile('m', 'v', spec, n);
    for (const v of values) {
      if (Number.isNaN(v)) a.numericFeature('x')!.addMissing();
      else a.numericFeature('x')!.add(v);
      a.rowAdded();
    }
    const b = new ReferenceProfile('m', 'v', spec, n);
    b.numericFeature('x')!.addColumn(values.slice(), true);
    b.rowsAdded(n);
    const sa = a.snapshot().features.get('x')!;
    const sb = b.finalSnapshot().features.get('x')!;
    if (sa.kind !== 'numeric' || sb.kind !== 'numeric') throw new Error('numeric expected');
    // bins from order statistics, the sample not sorted yet
    expect([...sb.edges]).toEqual([...sa.edges]);
    expect([...sb.binProportions]).toEqual([...sa.binProportions]);
    expect([sb.count, sb.missing, sb.min, sb.max]).toEqual([sa.count, sa.missing, sa.min, sa.max]);
    const kept = values.filter((v) => !Number.isNaN(v));
    expect([...sb.sample]).toEqual([...kept]);
    // sorted on first reading, in place: the sample is then the same array, sorted
    const sorted = sb.sorted;
    expect(sorted.buffer).toBe(sb.sample.buffer);
    expect([...sorted]).toEqual([...sa.sorted]);
    expect([...sb.sample]).toEqual([...sa.sorted]);
    expect([...sa.sample]).toEqual([...sa.sorted]);
    // sortNow: sorted at once, in place, with the bins of the sorted values; buckets all the same
    const column = values.slice();
    const c = new ReferenceProfile('m', 'v', spec, n);
    c.numericFeature('x')!.addColumn(column, true);
    c.rowsAdded(n);
    const sc = c.finalSnapshot({ sortNow: true }).features.get('x')!;
    if (sc.kind !== 'numeric') throw new Error('numeric expected');
    expect(sc.sorted.buffer).toBe(column.buffer);
    expect(sc.sample).toBe(sc.sorted);
    expect([...sc.sorted]).toEqual([...sa.sorted]);
    expect([...sc.edges]).toEqual([...sa.edges]);
    expect([...sc.binProportions]).toEqual([...sa.binProportions]);
    expect(sc.buckets!.start).toEqual(sb.buckets!.start);
  });
});

describe('NumericReference.addWeighted (a sketch window into a serving reference)', () => {
  for (const [name, maxRows] of [['all fit', 100_000], ['the reservoir path', 500]] as const) {
    it(`${name}: as add() for every value of the expanded column, after earlier values`, () => {
      const r = mulberry32(11);
      const values = Float64Array.from({ length: 300 }, (_, i) => i * 0.25 - 20 + r());
      const weights = Array.from({ length: 300 }, () => 1 + Math.floor(r() * 40));
      const prefix = Float64Array.from({ length: 700 }, () => r() * 9);
      const expanded: number[] = [];
      values.forEach((v, i) => {
        for (let k = 0; k < weights[i]; k++) expanded.push(v);
      });
      const weighted = oneByOne(new Float64Array(0), maxRows, 5, prefix);
      weighted.addWeighted(values, weights);
      same(weighted, oneByOne(Float64Array.from(expanded), maxRows, 5, prefix));
      expect(weighted.seen).toBe(700 + expanded.length);
    });
  }
});

describe('snapshotData / snapshotFromData (a snapshot sent to another thread)', () => {
  const bits = (a: Float64Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length * 2)];
  /** Everything a snapshot's feature holds, lazy parts included (read after the comparison of the rest). */
  const contents = (s: ReferenceSnapshot) => [...s.features].map(([name, f]) => {
    if (f.kind === 'categorical') return { name, ...f, counts: [...f.counts] };
    const b = f.buckets;
    return {
      name, count: f.count, missing: f.missing, min: f.min, max: f.max, edges: bits(f.edges), bins: bits(f.binProportions),
      buckets: b ? { lo: b.lo, scale: b.scale, size: b.size, start: [...b.start] } : null,
      sorted: bits(f.sorted),
    };
  });
  const r = mulberry32(8);
  const column = (n: number) => Float64Array.from({ length: n }, (_, i) => (i % 50 === 0 ? NaN : Math.round((r() - 0.3) * 1000) / 7));
  function profile(): ReferenceProfile {
    const p = new ReferenceProfile('m', 'v1', [{ name: 'x', kind: 'numeric', bins: 10 }, { name: 'y', kind: 'numeric', bins: 7 }, { name: 'c', kind: 'categorical', bins: 10 }], 100_000);
    p.numericFeature('x')!.addColumn(column(9000), true);
    p.numericFeature('y')!.addColumn(column(5000), true);
    for (const v of ['a', 'b', 'a', 'c']) p.categoricalFeature('c')!.add(v);
    p.categoricalFeature('c')!.addMissing();
    p.rowsAdded(9000);
    return p;
  }
  for (const sortNow of [false, true]) {
    it(`gives the same snapshot through structuredClone (${sortNow ? 'sorted now' : 'sample in any order'}), without making its lazy parts`, () => {
      const original = profile().finalSnapshot({ sortNow });
      const x = original.features.get('x') as NumericSnapshot;
      const before = bits(x.sample);
      const data = structuredClone(snapshotData(original));
      // Making the data neither sorted the sample nor did anything else to it.
      expect(bits(x.sample)).toEqual(before);
      const copy = snapshotFromData(data);
      expect([copy.modelId, copy.modelVersion, copy.rows]).toEqual([original.modelId, original.modelVersion, original.rows]);
      expect(contents(copy)).toEqual(contents(original));
    });
  }
});
