// `driftline compare --format html` on the NannyML California housing data with --window 1M:
// a self-contained page with every feature, a histogram per feature, line charts over time and
// the thresholds; and the distributions behind the histograms are the ones the metrics use.
import { describe, expect, it } from 'vitest';
import { compareFiles, compareFilesDetailed } from '../../../src/compare.js';
import { hellinger, jensenShannon, psi } from '../../../src/stats/index.js';
import { ANALYSIS, CATEGORICAL, FEATURES, NUMERIC, REFERENCE, makeReport } from './support.js';

const OPTIONS = { reference: REFERENCE, current: ANALYSIS, numeric: NUMERIC, categorical: CATEGORICAL, timestampColumn: 'timestamp', window: '1M' } as const;

/** The feature sections of the page, by feature name. */
function sections(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of html.split('<section class="feature"').slice(1)) {
    const name = /<h2 id="f\d+-h">([^<]+?) </.exec(part)?.[1];
    if (name) out.set(name, part.slice(0, part.indexOf('</section>')));
  }
  return out;
}

describe('compare --format html (nannyml, --window 1M)', async () => {
  const { html } = await makeReport();

  it('is one self-contained page: nothing is loaded from the network or other files', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?|file|ftp):/i);
    expect(html).not.toMatch(/<script[^>]*\bsrc\s*=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<(?:img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/@import|url\s*\(/i);
    // Every href is an in-page anchor.
    for (const m of html.matchAll(/\bhref\s*=\s*"([^"]*)"/g)) expect(m[1]).toMatch(/^#/);
  });

  it('has a header with the files compared, rows and date', () => {
    expect(html).toContain(REFERENCE);
    expect(html).toContain(ANALYSIS);
    expect(html).toContain('5,832 rows');
    expect(html).toContain('8,232 rows');
    expect(html).toMatch(/<time datetime="\d{4}-\d\d-\d\dT/);
    expect(html).toContain('12 windows of 1M');
  });

  it('has a summary of drifted features per window', () => {
    const summary = html.slice(html.indexOf('id="summary"'), html.indexOf('id="toc"'));
    for (const month of ['2021-06', '2021-12', '2022-05']) expect(summary).toContain(month);
    expect(summary.match(/<tr><th scope="row">/g)).toHaveLength(12);
    expect(summary).toMatch(/\d+ of 10/);
    for (const f of FEATURES) expect(summary).toContain(`<th scope="col">${f}</th>`);
  });

  it('has a section for every feature with one histogram and its line charts', () => {
    const s = sections(html);
    expect([...s.keys()].sort()).toEqual([...FEATURES].sort());
    for (const [name, part] of s) {
      expect(part.match(/<svg class="chart bars"/g), name).toHaveLength(1);
      // numeric: distances, ks, quality and wasserstein; categorical: distances, chi2, quality.
      const lines = part.match(/<svg class="chart lines"/g) ?? [];
      expect(lines.length, name).toBe(NUMERIC.includes(name) ? 4 : 3);
      // every chart has a title, an accessible description, axis titles and a legend
      for (const svg of part.match(/<svg class="chart[\s\S]*?<\/svg>/g)!) {
        expect(svg).toMatch(/role="img" aria-labelledby="[^"]+-t [^"]+-d"/);
        expect(svg).toMatch(/<title id="[^"]+">[^<]+<\/title><desc id="[^"]+">[^<]+<\/desc>/);
        expect(svg.match(/class="axis-title"/g)).toHaveLength(2);
        expect(svg).toContain('class="legend"');
      }
      // one point per window and metric on the line charts
      const distances = part.match(/<svg class="chart lines" id="time-\d+-dist"[\s\S]*?<\/svg>/)![0];
      const series = distances.match(/<path class="series"/g)!.length;
      expect(distances.match(/<circle class="pt"/g)).toHaveLength(series * 12);
      expect(distances).toContain('stroke-dasharray="6 4"');
    }
    // numeric bins: 10 reference bins, labelled from "≤ a" to "> z"
    const medInc = s.get('MedInc')!.match(/<svg class="chart bars"[\s\S]*?<\/svg>/)![0];
    expect(medInc.match(/<rect class="cur"/g)).toHaveLength(10);
    expect(medInc).toContain('≤ ');
    expect(medInc).toContain('&gt; ');
    // categories: one pair of bars per category of y_pred
    const yPred = s.get('y_pred')!.match(/<svg class="chart bars"[\s\S]*?<\/svg>/)![0];
    expect(yPred.match(/<rect class="cur"/g)).toHaveLength(2);
  });

  it('shows the metric values against their thresholds, drifted ones marked', () => {
    for (const t of ['drift if ≥ 0.25', 'drift if p &lt; 0.05', 'drift if ≥ 0.1', 'drift if ≥ 0.2', 'drift if ≥ 0.05', 'no threshold']) expect(html).toContain(t);
    // thresholds on the charts too
    expect(html).toContain('psi ≥ 0.25');
    expect(html).toMatch(/ks p &lt; 0\.05/);
    expect(html).toContain('<td class="drift">');
    expect(html).toContain('<span class="badge drift">drift</span>');
  });

  it('explains each metric in one line', () => {
    for (const m of ['ks', 'wasserstein', 'psi', 'js', 'hellinger', 'chi2', 'linf', 'missing_rate', 'out_of_range', 'unseen_categories']) {
      expect(html).toMatch(new RegExp(`<li><strong>[^<]+</strong> \\(<code>${m}</code>\\): [^<]+</li>`));
    }
    expect(html).toContain('how much the share of values per bin changed; ≥ 0.25 is a significant shift');
  });
});

describe('compareFilesDetailed: the data behind the histograms', async () => {
  const detailed = await compareFilesDetailed(OPTIONS);
  const plain = await compareFiles(OPTIONS);

  it('leaves the JSON report exactly as compareFiles makes it', () => {
    expect(JSON.stringify(detailed.report)).toBe(JSON.stringify(plain));
  });

  it('reproduces every window\'s binned metrics from the carried proportions', () => {
    const d = detailed.distributions;
    expect(d.windows).toHaveLength(plain.windows.length);
    plain.windows.forEach((w, i) => {
      for (const name of FEATURES) {
        const dist = d.features[name];
        const cur = d.windows[i][name]!;
        const ref = Float64Array.from(dist.reference);
        const c = Float64Array.from(cur);
        const metrics = w.features[name].metrics;
        expect(psi(ref, c)).toBeCloseTo(metrics.psi.value, 12);
        expect(jensenShannon(ref, c)).toBeCloseTo(metrics.js.value, 12);
        expect(hellinger(ref, c)).toBeCloseTo(metrics.hellinger.value, 12);
        if (dist.kind === 'categorical') {
          const linf = Math.max(...dist.reference.map((r, k) => Math.abs(r - cur[k])));
          expect(linf).toBeCloseTo(metrics.linf.value, 12);
        }
      }
    });
  });

  it('has reference-frozen bins for numeric features and aligned categories for categorical ones', () => {
    for (const name of NUMERIC) {
      const dist = detailed.distributions.features[name];
      expect(dist.kind).toBe('numeric');
      if (dist.kind !== 'numeric') continue;
      expect(dist.reference).toHaveLength(dist.edges.length + 1);
      expect(dist.current).toHaveLength(dist.edges.length + 1);
      expect(dist.reference.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(dist.current!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
    const yPred = detailed.distributions.features.y_pred;
    expect(yPred.kind).toBe('categorical');
    if (yPred.kind === 'categorical') expect([...yPred.categories].sort()).toEqual(['0', '1']);
    expect(detailed.distributions.currentRows).toBe(8232);
  });
});
