// What `driftline produce` sends: file rows -> plain events -> Avro bodies that the processor's
// decoder reads back. (The Kafka side is exercised by the integration tests.)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowsToEvents } from '../../../src/cli/produce.js';
import { ProgressBar, formatDuration } from '../../../src/cli/progress.js';
import { EventView, TAG_DOUBLE, TAG_NULL, TAG_STRING, decodeNative, encodeEvent } from '../../../src/codec/event.js';
import { loadTypes } from '../../../src/codec/schemas.js';
import { parseConfig } from '../../../src/config.js';
import { readTable } from '../../../src/io/files/index.js';

const config = parseConfig({
  models: [{ id: 'housing', window: { size: '1d' }, features: [{ name: 'income', type: 'numeric' }, { name: 'city', type: 'categorical' }] }],
});
const model = config.models[0];

describe('produce: rows to events', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'driftline-produce-')), 'rows.csv');
  writeFileSync(file, 'id,income,city,extra,when,pred\nr1,1.5,7,x,2021-06-01 00:00:00,0.9\nr2,,Paris,y,2021-06-01T01:00:00Z,\n');

  it('keeps only the configured features, with missing cells as null and categories as strings', async () => {
    const table = await readTable(file, { columns: ['income', 'city', 'when', 'pred', 'id'], kinds: { income: 'numeric', city: 'categorical', when: 'timestamp', id: 'categorical' } });
    const events = [...rowsToEvents(table, model, { version: '3', kind: 'inference', timestampColumn: 'when', predictionColumn: 'pred', idColumn: 'id' })];
    expect(events).toEqual([
      { model_id: 'housing', model_version: '3', event_id: 'r1', event_time: Date.UTC(2021, 5, 1), features: { income: 1.5, city: '7' }, prediction: 0.9 },
      { model_id: 'housing', model_version: '3', event_id: 'r2', event_time: Date.UTC(2021, 5, 1, 1), features: { income: null, city: 'Paris' }, prediction: null },
    ]);

    // Encoded, they decode back with the processor's decoder.
    const types = loadTypes();
    const view = new EventView();
    decodeNative('inference', encodeEvent(types.inference, 'inference', events[1]), 0, view);
    expect([view.modelId, view.eventId, view.eventTime]).toEqual(['housing', 'r2', Date.UTC(2021, 5, 1, 1)]);
    expect(view.tags[view.indexOf('income')]).toBe(TAG_NULL);
    expect(view.tags[view.indexOf('city')]).toBe(TAG_STRING);
    expect(view.strs[view.indexOf('city')]).toBe('Paris');
    decodeNative('inference', encodeEvent(types.inference, 'inference', events[0]), 0, view);
    expect(view.tags[view.indexOf('income')]).toBe(TAG_DOUBLE);
  });

  it('without id or timestamp columns: ids from model, version and row; times from the clock', async () => {
    const table = await readTable(file, { columns: ['income', 'city'], kinds: { income: 'numeric', city: 'categorical' } });
    const events = [...rowsToEvents(table, model, { version: 'v2', kind: 'training', now: () => 42, datasetVersion: 'd1' })];
    expect(events.map((e) => [e.event_id, e.event_time, e.label, e.dataset_version])).toEqual([['housing-v2-0', 42, null, 'd1'], ['housing-v2-1', 42, null, 'd1']]);
  });
});

describe('progress bar', () => {
  it('renders percent, rows, rate and ETA; is silent off a TTY', () => {
    const writes: string[] = [];
    const stream = { isTTY: false, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
    const bar = new ProgressBar({ label: 'producing', total: 1000, stream });
    bar.update(500);
    bar.finish();
    expect(writes).toEqual([]);
    const line = bar.render(500, 500, Date.now() + 1000);
    expect(line).toMatch(/^producing {2}\[#{10}·{10}\] {2} 50% {2}500 rows {2}\d+ rows\/s {2}ETA \ds$/);
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(65)).toBe('1m05s');
  });
});
