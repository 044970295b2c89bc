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
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const a = make();
      const expected = Float64Array.from(a).sort();
      expect(sortFloat64(a)).toEqual(expected);
    });
  }
  it('orders zeros and subnormals numerically', () => {
    const a = Float64Array.from({ length: 40_000 }, (_, i) => [0, -0, 5e-324, -5e-324, 1, -1][i % 6]);
    const s = sortFloat64(a);
    for (let i = 1; i < s.length; i++) expect(s[i - 1] <= s[i]).toBe(true);
  });
});
