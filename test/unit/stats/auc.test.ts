import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../../src/stats/index.js';

const fixture = JSON.parse(readFileSync(join(__dirname, '../../fixtures/golden/auc.json'), 'utf8')) as { cases: { name: string; scores: number[]; positive: number[]; auc: number }[] };

describe('rocAuc against scipy (Mann-Whitney U / n_pos n_neg)', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const got = rocAuc(Float64Array.from(c.scores), Uint8Array.from(c.positive));
      expect(Math.abs(got - c.auc)).toBeLessThanOrEqual(1e-12);
    });
  }
  it('rejects one-class input and NaN scores', () => {
    expect(() => rocAuc(Float64Array.of(0.1, 0.2), Uint8Array.of(1, 1))).toThrow(/positive and one negative/);
    expect(() => rocAuc(Float64Array.of(NaN, 0.2), Uint8Array.of(0, 1))).toThrow(/NaN/);
  });
});
