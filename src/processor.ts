/**
 * The stream processor without Kafka: records in, window results, alerts and dead letters out.
 *
 * Steps kept apart: decode (codec) -> validate against the model's config -> assign to windows
 * (pure function of event time) -> append into the window's Arrow columns -> advance stream time ->
 * trigger (close every window whose end + grace the stream time reached) -> evaluate (detect) ->
 * alert state. The io layer feeds records and ships the outputs; tests feed records directly.
 *
 * Offsets: for each inference partition the processor knows the smallest offset still needed by an
 * open window. Committing that offset, with the stream time of each model as commit metadata, lets a
 * restarted or rebalanced instance rebuild its open windows exactly: replayed events whose windows
 * were already closed are skipped silently (they were published, or dead-lettered, before).
 */
import type avro from 'avsc';
import type { Config, ModelConfig } from './config.js';
import { RejectedMessageError, type RejectReason } from './errors.js';
import { EventDecoder, EventView, TAG_BOOLEAN, TAG_DOUBLE, TAG_LONG, TAG_NULL, TAG_STRING, TAG_NAMES, type EventKind } from './codec/event.js';
import { LabelDecoder, type DecodedLabel } from './codec/label.js';
import { AlertTracker, type DriftAlert } from './detect/alerts.js';
import { effectiveRules, evaluateWindow, type CurrentColumn, type Rule, type VolumeResult, type WindowResult } from './detect/evaluate.js';
import { ReferenceProfile } from './detect/reference.js';
import { quantileSorted } from './stats/index.js';
import { PerformanceWindow, type PerformanceResult, type Target } from './detect/performance.js';
import { assignWindows, windowEnd } from './window/assign.js';
import { CategoricalColumn, CategoryCountsColumn, CategoryDictionary, NumericColumn, SketchColumn, WindowColumns } from './window/columns.js';
import type { Instrumentation } from './instrumentation.js';

export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** Kafka record headers; a header sent several times arrives as an array (kafkajs). */
export type Headers = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

export interface InRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Headers;
}

export interface OutRecord<T> {
  key: string;
  value: T;
}
export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string | Buffer>;
}
export interface Outputs {
  results: OutRecord<WindowResult>[];
  alerts: OutRecord<DriftAlert>[];
  deadLetters: DeadLetter[];
  performance: OutRecord<PerformanceResult>[];
}

/** What a committed offset carries, so that a new owner of the partition can replay exactly. */
export interface Checkpoint {
  /** Offsets below this were processed before the commit. */
  upTo: number;
  /** Stream time (ms) per model at the commit. */
  streamTime: Record<string, number>;
  /** Rows of each model version's recent closed windows (the volume baseline), per model. */
  volume?: Record<string, Record<string, number[]>>;
}

interface OpenWindow {
  readonly version: string;
  readonly start: number;
  readonly end: number;
  readonly columns: WindowColumns;
  /** Smallest offset of an event in this window, per partition. */
  readonly minOffset: Map<number, number>;
  /** Per feature: values of the wrong type counted as missing (onTypeMismatch: missing). */
  readonly mismatches: Float64Array;
}

class ModelState {
  streamTime = -Infinity;
  lastEventWallMs = 0;
  readonly windows = new Map<string, OpenWindow>();
  readonly dictionaries: CategoryDictionary[];
  readonly partitions = new Set<number>();
  readonly rules: Rule[];
  /** Rows of the recent closed windows, per version (volume baseline). */
  readonly volumeHistory = new Map<string, number[]>();
  /** References built from serving windows (reference.source baseline or previous), per version. */
  readonly servingReference = new Map<string, { profile: ReferenceProfile; windows: number }>();
  /** Label join (models with a performance section): predictions waiting for a label, by event id. */
  readonly pending = new Map<string, { version: string; starts: number[]; prediction: Target }>();
  /** Labels that arrived before their prediction, by event id. */
  readonly earlyLabels = new Map<string, Target>();
  readonly perfWindows = new Map<string, PerformanceWindow>();
  /** Rows of the model's last closed window: the initial capacity of new window columns. */
  lastWindowRows = 0;
  /** The open window the model's last event went to (events come in runs of the same window). */
  lastWindow: OpenWindow | null = null;
  /** Whether the model's window spec gives every event exactly one window (tumbling or calendar). */
  readonly tumbling: boolean;
  constructor(readonly config: ModelConfig) {
    const w = config.window;
    this.tumbling = w.kind === 'calendar' || w.advanceMs === w.sizeMs;
    this.dictionaries = config.features.map(() => new CategoryDictionary());
    this.rules = effectiveRules(config.features.map((f) => ({ name: f.name, kind: f.kind })), config.rules);
  }
}

interface PartitionState {
  lastOffset: number;
  replayUpTo: number;
}

const WINDOW_KEY_SEP = '\u0000';

export class Processor {
  private readonly models = new Map<string, ModelConfig>();
  /** Per model id: what the hot path resolves once per model and event layout, not per event. */
  private readonly lookups = new Map<string, ModelLookup>();
  /** Sketch mode (numeric features as quantile sketches). */
  private readonly sketch: boolean;
  private readonly state = new Map<string, ModelState>();
  private readonly references = new Map<string, ReferenceProfile>();
  private readonly partitions = new Map<number, PartitionState>();
  readonly alerts = new AlertTracker();
  private readonly decoders: Record<EventKind, EventDecoder>;
  private readonly view = new EventView();
  private readonly starts: number[] = [];
  /** The wall-clock reading of the batch being processed (batchStarted), NaN outside a batch. */
  private batchWallMs = NaN;
  /**
   * Per configured feature of the current event: index in the event view, ABSENT, TARGET or
   * MISMATCH. The model's cached positions when every value has its type, else `mismatched`.
   */
  private featureIndex: Int32Array;
  /** Scratch for featureIndex when a value of the wrong type counts as missing (reused). */
  private readonly mismatched: Int32Array;
  private readonly labels: LabelDecoder;
  /** Writer schemas of Confluent-framed bodies by id: from the config, and added from a schema registry. */
  private readonly writers: Map<number, avro.Schema>;
  private out: Outputs = { results: [], alerts: [], deadLetters: [], performance: [] };

  constructor(
    private readonly config: Config,
    private readonly obs: Instrumentation,
    private readonly clock: Clock,
    types: { inference: avro.Type; training: avro.Type; label: avro.Type },
    writerSchemas: ReadonlyMap<number, avro.Schema> = new Map(),
  ) {
    this.writers = new Map(writerSchemas);
    for (const m of config.models) {
      this.models.set(m.id, m);
      this.lookups.set(m.id, {
        model: m,
        layout: -1,
        positions: new Int32Array(m.features.length),
        numeric: Uint8Array.from(m.features, (f) => (f.kind === 'numeric' ? 1 : 0)),
        prediction: Uint8Array.from(m.features, (f) => (f.role === 'prediction' ? 1 : 0)),
        numericAt: 0,
        categoricalAt: 0,
        masks: false,
      });
    }
    this.sketch = config.processor.mode === 'sketch';
    this.labels = new LabelDecoder(types.label, this.writers);
    this.decoders = {
      inference: new EventDecoder('inference', types.inference, this.writers),
      training: new EventDecoder('training', types.training, this.writers),
    };
    this.mismatched = new Int32Array(Math.max(...config.models.map((m) => m.features.length)));
    this.featureIndex = this.mismatched;
  }

  /** Whether a writer schema id is known (framed bodies with unknown ids are rejected). */
  hasWriterSchema(id: number): boolean {
    return this.writers.has(id);
  }

  /** Adds a writer schema, e.g. fetched from a schema registry before a batch is processed. */
  addWriterSchema(id: number, schema: avro.Schema): void {
    this.writers.set(id, schema);
  }

  /** Takes the outputs produced since the last call. */
  drain(): Outputs {
    const o = this.out;
    this.out = { results: [], alerts: [], deadLetters: [], performance: [] };
    return o;
  }

  // ---------------------------------------------------------------- training (reference)

  /** A TrainingEvent: adds its row to the reference of (model, version). */
  processTraining(rec: InRecord): void {
    try {
      const model = this.decodeAndCheck('training', rec).model;
      const v = this.view;
      const key = `${v.modelId}${WINDOW_KEY_SEP}${v.modelVersion}`;
      let profile = this.references.get(key);
      if (!profile) {
        profile = new ReferenceProfile(v.modelId, v.modelVersion, model.features, this.config.processor.referenceMaxRows);
        this.references.set(key, profile);
      }
      model.features.forEach((f, i) => {
        const j = this.featureIndex[i];
        const missing = j === ABSENT || j === MISMATCH || (j === TARGET ? v.targetTag : v.tags[j]) === TAG_NULL;
        if (f.kind === 'numeric') {
          const r = profile!.numericFeature(f.name)!;
          const x = missing ? NaN : j === TARGET ? v.targetNum : v.nums[j];
          if (Number.isNaN(x)) r.addMissing();
          else r.add(x);
        } else {
          const r = profile!.categoricalFeature(f.name)!;
          if (missing) r.addMissing();
          else r.add(j === TARGET ? targetCategory(v) : categoryOf(v, j));
        }
      });
      profile.rowAdded();
      this.obs.eventConsumed(rec.topic, model.id);
      this.obs.referenceRows(model.id, v.modelVersion, profile.rows);
    } catch (err) {
      this.reject(rec, err);
    }
  }

  referenceRows(modelId: string, version: string): number {
    return this.references.get(`${modelId}${WINDOW_KEY_SEP}${version}`)?.rows ?? 0;
  }

  // ---------------------------------------------------------------- inference (serving windows)

  /**
   * The runner calls this before a batch of records and batchEnded() after it: the events of the
   * batch are stamped with this one reading of the wall clock (used to close windows of models
   * that went idle, whose idle times are seconds; a batch takes milliseconds). Without it every
   * event reads the clock.
   */
  batchStarted(): void {
    this.batchWallMs = this.clock.now();
  }
  batchEnded(): void {
    this.batchWallMs = NaN;
  }

  /**
   * Notes that the model got an event now: the batch's clock reading within a batch, else the
   * clock's. Written into the field, not returned: a clock call per event would allocate a heap
   * number per event for its result.
   */
  private stampWallClock(st: ModelState): void {
    st.lastEventWallMs = this.batchWallMs === this.batchWallMs ? this.batchWallMs : this.clock.now();
  }

  /** An InferenceEvent: appended to its open windows; may close windows and emit results. */
  processInference(rec: InRecord): void {
    const offset = Number(rec.offset);
    const part = this.partitionState(rec.partition);
    const replaying = offset < part.replayUpTo;
    if (offset > part.lastOffset) part.lastOffset = offset;
    let lookup: ModelLookup;
    try {
      lookup = this.decodeAndCheck('inference', rec);
    } catch (err) {
      if (!replaying) this.reject(rec, err);
      return;
    }
    const model = lookup.model;
    const v = this.view;
    const st = this.modelState(model);
    st.partitions.add(rec.partition);
    this.stampWallClock(st);
    const t = v.eventTime;
    const last = st.lastWindow;
    let n: number;
    let appended = 0;
    if (st.tumbling && last !== null && t >= last.start && t < last.end && last.end + model.window.graceMs > st.streamTime && last.version === v.modelVersion) {
      // The window of the previous event holds this one too, and a tumbling or calendar spec gives
      // an event exactly one window: assignment and lookup are skipped (no call takes the times as
      // arguments, which would box them, one heap number each, per event).
      n = 1;
      this.starts[0] = last.start;
      this.appendTo(lookup, last, rec.partition, offset);
      appended = 1;
    } else n = assignWindows(model.window, t, this.starts);
    for (let w = appended; w < n; w++) {
      const start = this.starts[w];
      const end = windowEnd(model.window, start);
      if (end + model.window.graceMs <= st.streamTime) continue; // this window has closed
      const win = this.openWindow(st, v.modelVersion, start, end);
      this.appendTo(lookup, win, rec.partition, offset);
      appended++;
    }
    if (appended === 0) {
      if (!replaying) {
        this.obs.lateEvent(model.id);
        this.reject(rec, new RejectedMessageError('late_event', `event_time ${new Date(v.eventTime).toISOString()} is late: its window closed at stream time ${new Date(st.streamTime).toISOString()} (window end + grace ${model.window.graceMs} ms passed)`));
      }
      return;
    }
    if (!replaying) this.obs.eventConsumed(rec.topic, model.id);
    if (model.performance) this.registerPrediction(st, n);
    if (v.eventTime > st.streamTime) {
      st.streamTime = v.eventTime;
      this.closeDue(st);
    }
  }

  /** Closes the open windows of models that got no event for their idle time (wall clock). */
  closeIdle(): void {
    const now = this.clock.now();
    for (const st of this.state.values()) {
      const open = st.windows.size + st.perfWindows.size;
      if (open === 0 || now - st.lastEventWallMs < st.config.window.idleMs) continue;
      let closeAt = st.streamTime;
      for (const w of st.windows.values()) closeAt = Math.max(closeAt, w.end + st.config.window.graceMs);
      this.obs.log.processor.info({ model: st.config.id, idleMs: now - st.lastEventWallMs }, `model ${st.config.id} idle: closing its ${open} open window(s)`);
      st.streamTime = closeAt;
      this.closeDue(st);
      // Nothing arrives any more, labels included: publish the performance of every window.
      if (st.config.performance) this.closePerformance(st, Infinity);
    }
  }

  /** Closes every window of every model now, performance windows included (the end of a file). */
  closeAll(): void {
    for (const st of this.state.values()) {
      for (const w of st.windows.values()) st.streamTime = Math.max(st.streamTime, w.end + st.config.window.graceMs);
      this.closeDue(st);
      if (st.config.performance) this.closePerformance(st, Infinity);
    }
  }

  // ---------------------------------------------------------------- delayed labels (performance)

  /**
   * A LabelEvent: joined by event id to a prediction waiting for it (or kept until the prediction
   * comes, if it came first), and counted into the prediction's performance windows.
   */
  processLabel(rec: InRecord): void {
    let label: DecodedLabel;
    try {
      if (!rec.value) throw new RejectedMessageError('undecodable', 'message has no value (tombstone)');
      if (rec.value.length > this.config.processor.maxMessageBytes) throw new RejectedMessageError('oversized', `message body of ${rec.value.length} bytes exceeds processor.maxMessageBytes (${this.config.processor.maxMessageBytes})`);
      label = this.labels.decode(rec.value);
      const model = this.models.get(label.model_id);
      if (!model) throw new RejectedMessageError('unknown_model', `model_id "${truncate(label.model_id)}" is not configured`);
      if (!model.performance) throw new RejectedMessageError('unknown_model', `model "${model.id}" has no performance section, so it takes no labels`);
    } catch (err) {
      this.reject(rec, err);
      return;
    }
    const model = this.models.get(label.model_id)!;
    const st = this.modelState(model);
    this.stampWallClock(st);
    this.obs.eventConsumed(rec.topic, model.id);
    const value: Target = label.label === null ? null : (Object.values(label.label)[0] as number | string);
    const p = st.pending.get(label.event_id);
    if (p) {
      st.pending.delete(label.event_id);
      this.joinLabel(st, p, value);
    } else {
      st.earlyLabels.set(label.event_id, value);
      if (st.earlyLabels.size > model.performance!.maxPending) {
        st.earlyLabels.delete(st.earlyLabels.keys().next().value!);
        this.obs.labelDropped(model.id, 'unmatched');
      }
    }
  }

  private registerPrediction(st: ModelState, n: number): void {
    const v = this.view;
    const cfg = st.config.performance!;
    const prediction: Target = v.targetTag === TAG_DOUBLE ? v.targetNum : v.targetTag === TAG_STRING ? v.targetStr : null;
    const starts: number[] = [];
    for (let w = 0; w < n; w++) {
      const start = this.starts[w];
      const end = windowEnd(st.config.window, start);
      if (end + cfg.horizonMs <= st.streamTime) continue;
      const key = `${v.modelVersion}${WINDOW_KEY_SEP}${start}`;
      let pw = st.perfWindows.get(key);
      if (!pw) st.perfWindows.set(key, (pw = new PerformanceWindow(v.modelVersion, start, end)));
      pw.predictions++;
      starts.push(start);
    }
    if (starts.length === 0) return;
    const entry = { version: v.modelVersion, starts, prediction };
    const label = st.earlyLabels.get(v.eventId);
    if (label !== undefined) {
      st.earlyLabels.delete(v.eventId);
      this.joinLabel(st, entry, label);
      return;
    }
    st.pending.set(v.eventId, entry);
    if (st.pending.size > cfg.maxPending) {
      st.pending.delete(st.pending.keys().next().value!);
      this.obs.labelDropped(st.config.id, 'prediction_evicted');
    }
  }

  private joinLabel(st: ModelState, p: { version: string; starts: number[]; prediction: Target }, label: Target): void {
    let counted = false;
    for (const start of p.starts) {
      const pw = st.perfWindows.get(`${p.version}${WINDOW_KEY_SEP}${start}`);
      if (!pw) continue; // its horizon passed
      pw.add(st.config.performance!, p.prediction, label);
      counted = true;
    }
    this.obs.labelDropped(st.config.id, counted ? 'matched' : 'expired');
  }

  /** Publishes the performance of every window whose end plus label horizon the time `t` reached. */
  private closePerformance(st: ModelState, t: number): void {
    const cfg = st.config.performance!;
    // called whenever stream time advances: allocates only when a window is due
    let due: PerformanceWindow[] | null = null;
    for (const w of st.perfWindows.values()) if (w.end + cfg.horizonMs <= t) (due ??= []).push(w);
    if (due === null) return;
    due.sort((a, b) => a.start - b.start);
    for (const w of due) {
      st.perfWindows.delete(`${w.version}${WINDOW_KEY_SEP}${w.start}`);
      const result = w.result(st.config.id, cfg, st.config.minRows);
      this.obs.performancePublished(st.config.id, w.version, w.start, result.labeled, result.metrics);
      this.out.performance.push({ key: st.config.id, value: result });
      for (const a of this.alerts.updatePerformance(result, w.end + cfg.horizonMs, st.config.minRows)) this.out.alerts.push({ key: st.config.id, value: a });
    }
    // Predictions whose every window is gone will never be counted: drop them.
    for (const [id, p] of st.pending) {
      if (p.starts.every((s) => !st.perfWindows.has(`${p.version}${WINDOW_KEY_SEP}${s}`))) {
        st.pending.delete(id);
        this.obs.labelDropped(st.config.id, 'prediction_expired');
      }
    }
  }

  // ---------------------------------------------------------------- offsets and partitions

  /**
   * The offset to commit for a partition (the oldest event still in an open window, or the next
   * offset when none is open) and the checkpoint that goes with it. Null if nothing was processed.
   */
  committable(partition: number): { offset: number; checkpoint: Checkpoint } | null {
    const part = this.partitions.get(partition);
    if (!part || part.lastOffset < 0) return null;
    let offset = part.lastOffset + 1;
    const streamTime: Record<string, number> = {};
    const volume: Record<string, Record<string, number[]>> = {};
    for (const st of this.state.values()) {
      if (!st.partitions.has(partition)) continue;
      if (Number.isFinite(st.streamTime)) streamTime[st.config.id] = st.streamTime;
      if (st.volumeHistory.size > 0) volume[st.config.id] = Object.fromEntries(st.volumeHistory);
      for (const w of st.windows.values()) {
        const m = w.minOffset.get(partition);
        if (m !== undefined && m < offset) offset = m;
      }
    }
    return { offset, checkpoint: { upTo: Math.max(part.lastOffset + 1, part.replayUpTo), streamTime, volume } };
  }

  /** A partition was assigned; restore its checkpoint (from the committed offset's metadata). */
  /**
   * A partition was assigned; restore its checkpoint (from the committed offset's metadata). The
   * alert state of its models is rebuilt from `alertHistory` (the alerts topic, oldest first): only
   * alerts of windows that had closed by the checkpoint count, since later windows are replayed.
   */
  assignPartition(partition: number, checkpoint: Checkpoint | null, alertHistory: readonly DriftAlert[] = []): void {
    this.partitions.set(partition, { lastOffset: -1, replayUpTo: checkpoint?.upTo ?? -1 });
    if (!checkpoint) return;
    for (const [id, t] of Object.entries(checkpoint.streamTime)) {
      const model = this.models.get(id);
      if (!model) continue;
      const st = this.modelState(model);
      st.partitions.add(partition);
      if (t > st.streamTime) st.streamTime = t;
      for (const [version, rows] of Object.entries(checkpoint.volume?.[id] ?? {})) st.volumeHistory.set(version, [...rows]);
      const closed = alertHistory
        .filter((a) => a.model_id === id && a.window_end + model.window.graceMs <= st.streamTime)
        .sort((a, b) => a.window_start - b.window_start);
      for (const a of closed) {
        this.alerts.restore(a);
        this.obs.alertRestored(a);
      }
    }
  }

  /** A partition was revoked: drop the state of its models (the new owner rebuilds it from Kafka). */
  revokePartition(partition: number): void {
    this.partitions.delete(partition);
    for (const [id, st] of this.state) {
      if (!st.partitions.has(partition)) continue;
      st.partitions.delete(partition);
      if (st.partitions.size === 0) {
        this.state.delete(id);
        this.alerts.forgetModel(id);
        this.obs.openWindows(id, 0);
      }
    }
  }

  /** The models with state from this partition (its events or its checkpoint). */
  modelsOn(partition: number): string[] {
    const out: string[] = [];
    for (const [id, st] of this.state) if (st.partitions.has(partition)) out.push(id);
    return out;
  }

  /** Stream time of a model (ms), or -Infinity before its first event. */
  streamTime(modelId: string): number {
    return this.state.get(modelId)?.streamTime ?? -Infinity;
  }

  openWindowCount(modelId?: string): number {
    if (modelId) return this.state.get(modelId)?.windows.size ?? 0;
    let n = 0;
    for (const st of this.state.values()) n += st.windows.size;
    return n;
  }

  /** The Arrow table of an open window (for inspection and tests). */
  openWindowTable(modelId: string, version: string, start: number) {
    return this.state.get(modelId)?.windows.get(`${version}${WINDOW_KEY_SEP}${start}`)?.columns.toArrow();
  }

  // ---------------------------------------------------------------- internals

  private partitionState(partition: number): PartitionState {
    let p = this.partitions.get(partition);
    if (!p) {
      p = { lastOffset: -1, replayUpTo: -1 };
      this.partitions.set(partition, p);
    }
    return p;
  }

  private modelState(model: ModelConfig): ModelState {
    let st = this.state.get(model.id);
    if (!st) {
      st = new ModelState(model);
      this.state.set(model.id, st);
    }
    return st;
  }

  /**
   * Decodes into the shared view, checks size, model and every configured feature's type, and fills
   * featureIndex; returns the model's lookup. Throws RejectedMessageError; nothing is mutated before
   * all checks pass.
   */
  private decodeAndCheck(kind: EventKind, rec: InRecord): ModelLookup {
    if (!rec.value) throw new RejectedMessageError('undecodable', 'message has no value (tombstone)');
    if (rec.value.length > this.config.processor.maxMessageBytes) {
      throw new RejectedMessageError('oversized', `message body of ${rec.value.length} bytes exceeds processor.maxMessageBytes (${this.config.processor.maxMessageBytes})`);
    }
    const v = this.view;
    this.decoders[kind].decode(rec.value, v);
    if (v.modelId === '') throw new RejectedMessageError('missing_field', 'model_id is empty');
    if (v.modelVersion === '') throw new RejectedMessageError('missing_field', 'model_version is empty');
    if (!Number.isSafeInteger(v.eventTime)) throw new RejectedMessageError('invalid_value', `event_time ${v.eventTime} is not a valid timestamp`);
    const lookup = this.lookups.get(v.modelId);
    if (!lookup) throw new RejectedMessageError('unknown_model', `model_id "${truncate(v.modelId)}" is not configured; configured models: ${[...this.models.keys()].join(', ')}`);
    const model = lookup.model;
    const features = model.features;
    // Feature positions in the event: looked up by name only when the event's names changed.
    if (lookup.layout !== v.layout) locate(lookup, v);
    const positions = lookup.positions;
    if (lookup.masks && v.masksValid) {
      // Every type at once: numeric features hold a number or null (no ±Infinity, no NaN: those take
      // the loop below), categorical features no double.
      const wrong = (lookup.numericAt & ~(v.numberMask | v.nullMask)) | (lookup.numericAt & v.nonFiniteMask) | (lookup.categoricalAt & v.doubleMask);
      if (wrong === 0) {
        this.featureIndex = positions;
        return lookup;
      }
    }
    const numeric = lookup.numeric;
    const tags = v.tags;
    const nums = v.nums;
    let index = positions;
    for (let i = 0; i < features.length; i++) {
      const j = positions[i];
      if (j === ABSENT) continue;
      const tag = j === TARGET ? v.targetTag : tags[j];
      if (tag === TAG_NULL) continue;
      if (numeric[i] === 1) {
        if (tag === TAG_DOUBLE || tag === TAG_LONG) {
          const x = j === TARGET ? v.targetNum : nums[j];
          if (x === Infinity || x === -Infinity) throw new RejectedMessageError('invalid_value', `${describeValue(features[i], kind)} is ${x}; infinite values are rejected (NaN counts as missing)`);
          continue;
        }
      } else if (tag !== TAG_DOUBLE || (lookup.prediction[i] === 1 && Number.isInteger(j === TARGET ? v.targetNum : nums[j]))) {
        // A class label sent as a whole double (1.0) reads as the category "1" for predictions and labels.
        continue;
      }
      // the wrong type
      const f = features[i];
      if (model.onTypeMismatch === 'reject') {
        const what = describeValue(f, kind);
        throw new RejectedMessageError('wrong_type', f.kind === 'numeric'
          ? `${what} is numeric but the event has a ${TAG_NAMES[tag]}`
          : `${what} is categorical but the event has a double; send categories as string, long or boolean`);
      }
      if (index === positions) {
        index = this.mismatched;
        index.set(positions);
      }
      index[i] = MISMATCH;
    }
    this.featureIndex = index;
    return lookup;
  }

  private openWindow(st: ModelState, version: string, start: number, end: number): OpenWindow {
    const last = st.lastWindow;
    if (last !== null && last.start === start && last.version === version) return last;
    const key = `${version}${WINDOW_KEY_SEP}${start}`;
    let w = st.windows.get(key);
    if (!w) {
      const features = st.config.features;
      const k = this.config.processor.sketchK;
      // Columns start at the size of the model's last window (windows are usually alike), so
      // they rarely grow and copy.
      const capacity = Math.max(1024, st.lastWindowRows);
      const columns = new WindowColumns(features.map((f) => f.name), (i) =>
        features[i].kind === 'numeric'
          ? (this.sketch ? new SketchColumn(k) : new NumericColumn(capacity))
          : (this.sketch ? new CategoryCountsColumn(st.dictionaries[i]) : new CategoricalColumn(st.dictionaries[i], capacity)));
      w = { version, start, end, columns, minOffset: new Map(), mismatches: new Float64Array(features.length) };
      st.windows.set(key, w);
      this.obs.openWindows(st.config.id, st.windows.size);
    }
    st.lastWindow = w;
    return w;
  }

  /** Appends the current event to a window, noting the oldest offset the window holds per partition. */
  private appendTo(lookup: ModelLookup, win: OpenWindow, partition: number, offset: number): void {
    const m = win.minOffset.get(partition);
    if (m === undefined || offset < m) win.minOffset.set(partition, offset);
    this.append(lookup, win);
  }

  private append(lookup: ModelLookup, win: OpenWindow): void {
    const v = this.view;
    const cols = win.columns.columns;
    const numeric = lookup.numeric;
    const index = this.featureIndex;
    const tags = v.tags;
    const nums = v.nums;
    const n = numeric.length;
    if (this.sketch) {
      for (let i = 0; i < n; i++) {
        const j = index[i];
        if (j === MISMATCH) win.mismatches[i]++;
        const missing = j === ABSENT || j === MISMATCH || (j === TARGET ? v.targetTag : tags[j]) === TAG_NULL;
        if (numeric[i] === 1) {
          const col = cols[i] as SketchColumn;
          const x = missing ? NaN : j === TARGET ? v.targetNum : nums[j];
          if (Number.isNaN(x)) col.appendNull();
          else col.append(x);
        } else {
          const col = cols[i] as CategoryCountsColumn;
          if (missing) col.appendNull();
          else col.append(j === TARGET ? targetCategory(v) : categoryOf(v, j));
        }
      }
    } else {
      // each branch below sees one column class
      for (let i = 0; i < n; i++) {
        const j = index[i];
        if (j >= 0) {
          const tag = tags[j];
          if (numeric[i] === 1) {
            const col = cols[i] as NumericColumn;
            const x = nums[j];
            if (tag === TAG_NULL || x !== x) col.appendNull();
            else col.append(x);
          } else {
            const col = cols[i] as CategoricalColumn;
            if (tag === TAG_NULL) col.appendNull();
            else if (tag === TAG_STRING && v.strSlot[j] >= 0) {
              const s = v.strSlot[j];
              col.appendCode(col.dictionary.codeOfSlot(v.valueSlots[j].slots[s], s));
            } else col.append(categoryOf(v, j));
          }
          continue;
        }
        if (j === MISMATCH) win.mismatches[i]++;
        const missing = j === ABSENT || j === MISMATCH || v.targetTag === TAG_NULL;
        if (numeric[i] === 1) {
          const col = cols[i] as NumericColumn;
          const x = missing ? NaN : v.targetNum;
          if (Number.isNaN(x)) col.appendNull();
          else col.append(x);
        } else {
          const col = cols[i] as CategoricalColumn;
          if (missing) col.appendNull();
          else col.append(targetCategory(v));
        }
      }
    }
    win.columns.rows++;
  }

  private closeDue(st: ModelState): void {
    if (st.config.performance) this.closePerformance(st, st.streamTime);
    const grace = st.config.window.graceMs;
    const due: OpenWindow[] = [];
    for (const w of st.windows.values()) if (w.end + grace <= st.streamTime) due.push(w);
    if (due.length === 0) return;
    due.sort((a, b) => a.start - b.start || (a.version < b.version ? -1 : 1));
    for (const w of due) {
      st.windows.delete(`${w.version}${WINDOW_KEY_SEP}${w.start}`);
      if (st.lastWindow === w) st.lastWindow = null;
      st.lastWindowRows = Math.min(w.columns.rows + (w.columns.rows >> 3), 1 << 24);
      this.evaluate(st, w);
    }
    this.obs.openWindows(st.config.id, st.windows.size);
  }

  private evaluate(st: ModelState, w: OpenWindow): void {
    const t0 = process.hrtime.bigint();
    const model = st.config;
    const source = model.reference.source;
    let snapshot = null;
    if (source === 'training') {
      const profile = this.references.get(`${model.id}${WINDOW_KEY_SEP}${w.version}`);
      snapshot = profile && profile.rows > 0 ? profile.snapshot() : null;
    } else {
      const ref = st.servingReference.get(w.version);
      const complete = ref && (source === 'previous' ? ref.windows > 0 : ref.windows >= model.reference.windows);
      snapshot = complete ? ref.profile.snapshot() : null;
    }
    const column = (name: string) => currentColumn(w, model, name, st);
    const result = evaluateWindow(
      {
        modelId: model.id,
        modelVersion: w.version,
        start: w.start,
        end: w.end,
        rows: w.columns.rows,
        features: model.features.map((f) => ({ name: f.name, kind: f.kind, metrics: model.metricsByFeature.get(f.name)!, role: f.role })),
        column,
        minRows: model.minRows,
        kind: source === 'training' ? 'SKEW' : 'DRIFT',
        correction: model.correction,
        datasetDriftShare: model.datasetDrift.share,
      },
      snapshot,
      st.rules,
    );
    result.volume = this.volumeVerdict(st, w.version, w.columns.rows);
    if (source !== 'training') this.updateServingReference(st, w, column);
    const alerts = this.alerts.update(result, st.rules, snapshot?.rows ?? 0, w.end + model.window.graceMs, model.minRows);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    this.obs.windowClosed(result, seconds);
    this.out.results.push({ key: model.id, value: result });
    for (const a of alerts) this.out.alerts.push({ key: model.id, value: a });
  }

  /**
   * Rows of this window against the median rows of the version's recent windows (at least 3 of
   * them): the fold change max(rows/typical, typical/rows) alerts at the configured threshold, so a
   * drop to a fifth and a five-fold spike both count with the default of 5.
   */
  private volumeVerdict(st: ModelState, version: string, rows: number): VolumeResult | null {
    const { windows, foldChange } = st.config.volume;
    let history = st.volumeHistory.get(version);
    if (!history) st.volumeHistory.set(version, (history = []));
    let verdict: VolumeResult | null = null;
    if (history.length >= 3) {
      const typical = quantileSorted(Float64Array.from(history).sort(), 0.5);
      const fold = rows >= typical ? rows / typical : typical / rows;
      verdict = { rows, typical_rows: typical, fold_change: fold, threshold: foldChange, drift: fold >= foldChange };
    }
    history.push(rows);
    if (history.length > windows) history.shift();
    return verdict;
  }

  /** Feeds a closed window into the serving reference: the first N windows (baseline) or the last one (previous). */
  private updateServingReference(st: ModelState, w: OpenWindow, column: (name: string) => CurrentColumn): void {
    const model = st.config;
    let ref = st.servingReference.get(w.version);
    if (model.reference.source === 'baseline' && ref && ref.windows >= model.reference.windows) return;
    if (!ref || model.reference.source === 'previous') {
      ref = { profile: new ReferenceProfile(model.id, w.version, model.features, this.config.processor.referenceMaxRows), windows: 0 };
      st.servingReference.set(w.version, ref);
    }
    ref.profile.addWindow(w.columns.rows, (name) => {
      const c = column(name);
      if (c.kind === 'numeric') return c;
      if (c.kind === 'sketch') {
        // The sketch's weighted items: the reservoir samples each as that many values (never
        // expanded into an array: that would be a whole window's values, in bounded-memory mode).
        const { values, weights } = c.sketch.sortedView();
        return { values, weights, missing: c.missing };
      }
      const counts = new Map<string, number>();
      for (let k = 0; k < c.counts.length; k++) if (c.counts[k] > 0) counts.set(c.dictionary[k], c.counts[k]);
      return { counts, missing: c.missing };
    });
    ref.windows++;
  }

  private reject(rec: InRecord, err: unknown): void {
    const reason: RejectReason = err instanceof RejectedMessageError ? err.reason : 'undecodable';
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof RejectedMessageError)) this.obs.log.processor.error({ err }, 'unexpected error while decoding a message; rejecting it');
    this.obs.eventRejected(rec.topic, reason, message, { partition: rec.partition, offset: rec.offset });
    const headers: Record<string, string | Buffer> = {};
    for (const [k, val] of Object.entries(rec.headers ?? {})) if (val !== undefined) headers[k] = Array.isArray(val) ? val[0] : val;
    headers['driftline.reason'] = reason;
    headers['driftline.error'] = message;
    headers['driftline.source.topic'] = rec.topic;
    headers['driftline.source.partition'] = String(rec.partition);
    headers['driftline.source.offset'] = rec.offset;
    this.out.deadLetters.push({ key: rec.key, value: rec.value, headers });
  }
}

/** What decodeAndCheck resolves once per model and event layout (EventView.layout). */
interface ModelLookup {
  readonly model: ModelConfig;
  /** The view layout the positions were found in (-1: none yet). */
  layout: number;
  /** Per configured feature: its index in the event's features, ABSENT or TARGET. */
  readonly positions: Int32Array;
  /** Per configured feature: 1 if numeric. */
  readonly numeric: Uint8Array;
  /** Per configured feature: 1 if it is the prediction (label). */
  readonly prediction: Uint8Array;
  /** Bits of the event positions of numeric / categorical features (when `masks`). */
  numericAt: number;
  categoricalAt: number;
  /** Whether the types can be checked with the view's masks: no prediction, every position below 32. */
  masks: boolean;
}

/** Finds the model's features in the view's current layout (by name). */
function locate(lookup: ModelLookup, v: EventView): void {
  const features = lookup.model.features;
  let numericAt = 0;
  let categoricalAt = 0;
  let masks = true;
  for (let i = 0; i < features.length; i++) {
    const j = features[i].role === 'prediction' ? TARGET : v.indexOf(features[i].name, i);
    lookup.positions[i] = j;
    if (j === ABSENT) continue;
    if (j < 0 || j >= 32) masks = false;
    else if (lookup.numeric[i] === 1) numericAt |= 1 << j;
    else categoricalAt |= 1 << j;
  }
  lookup.numericAt = numericAt;
  lookup.categoricalAt = categoricalAt;
  lookup.masks = masks;
  lookup.layout = v.layout;
}

/** featureIndex values other than an index into the event's feature map. */
const ABSENT = -1;
const TARGET = -2;
const MISMATCH = -3;

/** How an error message names a configured value: a feature, the prediction or the label. */
function describeValue(f: { name: string; role: 'feature' | 'prediction' }, kind: EventKind): string {
  return f.role === 'prediction' ? (kind === 'inference' ? 'the prediction' : 'the label') : `feature "${f.name}"`;
}

/** The prediction (serving) or label (training) as a category. */
function targetCategory(v: EventView): string {
  return v.targetTag === TAG_STRING ? v.targetStr! : String(v.targetNum);
}

function categoryOf(v: EventView, j: number): string {
  switch (v.tags[j]) {
    case TAG_STRING: return v.strs[j]!;
    case TAG_BOOLEAN: return v.nums[j] ? 'true' : 'false';
    default: return String(v.nums[j]);
  }
}

function truncate(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function currentColumn(w: OpenWindow, model: ModelConfig, name: string, st: ModelState): CurrentColumn {
  const i = model.features.findIndex((f) => f.name === name);
  const col = w.columns.columns[i];
  if (col instanceof NumericColumn) return { kind: 'numeric', values: col.validValues(), missing: col.nullCount, mismatches: w.mismatches[i] };
  if (col instanceof SketchColumn) return { kind: 'sketch', sketch: col.sketch, missing: col.nullCount, mismatches: w.mismatches[i] };
  return { kind: 'categorical', counts: col.counts(), dictionary: st.dictionaries[i].values, missing: col.nullCount, mismatches: w.mismatches[i] };
}
