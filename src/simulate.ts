/**
 * A simulated model for demos and tests: a credit-scoring model with numeric and categorical
 * features, training rows from one distribution, then serving traffic in which one documented
 * scenario happens part-way. Deterministic for a seed.
 *
 * Scenarios:
 * - `mean-shift`: `amount` drifts gradually, its mean rising by 0.5 standard deviations per
 *   window from the start window, then jumps back to normal at the end window.
 * - `new-category`: `country` gets a value never seen in training (`XX`) for 40% of the traffic
 *   between the start and end windows.
 * - `missing-burst`: `age` is missing in 60% of the events between the start and end windows
 *   (a broken upstream join).
 * - `none`: no drift at all.
 */
import type { PlainEvent } from './codec/event.js';

export const SCENARIOS = ['mean-shift', 'new-category', 'missing-burst', 'none'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const SIM_FEATURES = [
  { name: 'amount', type: 'numeric' as const },
  { name: 'age', type: 'numeric' as const },
  { name: 'tenure_months', type: 'numeric' as const },
  { name: 'country', type: 'categorical' as const },
  { name: 'channel', type: 'categorical' as const },
];

export interface SimOptions {
  scenario: Scenario;
  modelId: string;
  version: string;
  /** Event time of the first serving window. */
  startMs: number;
  windowMs: number;
  windows: number;
  eventsPerWindow: number;
  /** Scenario active in windows [driftFrom, driftTo). */
  driftFrom: number;
  driftTo: number;
  seed: number;
}

export class Simulator {
  private a: number;
  private spare: number | null = null;
  constructor(private readonly o: SimOptions) {
    this.a = o.seed >>> 0;
  }
  private random(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  private normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.random()));
    const th = 2 * Math.PI * this.random();
    this.spare = r * Math.sin(th);
    return r * Math.cos(th);
  }
  private pick<T>(values: readonly T[], weights: readonly number[]): T {
    let u = this.random();
    for (let i = 0; i < values.length; i++) {
      if (u < weights[i]) return values[i];
      u -= weights[i];
    }
    return values[values.length - 1];
  }

  private row(window: number): PlainEvent['features'] {
    const { scenario, driftFrom, driftTo } = this.o;
    const active = window >= driftFrom && window < driftTo;
    const shift = scenario === 'mean-shift' && active ? 0.5 * (window - driftFrom + 1) : 0;
    const amount = Math.round(Math.exp(4 + 0.6 * (this.normal() + shift)) * 100) / 100;
    const age = scenario === 'missing-burst' && active && this.random() < 0.6 ? null : Math.max(18, Math.round(40 + 12 * this.normal()));
    const tenure = Math.max(0, Math.round(36 + 20 * this.normal()));
    const country = scenario === 'new-category' && active && this.random() < 0.4 ? 'XX' : this.pick(['DE', 'FR', 'NL', 'ES'], [0.4, 0.3, 0.2, 0.1]);
    const channel = this.pick(['web', 'app', 'store'], [0.5, 0.4, 0.1]);
    return { amount, age, tenure_months: tenure, country, channel };
  }

  trainingEvents(n: number): PlainEvent[] {
    const out: PlainEvent[] = [];
    for (let i = 0; i < n; i++) {
      const features = this.row(-1);
      out.push({ model_id: this.o.modelId, model_version: this.o.version, event_id: `train-${i}`, event_time: this.o.startMs - 86_400_000, features, label: this.random() < 0.1 ? 'default' : 'repaid' });
    }
    return out;
  }

  /** Serving events of one window, in event-time order. */
  servingWindow(window: number): PlainEvent[] {
    const out: PlainEvent[] = [];
    const n = this.o.eventsPerWindow;
    for (let i = 0; i < n; i++) {
      const t = this.o.startMs + window * this.o.windowMs + Math.floor((i * this.o.windowMs) / n);
      out.push({ model_id: this.o.modelId, model_version: this.o.version, event_id: `w${window}-${i}`, event_time: t, features: this.row(window), prediction: Math.round(this.random() * 1000) / 1000 });
    }
    return out;
  }
}
