import { describe, expect, it } from 'vitest';
import { mulberry32, sortFloat64 } from '../../../src/stats/index.js';
import { sortByHighWord, sortByRange } from '../../../src/stats/sort.js';

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('sortFloat64 (radix sort)', () => {
  const r = mulberry32(1);
  const cases: [string, () => Float64Array][] = [
    ['normal-ish with negatives', () => Float64Array.from({ length: 60_000 }, () => (r() - 0.5) * 1e6)],
    ['heavy ties', () => Float64Array.from({ length: 40_000 }, () => Math.floor(r() * 5) - 2)],
    ['tiny and huge magnitudes, infinities', () => Float64Array.from({ length: 40_000 }, (_, i) => (i % 97 === 0 ? (i % 2 ? Infinity : -Infinity) : (r() - 0.5) * 10 ** Math.floor(r() * 600 - 300)))],
    ['already sorted', () => Float64Array.from({ length: 5000 }, (_, i) => i * 0.5 - 100)],
    ['reverse sorted', () => Float64Array.from({ length: 5000 }, (_, i) => 100 - i * 0.25)],
    ['small (comparison sort path)', () => Float64Array.from({ length: 100 }, () => r())],
    ['window-sized normals (radix path)', () => Float64Array.from({ length: 7_500 }, () => (r() + r() + r() - 1.5) * 3 + 2)],
    ['just above the radix threshold', () => Float64Array.from({ length: 3_001 }, () => r() - 0.5)],
    ['timestamps as doubles: one long run of equal high words', () => Float64Array.from({ length: 20_000 }, () => 1.7e12 + Math.floor(r() * 1e6))],
    ['short runs of equal high words, both signs', () => Float64Array.from({ length: 20_000 }, () => (r() < 0.5 ? -1 : 1) * (1 + Math.floor(r() * 200) * 2 ** -20 + r() * 2 ** -21))],
    ['short runs, then a long run (the fix-up goes run by run half way)', () => Float64Array.from({ length: 30_000 }, (_, i) => (i % 2 ? 1 + Math.floor(r() * 500) * 2 ** -20 + r() * 2 ** -21 : 3 + r() * 2 ** -22))],
    ['one distinct value', () => new Float64Array(10_000).fill(-2.5)],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const a = make();
      const input = a.slice();
      const expected = Float64Array.from(a).sort();
      const s = sortFloat64(a);
      expect(s).toBe(a);
      // bit for bit, as the built-in sort orders them
      expect(bytes(s).equals(bytes(expected))).toBe(true);
      // and each of the two radix sorts alone (the one by range, where it takes the values)
      expect(bytes(sortByHighWord(input.slice())).equals(bytes(expected))).toBe(true);
      const c = input.slice();
      if (sortByRange(c)) expect(bytes(c).equals(bytes(expected))).toBe(true);
      else expect(bytes(c).equals(bytes(input))).toBe(true); // declined: untouched
    });
  }
  it('orders zeros and subnormals numerically', () => {
    const a = Float64Array.from({ length: 40_000 }, (_, i) => [0, -0, 5e-324, -5e-324, 1, -1][i % 6]);
    const s = sortFloat64(a);
    for (let i = 1; i < s.length; i++) expect(s[i - 1] <= s[i]).toBe(true);
    const expected = Float64Array.from(a).sort();
    expect(Buffer.from(s.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });
  it('sorts subarray views in place', () => {
    const all = Float64Array.from({ length: 12_000 }, () => r() * 100 - 50);
    const copy = Float64Array.from(all);
    const view = all.subarray(1_000, 11_000);
    sortFloat64(view);
    expect([...all.subarray(0, 1_000)]).toEqual([...copy.subarray(0, 1_000)]);
    expect([...all.subarray(11_000)]).toEqual([...copy.subarray(11_000)]);
    expect([...view]).toEqual([...copy.subarray(1_000, 11_000).sort()]);
  });
  it('reuses its scratch across calls of any size and buffer kind, with the same results', () => {
    // big, then smaller (the scratch is longer than the input), then bigger again; shared buffers too
    for (const n of [50_000, 4_000, 20_000, 80_000, 3_500]) {
      for (const shared of [false, true]) {
        const a = shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
        for (let i = 0; i < n; i++) a[i] = (r() - 0.3) * 10 ** Math.floor(r() * 6);
        const expected = Float64Array.from(a).sort();
        expect(sortFloat64(a)).toBe(a);
        expect(Buffer.from(a.buffer, 0, a.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
      }
    }
  });
});

describe('sortByRange (the radix sort tried first)', () => {
  const r = mulberry32(7);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const takes: [string, () => Float64Array][] = [
    ['normals with six decimals', () => Float64Array.from({ length: 50_000 }, () => Math.round(normal() * 1e6) / 1e6)],
    ['uniform, full precision', () => Float64Array.from({ length: 20_000 }, () => r())],
    ['exponential', () => Float64Array.from({ length: 20_000 }, () => -Math.log(1 - r()))],
    ['few distinct values, many ties (equal keys cost the fix-up nothing)', () => Float64Array.from({ length: 20_000 }, () => Math.floor(r() * 20))],
    ['two values', () => Float64Array.from({ length: 5_000 }, () => (r() < 0.3 ? 1 : 0))],
    ['-0 and +0 among other values: every -0 before every +0', () => Float64Array.from({ length: 20_000 }, (_, i) => (i % 25 === 0 ? (r() < 0.5 ? -0 : 0) : normal()))],
    ['only zeros of both signs and one other value', () => Float64Array.from({ length: 3_000 }, (_, i) => (i % 100 === 0 ? 2 : r() < 0.5 ? -0 : 0))],
    ['the smallest length it takes', () => Float64Array.from({ length: 128 }, () => normal())],
    ['crowded where the sample does not look: finished by high word after a long fix-up', () =>
      // every 16th value (the sample) spread over [0, 1); all others crowd at 0.5, distinct
      Float64Array.from({ length: 32_000 }, (_, i) => (i % 16 === 0 ? r() : 0.5 + r() * 1e-9))],
  ];
  for (const [name, make] of takes) {
    it(`takes ${name}`, () => {
      const a = make();
      const expected = Float64Array.from(a).sort();
      expect(sortByRange(a)).toBe(true);
      expect(bytes(a).equals(bytes(expected))).toBe(true);
    });
  }
  const declines: [string, () => Float64Array][] = [
    ['many zeros among distinct values near them (the heuristic cannot tell them apart)', () => Float64Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? 0 : normal()))],
    ['heavy tails (Cauchy): distinct values crowd into a few keys', () => Float64Array.from({ length: 20_000 }, () => Math.tan(Math.PI * (r() - 0.5)))],
    ['a log-normal with a long right tail', () => Float64Array.from({ length: 20_000 }, () => Math.exp(3 * normal()))],
    ['an infinity', () => Float64Array.from({ length: 5_000 }, (_, i) => (i === 32 ? Infinity : r()))],
    ['a range too wide for a double, in the sample', () => Float64Array.from({ length: 5_000 }, (_, i) => (i % 32 ? -1e308 : 1e308) * r())],
    ['a range too wide for a double, outside the sample', () => Float64Array.from({ length: 5_000 }, (_, i) => (i % 2 ? 1e308 : -1e308) * (0.5 + r() / 2))],
    ['all values equal', () => new Float64Array(5_000).fill(3.25)],
    ['an outlier the sample does not see, far outside its range', () => Float64Array.from({ length: 5_000 }, (_, i) => (i === 1 ? 1e9 : r()))],
  ];
  for (const [name, make] of declines) {
    it(`declines ${name}, leaving the array as it was; sortFloat64 still sorts it`, () => {
      const a = make();
      const input = a.slice();
      expect(sortByRange(a)).toBe(false);
      expect(bytes(a).equals(bytes(input))).toBe(true);
      const expected = Float64Array.from(a).sort();
      expect(bytes(sortFloat64(a)).equals(bytes(expected))).toBe(true);
    });
  }
});
