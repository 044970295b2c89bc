/**
 * The kafkajs request-queue fix (src/io/kafkajs-patch.ts), on kafkajs' own RequestQueue class with
 * fake timers: no timer while nothing is pending (kafkajs 2.2.4 re-arms a 1 ms timer for ever),
 * and pending requests are still sent, after kafkajs' 10 ms interval or at the end of a throttle.
 */
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { patchKafkajsRequestQueue } from '../../../src/io/kafkajs-patch.js';

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js');
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function queue(maxInFlightRequests: number | null = null) {
  return new RequestQueue({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 't', broker: 'b:1', logger: silent });
}

/** A request as kafkajs' Connection pushes it; `sent` counts sendRequest calls. */
function request(correlationId: number, sent: { n: number }) {
  return { entry: { correlationId, apiKey: 1, apiName: 'Fetch', apiVersion: 11 }, expectResponse: true, requestTimeout: 30_000, sendRequest: () => { sent.n++; } };
}

describe('kafkajs request-queue timer fix', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('applies to the installed kafkajs', () => {
    expect(patchKafkajsRequestQueue()).toEqual({ applied: true });
    // applying twice is harmless
    expect(patchKafkajsRequestQueue()).toEqual({ applied: true });
  });

  it('arms no timer when nothing is pending, so an idle connection stays idle', () => {
    patchKafkajsRequestQueue();
    const q = queue();
    q.checkPendingRequests();
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends a request at once when it may, with no timer left behind', () => {
    patchKafkajsRequestQueue();
    const q = queue();
    const sent = { n: 0 };
    q.push(request(1, sent));
    expect(sent.n).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends requests held by a throttle when the throttle ends', () => {
    patchKafkajsRequestQueue();
    const q = queue();
    q.throttledUntil = Date.now() + 250;
    const sent = { n: 0 };
    q.push(request(1, sent));
    q.push(request(2, sent));
    expect(sent.n).toBe(0);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(249);
    expect(sent.n).toBe(0);
    vi.advanceTimersByTime(1);
    expect(sent.n).toBe(2);
    expect(q.pending).toHaveLength(0);
    // nothing pending any more: no timer re-armed
    expect(vi.getTimerCount()).toBe(0);
  });

  it('re-checks every 10 ms while requests wait for the in-flight limit', () => {
    patchKafkajsRequestQueue();
    const q = queue(1);
    const sent = { n: 0 };
    q.push(request(1, sent));
    q.push(request(2, sent));
    expect(sent.n).toBe(1);
    expect(q.pending).toHaveLength(1);
    // still one in flight: the check finds it cannot send, and re-arms
    vi.advanceTimersByTime(10);
    expect(sent.n).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    // the first completes: the next check sends the second
    q.inflight.delete(1);
    vi.advanceTimersByTime(10);
    expect(sent.n).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});
