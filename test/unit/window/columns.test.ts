/**
 * Window columns: values and nulls appended across several growths of the buffers read back the
 * same through validValues / counts, isValid and the Arrow vectors.
 */
import { describe, expect, it } from 'vitest';
import { CategoricalColumn, CategoryDictionary, NumericColumn } from '../../../src/window/columns.js';
import { mulberry32 } from '../../../src/stats/index.js';

describe('window columns', () => {
  it('numeric: nulls anywhere, across growth (capacity 8 -> 4096)', () => {
    const r = mulberry32(3);
    const col = new NumericColumn(8);
    const expected: (number | null)[] = [];
    for (let i = 0; i < 3_000; i++) {
      if (r() < 0.2) {
        col.appendNull();
        expected.push(null);
      } else {
        const x = r() * 10 - 5;
        col.append(x);
        expected.push(x);
      }
    }
    expect(col.length).toBe(expected.length);
    expect(col.nullCount).toBe(expected.filter((x) => x === null).length);
    expect([...col.validValues()]).toEqual(expected.filter((x) => x !== null));
    expected.forEach((x, i) => expect(col.isValid(i)).toBe(x !== null));
    expect([...col.toArrow()]).toEqual(expected);
  });

  it('numeric without nulls', () => {
    const col = new NumericColumn(4);
    for (let i = 0; i < 100; i++) col.append(i / 4);
    expect([...col.validValues()]).toEqual(Array.from({ length: 100 }, (_, i) => i / 4));
    expect(col.toArrow().nullCount).toBe(0);
  });

  it('categorical: counts skip nulls, across growth', () => {
    const dict = new CategoryDictionary();
    const col = new CategoricalColumn(dict, 2);
    const seq = ['a', null, 'b', 'a', null, 'c', 'a', 'b', null, null, 'a'];
    for (let k = 0; k < 50; k++) for (const s of seq) (s === null ? col.appendNull() : col.append(s));
    expect(col.nullCount).toBe(200);
    expect([...col.counts()]).toEqual([200, 100, 50]);
    expect([...col.toArrow()]).toEqual(Array.from({ length: 50 }, () => seq).flat());
  });
});
