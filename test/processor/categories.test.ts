/**
 * Category codes through the decoder's remembered strings: more distinct values per feature than
 * the decoder remembers (16), long values it does not remember, two models whose events share
 * positions, and a change of feature order must all give the open window exactly the values sent.
 */
import { describe, expect, it } from 'vitest';
import { TestDriver, rng } from './driver.js';

const features = [
  { name: 'x', type: 'numeric' },
  { name: 'c', type: 'categorical' },
  { name: 'd', type: 'categorical' },
];

describe('categorical values in open windows', () => {
  it('are the values sent, whatever the decoder remembered', () => {
    const d = new TestDriver({ models: ['m1', 'm2'].map((id) => ({ id, window: { size: '1h', grace: '0s', idle: '1h' }, features })) });
    const r = rng(4);
    const sent: Record<string, (string | null)[][]> = { m1: [[], []], m2: [[], []] };
    for (let i = 0; i < 2_000; i++) {
      const model = i % 3 === 0 ? 'm2' : 'm1';
      const c = `cat-${Math.floor(r() * r() * 40)}`;
      const dv = r() < 0.1 ? null : r() < 0.05 ? 'x'.repeat(70 + (i % 5)) : `${model}-${Math.floor(r() * 5)}`;
      // the feature order flips now and then (another layout of the same names)
      const f: Record<string, string | number | null> = i % 97 < 50 ? { x: i, c, d: dv } : { d: dv, c, x: i };
      d.inference(model, 'v1', 1_000 + i, f);
      sent[model][0].push(c);
      sent[model][1].push(dv);
    }
    for (const model of ['m1', 'm2']) {
      const table = d.processor.openWindowTable(model, 'v1', 0)!;
      expect([...table.getChild('c')!].map(String)).toEqual(sent[model][0]);
      expect([...table.getChild('d')!].map((v) => (v === null ? null : String(v)))).toEqual(sent[model][1]);
    }
  });
});
