import { describe, expect, it } from 'vitest';
import { mulberry32, sortFloat64 } from '../../../src/stats/index.js';

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
      const expected = Float64Array.from(a).sort();
      const s = sortFloat64(a);
      expect(s).toBe(a);
      // bit for bit, as the built-in sort orders them
      expect(Buffer.from(s.buffer, s.byteOffset, s.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
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
