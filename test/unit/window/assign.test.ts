import { describe, expect, it } from 'vitest';
import { assignWindows, calendarStart, windowEnd } from '../../../src/window/assign.js';
import { calendarWindows, fixedWindows, parseDurationMs, windowSpecFromText } from '../../../src/window/spec.js';

describe('window specs', () => {
  it('are frozen values from validating factories', () => {
    const s = fixedWindows({ sizeMs: 10, advanceMs: 5 });
    expect(Object.isFrozen(s)).toBe(true);
    expect(() => fixedWindows({ sizeMs: 0 })).toThrow(/size/);
    expect(() => fixedWindows({ sizeMs: 10, graceMs: -1 })).toThrow(/grace/);
    expect(() => calendarWindows({ unit: 'year' as never })).toThrow(/day, week or month/);
    expect(windowSpecFromText({ size: '1w' })).toMatchObject({ kind: 'calendar', unit: 'week' });
    expect(() => windowSpecFromText({ size: '2M' })).toThrow(/1M/);
  });

  it('parses durations with units', () => {
    expect([parseDurationMs('500ms'), parseDurationMs('5s'), parseDurationMs('15m'), parseDurationMs('1h'), parseDurationMs('1d'), parseDurationMs('1w')]).toEqual([500, 5000, 900_000, 3_600_000, 86_400_000, 604_800_000]);
    expect(() => parseDurationMs('5')).toThrow(/unit/);
  });
});

describe('assignment', () => {
  const out: number[] = [];
  it('tumbling: one window, epoch-aligned, negative times too', () => {
    const s = fixedWindows({ sizeMs: 10 });
    expect(assignWindows(s, 25, out)).toBe(1);
    expect(out[0]).toBe(20);
    assignWindows(s, -1, out);
    expect(out[0]).toBe(-10);
    expect(windowEnd(s, 20)).toBe(30);
  });

  it('hopping: every window that contains the time, half-open', () => {
    const s = fixedWindows({ sizeMs: 10, advanceMs: 4 });
    const n = assignWindows(s, 12, out);
    expect(out.slice(0, n)).toEqual([4, 8, 12]);
    const m = assignWindows(s, 8, out);
    expect(out.slice(0, m)).toEqual([0, 4, 8]);
  });

  it('calendar: UTC day, ISO week (Monday) and month, including leap years', () => {
    const t = Date.UTC(2024, 1, 29, 13, 5); // Thursday 29 Feb 2024
    expect(new Date(calendarStart('day', t)).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(new Date(calendarStart('week', t)).toISOString()).toBe('2024-02-26T00:00:00.000Z');
    expect(new Date(calendarStart('month', t)).toISOString()).toBe('2024-02-01T00:00:00.000Z');
    expect(new Date(windowEnd(calendarWindows({ unit: 'month' }), Date.UTC(2024, 1, 1))).toISOString()).toBe('2024-03-01T00:00:00.000Z');
    expect(new Date(windowEnd(calendarWindows({ unit: 'month' }), Date.UTC(2024, 11, 1))).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(new Date(calendarStart('week', Date.UTC(1969, 11, 31))).toISOString()).toBe('1969-12-29T00:00:00.000Z');
  });
});
