/**
 * Small, dependency-free SVG charts for the HTML report: grouped bars (reference vs current
 * shares) and line charts (metric values over windows, thresholds dashed). Every chart is
 * self-contained markup with a <title> and <desc> for screen readers, axis titles and a legend.
 */
import { formatNumber as fmt } from '../compare.js';

const COLORS = {
  reference: '#0072B2',
  current: '#E69F00',
  // Okabe-Ito, readable by people with the common colour-vision deficiencies.
  series: ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#56B4E9', '#000000'],
  axis: '#444',
  grid: '#ddd',
  drift: '#C0392B',
} as const;

/** Escapes text for HTML and SVG content and attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A share as a percentage: 0.1234 -> "12.3%". */
export function pct(x: number): string {
  const p = x * 100;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** Round numbers for an axis from 0 to max: about `count` ticks at 1, 2 or 5 × 10^k steps. */
function niceTicks(max: number, count = 5): { max: number; ticks: number[] } {
  if (!(max > 0)) return { max: 1, ticks: [0, 0.25, 0.5, 0.75, 1] };
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const top = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { max: top, ticks };
}

const r1 = (x: number) => Math.round(x * 10) / 10;

function svgOpen(id: string, width: number, height: number, title: string, desc: string, cls: string): string {
  return `<svg class="${cls}" id="${esc(id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${esc(id)}-t ${esc(id)}-d">`
    + `<title id="${esc(id)}-t">${esc(title)}</title><desc id="${esc(id)}-d">${esc(desc)}</desc>`;
}

// ------------------------------------------------------------------ grouped bars

export interface BarChart {
  id: string;
  title: string;
  desc: string;
  /** One label per group (bin or category). */
  labels: string[];
  /** Full text of each label, for tooltips (defaults to labels). */
  longLabels?: string[];
  reference: number[];
  current: number[] | null;
  /** Top of the y axis (a share); defaults to the largest bar. Lets other current series fit. */
  yMax?: number;
  xTitle: string;
}

/**
 * Reference (blue) and current (orange) shares side by side per group. Current bars carry
 * `data-i` so the report's script can swap in another window's shares on the same axis.
 */
export function barChart(c: BarChart): string {
  const width = 600;
  const height = 300;
  const m = { left: 56, right: 12, top: 34, bottom: 78 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const largest = Math.max(c.yMax ?? 0, ...c.reference, ...(c.current ?? []));
  const { max, ticks } = niceTicks(largest, 5);
  const y = (v: number) => m.top + ph - (v / max) * ph;
  const n = c.labels.length;
  const group = pw / Math.max(n, 1);
  const bar = Math.min(28, group * 0.38);
  const out: string[] = [svgOpen(c.id, width, height, c.title, c.desc, 'chart bars')];
  // grid and y axis
  for (const t of ticks) {
    out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${r1(y(t))}" y2="${r1(y(t))}" stroke="${COLORS.grid}" stroke-width="1"/>`);
    out.push(`<text x="${m.left - 6}" y="${r1(y(t) + 4)}" text-anchor="end" class="tick">${esc(pct(t))}</text>`);
  }
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="${COLORS.axis}"/>`);
  out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="${COLORS.axis}"/>`);
  out.push(`<text transform="translate(14 ${r1(m.top + ph / 2)}) rotate(-90)" text-anchor="middle" class="axis-title">share of values</text>`);
  out.push(`<text x="${r1(m.left + pw / 2)}" y="${height - 6}" text-anchor="middle" class="axis-title">${esc(c.xTitle)}</text>`);
  // bars
  for (let i = 0; i < n; i++) {
    const cx = m.left + group * (i + 0.5);
    const long = c.longLabels?.[i] ?? c.labels[i];
    const rv = c.reference[i] ?? 0;
    out.push(`<rect x="${r1(cx - bar - 1)}" y="${r1(y(rv))}" width="${r1(bar)}" height="${r1(m.top + ph - y(rv))}" fill="${COLORS.reference}"><title>${esc(`${long}: reference ${pct(rv)}`)}</title></rect>`);
    const cv = c.current?.[i] ?? 0;
    out.push(`<rect class="cur" data-i="${i}" data-label="${esc(long)}" x="${r1(cx + 1)}" y="${r1(y(cv))}" width="${r1(bar)}" height="${r1(m.top + ph - y(cv))}" fill="${COLORS.current}"><title>${esc(`${long}: current ${c.current ? pct(cv) : 'no values'}`)}</title></rect>`);
    const lx = r1(cx);
    const ly = m.top + ph + 12;
    out.push(`<text transform="translate(${lx} ${ly}) rotate(-35)" text-anchor="end" class="tick">${esc(c.labels[i])}</text>`);
  }
  // scale data for the script (top of the axis, plot bottom and height)
  out.push(`<g class="scale" data-max="${max}" data-bottom="${m.top + ph}" data-height="${ph}"></g>`);
  // legend
  out.push(`<g class="legend" transform="translate(${m.left} 12)">`
    + `<rect width="12" height="12" fill="${COLORS.reference}"/><text x="17" y="10.5">reference</text>`
    + `<rect x="100" width="12" height="12" fill="${COLORS.current}"/><text x="117" y="10.5" class="cur-legend">current</text></g>`);
  out.push('</svg>');
  return out.join('');
}

// ------------------------------------------------------------------ line charts

export interface Series {
  name: string;
  /** One value per x position; null where the metric was not computed. */
  values: (number | null)[];
  /** Per x position: whether the point crossed its threshold. */
  drift: boolean[];
  threshold: number | null;
}

export interface LineChart {
  id: string;
  title: string;
  desc: string;
  xLabels: string[];
  xTitle: string;
  yTitle: string;
  series: Series[];
  /** Log10 y axis (p-values); values below `floor` are drawn at the floor. */
  log?: { floor: number };
  /** Text of a threshold label, e.g. "drift if ≥ 0.25". */
  thresholdText: (s: Series) => string;
}

export function lineChart(c: LineChart): string {
  const width = 600;
  const height = 280;
  const m = { left: 62, right: 120, top: 30, bottom: 62 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const n = c.xLabels.length;
  const x = (i: number) => m.left + (n <= 1 ? pw / 2 : (i / (n - 1)) * pw);
  let y: (v: number) => number;
  let tickMarks: { v: number; label: string }[];
  if (c.log) {
    const floor = c.log.floor;
    const lo = Math.log10(floor);
    y = (v: number) => m.top + (Math.log10(Math.max(v, floor)) / lo) * ph;
    const step = Math.max(1, Math.round(-lo / 4));
    tickMarks = [];
    for (let e = 0; e >= lo - 1e-9; e -= step) tickMarks.push({ v: 10 ** e, label: e === 0 ? '1' : `1e${e}` });
  } else {
    const all: number[] = [];
    for (const s of c.series) {
      for (const v of s.values) if (v !== null && Number.isFinite(v)) all.push(v);
      if (s.threshold !== null) all.push(s.threshold);
    }
    const { max, ticks } = niceTicks(Math.max(...all, 0) * 1.05, 5);
    y = (v: number) => m.top + ph - (v / max) * ph;
    tickMarks = ticks.map((v) => ({ v, label: fmt(v) }));
  }
  const out: string[] = [svgOpen(c.id, width, height, c.title, c.desc, 'chart lines')];
  for (const t of tickMarks) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${r1(y(t.v))}" y2="${r1(y(t.v))}" stroke="${COLORS.grid}"/>`);
    out.push(`<text x="${m.left - 6}" y="${r1(y(t.v) + 4)}" text-anchor="end" class="tick">${esc(t.label)}</text>`);
  }
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="${COLORS.axis}"/>`);
  out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="${COLORS.axis}"/>`);
  out.push(`<text transform="translate(14 ${r1(m.top + ph / 2)}) rotate(-90)" text-anchor="middle" class="axis-title">${esc(c.yTitle)}</text>`);
  out.push(`<text x="${r1(m.left + pw / 2)}" y="${height - 6}" text-anchor="middle" class="axis-title">${esc(c.xTitle)}</text>`);
  // x labels: at most ~12
  const every = Math.max(1, Math.ceil(n / 12));
  for (let i = 0; i < n; i += every) {
    out.push(`<text transform="translate(${r1(x(i))} ${m.top + ph + 12}) rotate(-35)" text-anchor="end" class="tick">${esc(c.xLabels[i])}</text>`);
  }
  // thresholds: dashed, in the series colour; labels merged where thresholds coincide
  const labels = new Map<number, { y: number; parts: string[]; color: string }>();
  c.series.forEach((s, k) => {
    if (s.threshold === null) return;
    const color = COLORS.series[k % COLORS.series.length];
    const ty = r1(y(s.threshold));
    out.push(`<line class="threshold" x1="${m.left}" x2="${m.left + pw}" y1="${ty}" y2="${ty}" stroke="${color}" stroke-width="1.5" stroke-dasharray="6 4"><title>${esc(`${s.name} threshold: ${c.thresholdText(s)}`)}</title></line>`);
    const l = labels.get(ty);
    if (l) l.parts.push(s.name);
    else labels.set(ty, { y: ty, parts: [s.name], color });
  });
  const placed: { top: number; bottom: number }[] = [];
  for (const l of [...labels.values()].sort((a, b) => a.y - b.y)) {
    // Names on as many lines as needed (about 18 characters each), then the rule.
    const s = c.series.find((z) => z.name === l.parts[0])!;
    const lines: string[] = [];
    for (const part of l.parts) {
      const last = lines.length - 1;
      if (last >= 0 && lines[last].length + part.length + 2 <= 18) lines[last] += `, ${part}`;
      else lines.push(part);
    }
    lines[lines.length - 1] += ` ${c.thresholdText(s)}`;
    if (lines[lines.length - 1].length > 18) lines.push(lines.pop()!.replace(/ (\S+ \S+)$/, '\n$1'));
    const all = lines.flatMap((t) => t.split('\n'));
    const h = all.length * 11;
    let top = l.y - 4;
    while (placed.some((p) => top < p.bottom && top + h > p.top)) top += 2;
    placed.push({ top, bottom: top + h });
    out.push(`<text x="${m.left + pw + 6}" y="${r1(top + 8)}" class="tick" fill="${l.color}">${all.map((t, i) => `<tspan x="${m.left + pw + 6}" dy="${i === 0 ? 0 : 11}">${esc(t)}</tspan>`).join('')}</text>`);
  }
  // lines and points
  c.series.forEach((s, k) => {
    const color = COLORS.series[k % COLORS.series.length];
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${r1(x(i))} ${r1(y(v))}`;
      pen = true;
    });
    if (d) out.push(`<path class="series" d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      const drift = s.drift[i];
      out.push(`<circle class="pt" cx="${r1(x(i))}" cy="${r1(y(v))}" r="${drift ? 4 : 3}" fill="${drift ? color : '#fff'}" stroke="${color}" stroke-width="1.5"><title>${esc(`${s.name}, ${c.xLabels[i]}: ${fmt(v)}${drift ? ' (drift)' : ''}`)}</title></circle>`);
    });
  });
  // legend
  let lx = 0;
  const legend: string[] = [];
  c.series.forEach((s, k) => {
    const color = COLORS.series[k % COLORS.series.length];
    legend.push(`<line x1="${lx}" x2="${lx + 18}" y1="6" y2="6" stroke="${color}" stroke-width="2"/><circle cx="${lx + 9}" cy="6" r="3" fill="#fff" stroke="${color}" stroke-width="1.5"/><text x="${lx + 22}" y="10">${esc(s.name)}</text>`);
    lx += 30 + s.name.length * 7;
  });
  if (c.series.some((s) => s.threshold !== null)) {
    legend.push(`<line x1="${lx}" x2="${lx + 18}" y1="6" y2="6" stroke="${COLORS.axis}" stroke-dasharray="6 4" stroke-width="1.5"/><text x="${lx + 22}" y="10">threshold</text>`);
    lx += 100;
  }
  legend.push(`<circle cx="${lx}" cy="6" r="4" fill="${COLORS.axis}"/><text x="${lx + 8}" y="10">filled = drift</text>`);
  out.push(`<g class="legend" transform="translate(${m.left} 8)">${legend.join('')}</g>`);
  out.push('</svg>');
  return out.join('');
}
