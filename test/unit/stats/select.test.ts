/**
 * orderStatistics (bucket counts, no sort) against a sorted copy, and referenceEdges /
 * referenceBins (which use it) against referenceEdgesSorted and binCountsSorted on a sorted copy:
 * the same bits. The sorted versions are checked against numpy in the golden tests.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binCountsSorted } from '../../../src/stats/binning.js';
import { mulberry32, orderStatistics, referenceBins, referenceEdges, referenceEdgesSorted, standardNormal } from '../../../src/stats/index.js';
import { bucketKernel, countKeysWasm, gatherWasm, rangeWasm } from '../../../src/stats/bucket-kernel.js';
import { bucketValues, countKeys, gatherBuckets, keyOf } from '../../../src/stats/select.js';
import { WasmArena } from '../../../src/stats/arena.js';

const sorted = (xs: ArrayLike<number>) => Float64Array.from(xs).sort();
const bits = (a: Float64Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length * 2)];

function expectSameRanks(values: Float64Array, ranks: number[]): void {
  const input = values.slice();
  const s = sorted(values);
  const want = Float64Array.from(ranks, (r) => s[r]);
  expect(bits(orderStatistics(values, ranks))).toEqual(bits(want));
  expect(values).toEqual(input); // untouched
}

function expectSameBins(values: Float64Array, bins: number): void {
  const s = sorted(values);
  const wantEdges = referenceEdgesSorted(s, bins);
  expect(bits(referenceEdges(values, bins))).toEqual(bits(wantEdges));
  const { edges, counts } = referenceBins(values, bins);
  expect(bits(edges)).toEqual(bits(wantEdges));
  expect([...counts]).toEqual([...binCountsSorted(s, wantEdges)]);
}

describe('orderStatistics equals indexing a sorted copy, bit for bit', () => {
  const r = mulberry32(41);
  const every = (n: number) => Array.from({ length: n }, (_, i) => i);
  const some = (n: number) => [0, 1, Math.floor(n / 3), Math.floor(n / 2), n - 2, n - 1].filter((k) => k >= 0 && k < n);
  const cases: [string, () => Float64Array][] = [
    ['normal', () => Float64Array.from({ length: 200_000 }, () => standardNormal(r))],
    ['log-normal, heavy tail (crowded buckets)', () => Float64Array.from({ length: 100_000 }, () => Math.exp(3 * standardNormal(r)))],
    ['Cauchy', () => Float64Array.from({ length: 100_000 }, () => Math.tan(Math.PI * (r() - 0.5)))],
    ['few distinct values', () => Float64Array.from({ length: 100_000 }, () => Math.floor(r() * 5) - 2)],
    ['signed zeros among values', () => Float64Array.from({ length: 30_000 }, (_, i) => [0, -0, 1, -1, 5e-324][i % 5])],
    ['only zeros of both signs', () => Float64Array.from({ length: 10_000 }, () => (r() < 0.3 ? -0 : 0))],
    ['one value', () => new Float64Array(10_000).fill(3.25)],
    ['infinities (sorted whole)', () => Float64Array.from({ length: 10_000 }, (_, i) => (i % 100 === 0 ? -Infinity : i % 101 === 0 ? Infinity : r()))],
    ['a range too wide for a double (sorted whole)', () => Float64Array.from({ length: 10_000 }, () => (r() - 0.5) * 1.7e308 * 2)],
    ['tiny', () => Float64Array.of(2, 1)],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const v = make();
      expectSameRanks(v, some(v.length));
      if (v.length <= 30_000) expectSameRanks(v, every(v.length));
    });
  }

  it('property: arbitrary samples and ranks', () => {
    const value = fc.oneof(fc.integer({ min: -5, max: 5 }).map((k) => k / 2), fc.double({ noNaN: true }), fc.constantFrom(0, -0));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 20 }), (xs, rs) => {
        expectSameRanks(Float64Array.from(xs), rs.map((k) => k % xs.length));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects NaN and ranks outside the sample', () => {
    expect(() => orderStatistics(Float64Array.of(1, NaN), [0])).toThrow(/contains NaN/);
    expect(() => orderStatistics(Float64Array.of(1, 2), [2])).toThrow(/rank 2 is not a whole number from 0 to 1/);
    expect(() => orderStatistics(Float64Array.of(1, 2), [0.5])).toThrow(/rank 0.5/);
  });
});

describe('referenceEdges and referenceBins on unsorted samples equal the sorted versions, bit for bit', () => {
  const r = mulberry32(43);
  it('continuous, heavy-tailed, tied and constant samples, several bin counts', () => {
    const samples = [
      Float64Array.from({ length: 300_000 }, () => standardNormal(r)),
      Float64Array.from({ length: 50_000 }, () => Math.exp(2 * standardNormal(r))),
      Float64Array.from({ length: 50_000 }, () => Math.floor(r() * 4)),
      Float64Array.from({ length: 1_001 }, () => r()),
      new Float64Array(500).fill(-1),
      Float64Array.of(7),
    ];
    for (const v of samples) for (const bins of [2, 10, 37]) expectSameBins(v, bins);
  });
  it('property: arbitrary finite samples', () => {
    const value = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e9, max: 1e9, noNaN: true }));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 1000 }), fc.integer({ min: 2, max: 30 }), (xs, bins) => {
        expectSameBins(Float64Array.from(xs), bins);
      }),
      { numRuns: 300 },
    );
  });
});

describe('bucket counts and gathers check the sample they are given', () => {
  it('bucketValues refuses extremes that are not the sample\'s, and NaN, instead of miscounting', () => {
    const values = Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6]);
    expect(bucketValues(values, 1, 9)?.start.at(-1)).toBe(8);
    expect(() => bucketValues(values, 2, 9)).toThrow('the sample has 1 at index 1, outside the range [2, 9]');
    expect(() => bucketValues(values, 1, 8)).toThrow('the sample has 9 at index 5, outside the range [1, 8]');
    expect(() => bucketValues(Float64Array.from([1, NaN, 2]), 1, 2)).toThrow('the sample contains NaN at index 1');
  });

  it('gatherBuckets refuses a sample whose keys do not match the counts, whether or not it is their own', () => {
    // (5000 values: enough for the WebAssembly kernel, which must not write past its output either)
    const values = Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i));
    const b = bucketValues(values)!;
    const keys = [keyOf(values[7], b.lo, b.scale, b.size)];
    expect(gatherBuckets(values, b, keys, true).values).toEqual(gatherBuckets(values, b, keys).values);
    const other = values.map((x) => x / 2);
    expect(() => gatherBuckets(other, b, keys, true)).toThrow(/gatherBuckets: bucket \d+ holds \d+ values of the sample, its count says \d+/);
    expect(() => gatherBuckets(other, b, keys)).toThrow(/gatherBuckets: bucket/);
  });
});

describe('the WebAssembly bucket kernel counts and gathers as the TypeScript passes do', () => {
  const r = mulberry32(77);
  const samples: [string, Float64Array][] = [
    ['normal', Float64Array.from({ length: 50_000 }, () => standardNormal(r))],
    ['heavy tails', Float64Array.from({ length: 20_000 }, () => Math.tan(Math.PI * (r() - 0.5)))],
    ['ties and signed zeros', Float64Array.from({ length: 10_000 }, (_, i) => [0, -0, 1, -1, 5e-324, -5e-324, 2][i % 7])],
    ['huge and tiny', Float64Array.from({ length: 8_192 }, (_, i) => (i % 2 ? 1e300 : -1e-300) * r())],
  ];
  /** The same call with the kernel and without it: results and thrown messages. */
  const bothWays = <T>(f: () => T): [unknown, unknown] => {
    const run = () => {
      try {
        return f();
      } catch (err) {
        return `threw: ${(err as Error).message}`;
      }
    };
    bucketKernel.enabled = true;
    const withKernel = run();
    bucketKernel.enabled = false;
    const without = run();
    bucketKernel.enabled = true;
    return [withKernel, without];
  };

  it('runs here (so the comparisons below compare two implementations)', () => {
    const values = samples[0][1];
    const b = bucketValues(values)!;
    expect(countKeysWasm(values, b.lo, b.scale, b.size, new Int32Array(b.size + 4))).toBe(0);
    const mark = new Int32Array(b.size + 3);
    expect(gatherWasm(values, b.lo, b.scale, b.size, mark, new Int32Array(1), new Float64Array(0))).toBe(true);
  });

  it('counts the keys of a sample, its own buckets and another sample in them (values outside, infinities, NaN)', () => {
    for (const [name, ref] of samples) {
      const [a, b] = bothWays(() => [...bucketValues(ref)!.start]);
      expect(a, name).toEqual(b);
      const rb = bucketValues(ref)!;
      const cur = Float64Array.from({ length: 9_000 }, (_, i) => (i === 5 ? Infinity : i === 6 ? -Infinity : ref[i % ref.length] * 1.5 + 0.1));
      const [c, d] = bothWays(() => {
        const counts = new Int32Array(rb.size + 4);
        countKeys(cur, rb.lo, rb.scale, rb.size, counts);
        return [...counts];
      });
      expect(c, name).toEqual(d);
      cur[4_321] = NaN;
      const [e, f] = bothWays(() => countKeys(cur, rb.lo, rb.scale, rb.size, new Int32Array(rb.size + 4)));
      expect(e).toBe('threw: the sample contains NaN at index 4321; remove missing values first');
      expect(f).toEqual(e);
    }
  });

  it('gathers the same values of the same buckets, own sample or not', () => {
    for (const [name, ref] of samples) {
      const rb = bucketValues(ref)!;
      const full = Array.from({ length: rb.size + 3 }, (_, k) => k).filter((k) => rb.start[k + 1] > rb.start[k]);
      const keys = full.filter((_, i) => i % Math.max(1, Math.floor(full.length / 12)) === 0);
      const [a, b] = bothWays(() => {
        const g = gatherBuckets(ref, rb, keys, true);
        return { from: [...g.from], values: bits(g.values) };
      });
      expect(a, name).toEqual(b);
      expect((a as { values: number[] }).values.length).toBeGreaterThan(0);
    }
  });
});

describe('the bucket kernel reads samples in an arena where they lie, with the same results', () => {
  const r = mulberry32(91);
  const samples: [string, Float64Array][] = [
    ['normal', Float64Array.from({ length: 40_000 }, () => standardNormal(r))],
    ['heavy tails', Float64Array.from({ length: 12_000 }, () => Math.tan(Math.PI * (r() - 0.5)))],
    ['ties and signed zeros', Float64Array.from({ length: 9_000 }, (_, i) => [0, -0, 1, -1, 5e-324, -5e-324, 2][i % 7])],
  ];
  it('counts and gathers as with a copy, reading in place (its scratch comes from the arena)', () => {
    const arena = WasmArena.create()!;
    try {
      for (const [name, plain] of samples) {
        // In the arena, at an offset inside a bigger column (a view, as the CSV reader trims them).
        const col = arena.float64(plain.length + 3)!;
        col.set(plain, 3);
        const placed = col.subarray(3);
        expect(WasmArena.holding(placed)).toBe(arena);
        const before = arena.used;
        const rb = bucketValues(plain)!;
        const rbPlaced = bucketValues(placed)!;
        expect([...rbPlaced.start], name).toEqual([...rb.start]);
        const cur = Float64Array.from({ length: 7_000 }, (_, i) => (i === 5 ? Infinity : plain[i % plain.length] * 1.5 + 0.1));
        const curPlaced = arena.float64(cur.length)!;
        curPlaced.set(cur);
        const counts = (s: Float64Array) => {
          const c = new Int32Array(rb.size + 4);
          countKeys(s, rb.lo, rb.scale, rb.size, c);
          return [...c];
        };
        expect(counts(curPlaced), name).toEqual(counts(cur));
        const full = Array.from({ length: rb.size + 3 }, (_, k) => k).filter((k) => rb.start[k + 1] > rb.start[k]);
        const keys = full.filter((_, i) => i % Math.max(1, Math.floor(full.length / 10)) === 0);
        const gathered = (s: Float64Array) => {
          const g = gatherBuckets(s, rb, keys, true);
          return { from: [...g.from], values: bits(g.values) };
        };
        expect(gathered(placed), name).toEqual(gathered(plain));
        if (name === 'normal') expect(arena.used, 'the in-place passes took their scratch from the arena').toBeGreaterThan(before + 8 * cur.length);
        // The samples themselves are untouched.
        expect(bits(placed)).toEqual(bits(plain));
      }
    } finally {
      arena.release();
    }
  });
});

describe('the kernel\'s range pass (smallest, largest, NaN count) in an arena', () => {
  /** The loop it replaces (NumericReference.addColumn). */
  const loop = (v: Float64Array) => {
    let min = Infinity;
    let max = -Infinity;
    let nan = 0;
    for (const x of v) {
      if (x !== x) nan++;
      else {
        if (x < min) min = x;
        if (x > max) max = x;
      }
    }
    return { min, max, nan };
  };
  const sign = (r: { min: number; max: number; nan: number }) => ({ ...r, min: Object.is(r.min, -0) ? '-0' : r.min, max: Object.is(r.max, -0) ? '-0' : r.max });
  it('finds what the loop finds, signed zeros and infinities included, and only for samples in an arena', () => {
    const r = mulberry32(5);
    const n = 6000;
    const cases: [string, (i: number) => number][] = [
      ['normal with NaN', (i) => (i % 97 === 0 ? NaN : standardNormal(r))],
      ['zeros, -0 first', (i) => (i === 0 ? -0 : i % 3 === 0 ? 0 : -0)],
      ['zeros, +0 first', (i) => (i % 2 === 0 ? 0 : -0)],
      ['zeros then one -0 among positives', (i) => (i < 10 ? 0 : i === 4000 ? -0 : 1 + i)],
      ['infinities', (i) => (i === 7 ? Infinity : i === 8 ? -Infinity : r())],
      ['all NaN', () => NaN],
      ['only +Infinity and NaN', (i) => (i % 2 ? Infinity : NaN)],
    ];
    const arena = WasmArena.create()!;
    try {
      for (const [name, f] of cases) {
        const plain = Float64Array.from({ length: n }, (_, i) => f(i));
        const placed = arena.float64(n)!;
        placed.set(plain);
        const got = rangeWasm(placed);
        expect(got, name).not.toBeNull();
        expect(sign(got!), name).toEqual(sign(loop(plain)));
        expect(rangeWasm(plain), `${name}: not in an arena`).toBeNull();
      }
    } finally {
      arena.release();
    }
  });
});
