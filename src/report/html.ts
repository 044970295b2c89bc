/**
 * `driftline compare --format html`: one self-contained HTML page (inline CSS, inline SVG and a
 * few lines of inline script; nothing is loaded from anywhere) for a person who has never seen
 * driftline: what was compared, which features drifted in which window, and per feature the
 * reference vs current distribution, the metric values against their thresholds and, with
 * windows, the metrics over time.
 */
import { basename } from 'node:path';
import { formatNumber as fmt, type CompareFeature, type CompareWindow, type DetailedCompare, type FeatureDistribution } from '../compare.js';
import { getMetric, metricsForKind } from '../detect/registry.js';
import { barChart, esc, lineChart, pct, type Series } from './svg.js';

export interface HtmlReportInput {
  readonly compare: DetailedCompare;
  readonly referenceFile: string;
  readonly currentFile: string;
  /** When the report was made (shown in the header). */
  readonly generatedAt?: Date;
  readonly window?: string;
  readonly advance?: string;
  readonly bins?: number;
}

/** Plain-language one-liners; `{t}` is replaced by the threshold rule in force. */
const EXPLAIN: Record<string, { label: string; text: string }> = {
  ks: { label: 'KS test', text: 'Kolmogorov–Smirnov test: are the two sets of values plausibly from the same distribution? Shown as a p-value; {t} means the difference is unlikely to be chance. On large samples it flags even tiny shifts.' },
  wasserstein: { label: 'Wasserstein', text: 'how far, on average, values moved, in the feature’s own units (e.g. years, dollars). No threshold: for information.' },
  psi: { label: 'PSI', text: 'population stability index: how much the share of values per bin changed; {t} is a significant shift (0.1–0.25 is moderate).' },
  js: { label: 'Jensen–Shannon', text: 'how different the two binned distributions are, from 0 (identical) to 1 (no overlap); {t} counts as drift.' },
  hellinger: { label: 'Hellinger', text: 'another 0-to-1 distance between the binned distributions, less sensitive to rare bins; {t} counts as drift.' },
  chi2: { label: 'Chi-square test', text: 'do category shares differ more than chance would explain? Shown as a p-value; {t} means drift.' },
  linf: { label: 'L∞', text: 'the largest change in any single category’s share (0.1 = 10 percentage points); {t} counts as drift.' },
  missing_rate: { label: 'Missing rate', text: 'share of rows in which the value is missing; {t} flags a data-quality problem.' },
  out_of_range: { label: 'Out of range', text: 'share of current values outside the smallest–largest range seen in the reference; {t} flags.' },
  unseen_categories: { label: 'Unseen categories', text: 'share of current values in categories the reference never had; {t} flags.' },
  type_mismatch_rate: { label: 'Type mismatch', text: 'share of rows whose value had the wrong type; {t} flags.' },
};

const METRIC_ORDER = [...new Set([...metricsForKind('numeric'), ...metricsForKind('categorical')].map((d) => d.name))];
const orderOf = (m: string) => (METRIC_ORDER.indexOf(m) < 0 ? METRIC_ORDER.length : METRIC_ORDER.indexOf(m));

const isTest = (metric: string) => getMetric(metric).direction === 'pvalue';
const QUALITY = (metric: string) => getMetric(metric).signal === 'quality';

/** "drift if p < 0.05" / "drift if ≥ 0.25" / "no threshold". */
function thresholdRule(metric: string, threshold: number | null): string {
  if (threshold === null) return 'no threshold';
  return isTest(metric) ? `drift if p < ${fmt(threshold)}` : `drift if ≥ ${fmt(threshold)}`;
}

function featureDrifted(f: CompareFeature | undefined): boolean {
  return !!f && Object.values(f.metrics).some((m) => m.drift);
}

/** The number a metric is judged by: the p-value of tests, else the value. */
const shown = (m: { value: number; p_value?: number }) => (m.p_value !== undefined ? m.p_value : m.value);

/** Short labels for windows: a month, a day or a date-time, as fine as the windows need. */
function windowLabels(windows: readonly CompareWindow[]): string[] {
  if (windows.every((w) => w.start === null)) return windows.map(() => 'whole file');
  const starts = windows.map((w) => w.start ?? '');
  const midnight = starts.every((s) => s.slice(11, 23) === '00:00:00.000');
  const firstOfMonth = midnight && starts.every((s) => s.slice(8, 10) === '01');
  const monthly = firstOfMonth && windows.every((w) => w.end !== null && w.end.slice(8, 23) === '01T00:00:00.000');
  if (monthly) return starts.map((s) => s.slice(0, 7));
  if (midnight) return starts.map((s) => s.slice(0, 10));
  return starts.map((s) => `${s.slice(0, 10)} ${s.slice(11, 16)}`);
}

/** Bin labels of a reference-frozen histogram: "≤ a", "a – b", …, "> z". */
function binLabels(edges: readonly number[]): string[] {
  const n = edges.length + 1;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0) out.push(`≤ ${fmt(edges[0])}`);
    else if (i === n - 1) out.push(`> ${fmt(edges[i - 1])}`);
    else out.push(`${fmt(edges[i - 1])} – ${fmt(edges[i])}`);
  }
  return out;
}

const MAX_CATEGORIES = 30;

const CSS = `
:root{--fg:#1a1a1a;--muted:#555;--line:#d0d0d0;--drift:#b03a2e;--drift-bg:#fdecea;--ok:#1e6b3a;--ok-bg:#e8f5ec;--ref:#0072B2;--cur:#E69F00}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);margin:0;background:#fafafa}
main{max-width:1280px;margin:0 auto;padding:24px 28px 64px;background:#fff}
h1{font-size:1.7rem;margin:0 0 .3rem}h2{font-size:1.3rem;margin:2.2rem 0 .6rem;border-bottom:2px solid var(--line);padding-bottom:.2rem}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
.muted{color:var(--muted)}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.6rem 0}
dl.meta dt{font-weight:600}dl.meta dd{margin:0;word-break:break-all}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:.2rem 0 .4rem}
th,td{border:1px solid var(--line);padding:.25rem .5rem;text-align:right;vertical-align:top}
td{white-space:nowrap}th{background:#f2f2f2}th[scope=row],td.l{text-align:left}th[scope=row]{white-space:nowrap}
td.drift{background:var(--drift-bg);color:var(--drift);font-weight:600}
td.ok{color:var(--ok)}
table.summary td.drift,table.summary td.ok{text-align:center}
table.summary th[scope=row]{white-space:nowrap;font-weight:600}
table.summary th[scope=row] span{font-weight:400;font-size:.8rem}
.badge{display:inline-block;border-radius:3px;padding:0 .4rem;font-size:.78rem;font-weight:700;letter-spacing:.02em}
.badge.drift{background:var(--drift);color:#fff}.badge.ok{background:var(--ok);color:#fff}
.table-wrap{overflow-x:auto}
ul.metrics{padding-left:1.2rem}ul.metrics li{margin:.15rem 0}
nav ol{columns:3;padding-left:1.4rem}
section.feature{border-top:1px solid var(--line);margin-top:1.8rem}
.charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
figure{margin:0}figcaption{font-size:.85rem;color:var(--muted);max-width:600px}
svg.chart{max-width:100%;height:auto;font-size:11px;background:#fff}
svg .tick{fill:#333;font-size:10.5px}svg .axis-title{fill:#222;font-size:12px;font-weight:600}
svg .legend text{fill:#222;font-size:11.5px}
label.window-pick{font-size:.9rem;display:block;margin:.3rem 0}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
@media print{main{max-width:none}section.feature{break-inside:avoid}}
`;

/** Swaps the current bars of a histogram to another window's shares (data embedded below). */
const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('driftline-data').textContent);
  function pct(x) { var p = x * 100; return (p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(1)) + '%'; }
  document.querySelectorAll('select[data-feature]').forEach(function (sel) {
    sel.addEventListener('change', function () {
      var f = sel.getAttribute('data-feature');
      var svg = document.getElementById(sel.getAttribute('data-chart'));
      var shares = sel.value === 'all' ? data.all[f] : data.windows[Number(sel.value)][f];
      var keep = sel.getAttribute('data-keep');
      if (shares && keep) shares = keep.split(',').map(function (i) { return shares[Number(i)]; });
      var scale = svg.querySelector('g.scale');
      var max = Number(scale.getAttribute('data-max'));
      var bottom = Number(scale.getAttribute('data-bottom'));
      var height = Number(scale.getAttribute('data-height'));
      svg.querySelectorAll('rect.cur').forEach(function (r) {
        var v = shares ? (shares[Number(r.getAttribute('data-i'))] || 0) : 0;
        var h = (v / max) * height;
        r.setAttribute('y', String(Math.round((bottom - h) * 10) / 10));
        r.setAttribute('height', String(Math.round(h * 10) / 10));
        r.querySelector('title').textContent = r.getAttribute('data-label') + ': current ' + (shares ? pct(v) : 'no values');
      });
      var legend = svg.querySelector('text.cur-legend');
      if (legend) legend.textContent = sel.value === 'all' ? 'current' : 'current, ' + sel.options[sel.selectedIndex].text;
    });
  });
})();
`;

/** The whole report page. */
export function renderHtmlReport(input: HtmlReportInput): string {
  const { report, distributions } = input.compare;
  const windows = report.windows;
  const windowed = windows.some((w) => w.start !== null);
  const labels = windowLabels(windows);
  const generated = input.generatedAt ?? new Date();

  // Features in first-seen order, then sorted: most windows drifted first.
  const names: string[] = [];
  for (const w of windows) for (const n of Object.keys(w.features)) if (!names.includes(n)) names.push(n);
  const driftCount = new Map(names.map((n) => [n, windows.filter((w) => featureDrifted(w.features[n])).length]));
  names.sort((a, b) => driftCount.get(b)! - driftCount.get(a)! || (a < b ? -1 : a > b ? 1 : 0));

  // Metrics in use, and their thresholds (the same for every feature in compare).
  const metricThreshold = new Map<string, number | null>();
  for (const w of windows) for (const f of Object.values(w.features)) for (const [m, r] of Object.entries(f.metrics)) if (!metricThreshold.has(m) || metricThreshold.get(m) === null) metricThreshold.set(m, r.threshold);
  const metrics = [...metricThreshold.keys()].sort((a, b) => orderOf(a) - orderOf(b));

  const html: string[] = [];
  html.push('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">');
  html.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  html.push(`<title>Drift report: ${esc(basename(input.currentFile))} vs ${esc(basename(input.referenceFile))}</title>`);
  html.push(`<style>${CSS}</style></head><body><main>`);

  // ---------------------------------------------------------------- header
  const totalDrifted = names.filter((n) => driftCount.get(n)! > 0).length;
  html.push('<header><h1>Data drift report</h1>');
  html.push('<p class="muted">Compares a <strong>reference</strong> data set (typically the data a model was trained on) with <strong>current</strong> data (what the model sees now), feature by feature, and flags features whose distribution changed.</p>');
  html.push('<dl class="meta">');
  html.push(`<dt>Reference file</dt><dd>${esc(input.referenceFile)} — ${report.reference.rows.toLocaleString('en-US')} rows</dd>`);
  html.push(`<dt>Current file</dt><dd>${esc(input.currentFile)} — ${distributions.currentRows.toLocaleString('en-US')} rows</dd>`);
  html.push(`<dt>Windows</dt><dd>${windowed ? `${windows.length} window${windows.length === 1 ? '' : 's'} of ${esc(input.window ?? '?')}${input.advance ? `, every ${esc(input.advance)}` : ''} (UTC), ${esc(labels[0])} to ${esc(labels[labels.length - 1])}` : 'none: the whole current file is compared at once'}</dd>`);
  html.push(`<dt>Features</dt><dd>${names.length} compared; ${totalDrifted} drifted in at least one window</dd>`);
  html.push(`<dt>Generated</dt><dd><time datetime="${generated.toISOString()}">${esc(generated.toISOString().replace('T', ' ').slice(0, 19))} UTC</time> by driftline compare</dd>`);
  html.push('</dl></header>');

  // ---------------------------------------------------------------- how to read
  html.push('<section aria-labelledby="how"><h2 id="how">How to read this report</h2>');
  html.push('<p>A feature has <strong>drifted</strong> in a window when at least one of its metrics crosses its threshold. Distance metrics drift when they reach the threshold or more; tests (KS, chi-square) drift when their p-value falls below it. The metrics used here:</p><ul class="metrics">');
  for (const m of metrics) {
    const e = EXPLAIN[m] ?? { label: m, text: `${getMetric(m).description}; {t}.` };
    const t = metricThreshold.get(m) ?? null;
    const rule = t === null ? 'no threshold' : isTest(m) ? `p < ${fmt(t)}` : `≥ ${fmt(t)}`;
    html.push(`<li><strong>${esc(e.label)}</strong> (<code>${esc(m)}</code>): ${esc(e.text.replace('{t}', rule))}</li>`);
  }
  html.push('</ul></section>');

  // ---------------------------------------------------------------- summary
  html.push('<section aria-labelledby="summary"><h2 id="summary">Summary: features drifted per window</h2><div class="table-wrap"><table class="summary">');
  html.push(`<caption>${windowed ? 'Each row is a time window of the current data' : 'The whole current file as one window'}; “drift” marks a feature with at least one metric past its threshold.</caption>`);
  html.push(`<thead><tr><th scope="col">${windowed ? 'Window' : ''}</th><th scope="col">Rows</th><th scope="col">Drifted</th>${names.map((n) => `<th scope="col">${esc(n)}</th>`).join('')}</tr></thead><tbody>`);
  windows.forEach((w, i) => {
    const drifted = names.filter((n) => featureDrifted(w.features[n]));
    html.push(`<tr><th scope="row">${esc(w.start === null ? 'whole file' : `${labels[i]}`)}${w.start !== null ? ` <span class="muted">${esc(w.start.slice(0, 16).replace('T', ' '))} – ${esc(w.end!.slice(0, 16).replace('T', ' '))}</span>` : ''}</th>`
      + `<td>${w.rows.toLocaleString('en-US')}</td><td>${drifted.length} of ${names.length}</td>`
      + names.map((n) => (w.features[n] === undefined ? '<td>–</td>' : featureDrifted(w.features[n]) ? '<td class="drift">drift</td>' : '<td class="ok">ok</td>')).join('')
      + '</tr>');
  });
  html.push('</tbody></table></div></section>');

  // ---------------------------------------------------------------- features
  html.push('<nav aria-labelledby="toc"><h2 id="toc">Features</h2><ol>');
  names.forEach((n, k) => html.push(`<li><a href="#f${k}">${esc(n)}</a> — ${driftCount.get(n)! > 0 ? `<span class="badge drift">drift</span> in ${driftCount.get(n)} of ${windows.length}` : '<span class="badge ok">no drift</span>'}</li>`));
  html.push('</ol></nav>');

  names.forEach((name, k) => {
    const kind = windows.find((w) => w.features[name])!.features[name].kind;
    const dc = driftCount.get(name)!;
    html.push(`<section class="feature" id="f${k}" aria-labelledby="f${k}-h"><h2 id="f${k}-h">${esc(name)} <span class="muted" style="font-weight:400;font-size:.9rem">(${kind})</span> ${dc > 0 ? `<span class="badge drift">drift in ${dc} of ${windows.length} window${windows.length === 1 ? '' : 's'}</span>` : '<span class="badge ok">no drift</span>'}</h2>`);
    html.push('<div class="charts">');
    html.push(histogram(name, k, distributions.features[name], distributions.windows, labels, windowed));
    html.push('</div>');
    html.push(metricTable(name, k, windows, labels, metrics));
    if (windowed) html.push(`<h3>Over time</h3><div class="charts">${timeCharts(name, k, windows, labels)}</div>`);
    html.push('</section>');
  });

  html.push('<footer><p class="muted">Made by <code>driftline compare --format html</code>. Self-contained: no files or network resources are loaded. Numbers come from the same code as <code>--format json</code>.</p></footer>');
  // Histogram data for the window picker; "<" escaped so no text can close the script element.
  const data = { all: Object.fromEntries(Object.entries(distributions.features).map(([n, d]) => [n, d.current])), windows: distributions.windows };
  html.push(`<script type="application/json" id="driftline-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>`);
  html.push(`<script>${SCRIPT}</script>`);
  html.push('</main></body></html>');
  return `${html.join('\n')}\n`;
}

function histogram(name: string, k: number, dist: FeatureDistribution | undefined, windowShares: Record<string, number[] | null>[], labels: string[], windowed: boolean): string {
  if (!dist) return `<p class="muted">No histogram: the reference has no values of ${esc(name)}.</p>`;
  const id = `hist-${k}`;
  let chartLabels: string[];
  let longLabels: string[];
  let reference = dist.reference;
  let current = dist.current;
  let note: string;
  let xTitle: string;
  let keep: number[] | null = null;
  if (dist.kind === 'numeric') {
    chartLabels = binLabels(dist.edges);
    longLabels = chartLabels.map((l, i) => `bin ${i + 1} (${l})`);
    xTitle = `${name} (reference bins)`;
    note = `Bars are the reference’s ${dist.edges.length + 1} bins, cut at its quantiles so each holds about ${pct(1 / (dist.edges.length + 1))} of the reference values (reference range ${fmt(dist.min)} to ${fmt(dist.max)}). Where an orange bar differs from its blue neighbour, the share of values in that range changed. These shares are what PSI, Jensen–Shannon and Hellinger compare.`;
  } else {
    longLabels = dist.categories.map((c) => `category “${c}”`);
    chartLabels = dist.categories.map((c) => (c.length > 14 ? `${c.slice(0, 13)}…` : c));
    xTitle = `${name} (category)`;
    note = 'Share of values in each category, reference vs current. These shares are what chi-square, PSI, Jensen–Shannon, Hellinger and L∞ compare.';
    if (dist.categories.length > MAX_CATEGORIES) {
      keep = dist.categories.map((_, i) => i).sort((a, b) => Math.max(dist.reference[b], dist.current?.[b] ?? 0) - Math.max(dist.reference[a], dist.current?.[a] ?? 0)).slice(0, MAX_CATEGORIES).sort((a, b) => a - b);
      note += ` Only the ${MAX_CATEGORIES} largest of ${dist.categories.length} categories are drawn.`;
      chartLabels = keep.map((i) => chartLabels[i]);
      longLabels = keep.map((i) => longLabels[i]);
      reference = keep.map((i) => reference[i]);
      current = current && keep.map((i) => current![i]);
    }
  }
  const pick = (shares: number[] | null) => (shares && keep ? keep.map((i) => shares[i]) : shares);
  const all = windowShares.map((w) => pick(w[name] ?? null));
  const yMax = Math.max(0, ...all.flatMap((s) => s ?? []));
  const chart = barChart({
    id,
    title: `${name}: share of values per ${dist.kind === 'numeric' ? 'bin' : 'category'}, reference vs current`,
    desc: longLabels.map((l, i) => `${l}: reference ${pct(reference[i])}, current ${current ? pct(current[i]) : 'no values'}`).join('; '),
    labels: chartLabels,
    longLabels,
    reference,
    current,
    yMax,
    xTitle,
  });
  let picker = '';
  if (windowed && windowShares.length > 0) {
    const data = keep ? `data-keep="${keep.join(',')}"` : '';
    picker = `<label class="window-pick">Current data shown: <select data-feature="${esc(name)}" data-chart="${id}" ${data}><option value="all">all current rows</option>${labels.map((l, i) => `<option value="${i}">window ${esc(l)}</option>`).join('')}</select></label>`;
  }
  return `<figure><h3>Distribution${windowed ? ': reference vs all current rows' : ''}</h3>${picker}${chart}<figcaption>${esc(note)}</figcaption></figure>`;
}

function metricTable(name: string, k: number, windows: readonly CompareWindow[], labels: string[], metrics: string[]): string {
  const used = metrics.filter((m) => windows.some((w) => w.features[name]?.metrics[m]));
  if (used.length === 0) return '<p class="muted">No metrics could be computed (no values on one side).</p>';
  const out: string[] = ['<div class="table-wrap"><table>'];
  out.push(`<caption>${esc(name)}: metric values and thresholds${windows.length > 1 ? ' per window' : ''} (tests show their p-value; cells past the threshold are marked “drift”)</caption>`);
  const thresholdOf = (m: string) => {
    for (const w of windows) {
      const r = w.features[name]?.metrics[m];
      if (r) return r.threshold;
    }
    return null;
  };
  out.push(`<thead><tr><th scope="col">Window</th><th scope="col">Values</th><th scope="col">Missing</th>${used.map((m) => `<th scope="col">${esc(EXPLAIN[m]?.label ?? m)}${isTest(m) ? ' p-value' : ''}<br><span class="muted" style="font-weight:400">${esc(thresholdRule(m, thresholdOf(m)))}</span></th>`).join('')}</tr></thead><tbody>`);
  windows.forEach((w, i) => {
    const f = w.features[name];
    if (!f) return;
    out.push(`<tr><th scope="row">${esc(labels[i])}</th><td>${f.count.toLocaleString('en-US')}</td><td>${f.missing.toLocaleString('en-US')}</td>${used.map((m) => {
      const r = f.metrics[m];
      if (!r) return '<td>–</td>';
      return r.drift ? `<td class="drift">${esc(fmt(shown(r)))} <span class="badge drift">drift</span></td>` : `<td>${esc(fmt(shown(r)))}</td>`;
    }).join('')}</tr>`);
  });
  out.push('</tbody></table></div>');
  void k;
  return out.join('');
}

function timeCharts(name: string, k: number, windows: readonly CompareWindow[], labels: string[]): string {
  const present = new Set<string>();
  for (const w of windows) for (const m of Object.keys(w.features[name]?.metrics ?? {})) present.add(m);
  const ordered = [...present].sort((a, b) => orderOf(a) - orderOf(b));
  const series = (m: string): Series => {
    let threshold: number | null = null;
    const values = windows.map((w) => {
      const r = w.features[name]?.metrics[m];
      if (r && threshold === null) threshold = r.threshold;
      return r ? shown(r) : null;
    });
    return { name: m, values, drift: windows.map((w) => !!w.features[name]?.metrics[m]?.drift), threshold };
  };
  const groups: { key: string; title: string; y: string; metrics: string[]; log?: boolean; note: string }[] = [
    { key: 'dist', title: 'Distribution distances', y: 'distance (0 = no change)', metrics: ordered.filter((m) => !isTest(m) && !QUALITY(m) && m !== 'wasserstein'), note: 'Higher means the distribution moved further from the reference; a point on or above its dashed threshold line is drift.' },
    { key: 'test', title: 'Statistical tests', y: 'p-value (log scale)', metrics: ordered.filter((m) => isTest(m)), log: true, note: 'Lower means a difference less likely to be chance; a point below its dashed threshold line is drift. p-values under 1e-20 are drawn at the bottom.' },
    { key: 'quality', title: 'Data quality', y: 'share of rows', metrics: ordered.filter((m) => QUALITY(m)), note: 'Shares of problem rows; a point on or above its dashed threshold line is flagged.' },
    { key: 'units', title: 'Wasserstein distance', y: `distance in ${name} units`, metrics: ordered.filter((m) => m === 'wasserstein'), note: 'Average shift of values in the feature’s own units; no threshold.' },
  ];
  const out: string[] = [];
  for (const g of groups) {
    if (g.metrics.length === 0) continue;
    const s = g.metrics.map(series);
    const id = `time-${k}-${g.key}`;
    const desc = s.map((z) => `${z.name} (${thresholdRule(z.name, z.threshold)}): ${z.values.map((v, i) => `${labels[i]} ${v === null ? 'n/a' : fmt(v)}${z.drift[i] ? ' drift' : ''}`).join(', ')}`).join('. ');
    out.push(`<figure>${lineChart({
      id,
      title: `${name}: ${g.title.toLowerCase()} per window`,
      desc,
      xLabels: labels,
      xTitle: 'window (start, UTC)',
      yTitle: g.y,
      series: s,
      log: g.log ? { floor: 1e-20 } : undefined,
      thresholdText: (z) => (z.threshold === null ? '' : isTest(z.name) ? `p < ${fmt(z.threshold)}` : `≥ ${fmt(z.threshold)}`),
    })}<figcaption><strong>${esc(g.title)}.</strong> ${esc(g.note)}</figcaption></figure>`);
  }
  return out.join('');
}
