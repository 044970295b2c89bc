/**
 * Window assignment: which windows an event time belongs to. Pure functions of (spec, time), no
 * state: triggering (when a window closes) and evaluation live elsewhere.
 */
import type { CalendarUnit, WindowSpec } from './spec.js';

const DAY_MS = 86_400_000;

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b) * b;
}

/** Start of the calendar window (UTC) containing t. Weeks start on Monday (ISO 8601). */
export function calendarStart(unit: CalendarUnit, t: number): number {
  if (unit === 'day') return floorDiv(t, DAY_MS);
  if (unit === 'week') {
    const day = floorDiv(t, DAY_MS);
    // 1970-01-01 was a Thursday: days since the Monday before it are (days + 3) mod 7.
    const dow = (((day / DAY_MS + 3) % 7) + 7) % 7;
    return day - dow * DAY_MS;
  }
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** End (exclusive) of the window that starts at `start`. */
export function windowEnd(spec: WindowSpec, start: number): number {
  if (spec.kind === 'fixed') return start + spec.sizeMs;
  if (spec.unit === 'day') return start + DAY_MS;
  if (spec.unit === 'week') return start + 7 * DAY_MS;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/**
 * Writes the starts of all windows containing t into `out` (ascending) and returns how many.
 * Tumbling and calendar windows give exactly one; hopping windows give ceil(size / advance) or
 * one fewer near a boundary.
 */
export function assignWindows(spec: WindowSpec, t: number, out: number[]): number {
  if (spec.kind === 'calendar') {
    out[0] = calendarStart(spec.unit, t);
    return 1;
  }
  const last = floorDiv(t, spec.advanceMs);
  let n = 0;
  // Earliest start s with s + size > t, stepping by advance.
  let first = last;
  while (first - spec.advanceMs + spec.sizeMs > t) first -= spec.advanceMs;
  for (let s = first; s <= last; s += spec.advanceMs) out[n++] = s;
  return n;
}
