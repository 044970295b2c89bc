/**
 * Window specifications: immutable values made by validating factories.
 *
 * - Fixed windows by duration: tumbling (advance = size) or hopping (advance < size), aligned to the
 *   Unix epoch, like Kafka Streams' TimeWindows.
 * - Calendar windows in UTC: a day, an ISO week (Monday 00:00 UTC) or a calendar month.
 * Every window is half-open [start, end). Grace is how long after its end a window still accepts
 * late events (in event time); idle is how long (wall clock) a quiet model waits before its open
 * windows are closed anyway.
 */
export type CalendarUnit = 'day' | 'week' | 'month';

interface Common {
  readonly graceMs: number;
  readonly idleMs: number;
}
export interface FixedWindowSpec extends Common {
  readonly kind: 'fixed';
  readonly sizeMs: number;
  readonly advanceMs: number;
}
export interface CalendarWindowSpec extends Common {
  readonly kind: 'calendar';
  readonly unit: CalendarUnit;
}
export type WindowSpec = FixedWindowSpec | CalendarWindowSpec;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses a duration such as `500ms`, `5s`, `15m`, `1h`, `1d`, `1w` into milliseconds.
 * Throws RangeError naming the accepted forms.
 */
export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(String(text).trim());
  if (!m) throw new RangeError(`"${text}" is not a duration; write a number and a unit: ms, s, m, h, d or w (e.g. 500ms, 5s, 15m, 1h, 1d)`);
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  if (!Number.isSafeInteger(ms)) throw new RangeError(`"${text}" is not a whole number of milliseconds`);
  return ms;
}

function checkMs(name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be a whole number of milliseconds >= ${min}, got ${v}`);
}

export function fixedWindows(opts: { sizeMs: number; advanceMs?: number; graceMs?: number; idleMs?: number }): FixedWindowSpec {
  const advanceMs = opts.advanceMs ?? opts.sizeMs;
  const graceMs = opts.graceMs ?? 0;
  const idleMs = opts.idleMs ?? 0;
  checkMs('size', opts.sizeMs, 1);
  checkMs('advance', advanceMs, 1);
  checkMs('grace', graceMs, 0);
  checkMs('idle', idleMs, 0);
  if (advanceMs > opts.sizeMs) throw new RangeError(`advance (${advanceMs} ms) must not exceed size (${opts.sizeMs} ms): events between windows would be lost`);
  return Object.freeze({ kind: 'fixed', sizeMs: opts.sizeMs, advanceMs, graceMs, idleMs });
}

export function calendarWindows(opts: { unit: CalendarUnit; graceMs?: number; idleMs?: number }): CalendarWindowSpec {
  const graceMs = opts.graceMs ?? 0;
  const idleMs = opts.idleMs ?? 0;
  if (!['day', 'week', 'month'].includes(opts.unit)) throw new RangeError(`calendar unit must be day, week or month, got ${opts.unit}`);
  checkMs('grace', graceMs, 0);
  checkMs('idle', idleMs, 0);
  return Object.freeze({ kind: 'calendar', unit: opts.unit, graceMs, idleMs });
}

/**
 * Builds a spec from the config's strings: size `1d`, `1w` or `1M` gives calendar windows (UTC);
 * any other duration gives fixed windows, hopping when `advance` is set.
 */
export function windowSpecFromText(opts: { size: string; advance?: string; grace?: string; idle?: string }): WindowSpec {
  const graceMs = opts.grace === undefined ? 0 : parseDurationMs(opts.grace);
  const idleMs = opts.idle === undefined ? 0 : parseDurationMs(opts.idle);
  const calendar: Record<string, CalendarUnit> = { '1d': 'day', '1w': 'week', '1M': 'month' };
  const size = String(opts.size).trim();
  if (calendar[size] && opts.advance === undefined) return calendarWindows({ unit: calendar[size], graceMs, idleMs });
  if (size.endsWith('M')) throw new RangeError(`size "${size}": months are calendar windows, write 1M (hopping months are not supported)`);
  return fixedWindows({ sizeMs: parseDurationMs(size), advanceMs: opts.advance === undefined ? undefined : parseDurationMs(opts.advance), graceMs, idleMs });
}

/** A duration for people: the largest unit that divides it (`90m` stays `90m`, `3600000` is `1h`). */
export function formatDurationMs(ms: number): string {
  for (const [unit, size] of [['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function describeSpec(spec: WindowSpec): string {
  if (spec.kind === 'calendar') return `calendar ${spec.unit} (UTC), grace ${formatDurationMs(spec.graceMs)}`;
  return spec.advanceMs === spec.sizeMs
    ? `tumbling ${formatDurationMs(spec.sizeMs)}, grace ${formatDurationMs(spec.graceMs)}`
    : `hopping ${formatDurationMs(spec.sizeMs)} every ${formatDurationMs(spec.advanceMs)}, grace ${formatDurationMs(spec.graceMs)}`;
}
