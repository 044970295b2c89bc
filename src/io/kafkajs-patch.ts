/**
 * Two fixes for kafkajs 2.2.x, each applied once per process (each worker thread loads its own
 * copy of kafkajs, so each applies them), before any client fetches. If kafkajs changes the shape
 * a fix relies on, that fix is not applied and the reason goes, once, to the first caller that
 * asks to hear it (createKafka logs it as a warning); kafkajs then works as it always did.
 *
 * The request-queue timer. Each broker connection of kafkajs has a request queue. After every
 * check of its pending requests, the queue schedules the next check with a timer, even when
 * nothing is pending and the broker does not throttle; the delay is then negative, which Node
 * treats as 1 ms. So every connection wakes the event loop about a thousand times a second for
 * ever (kafkajs issues 1556 and 1704; a fix, pull request 1667, is not merged). driftline holds
 * several clients per worker (inference, training and alerts consumers, a producer), so an idle
 * `driftline run` with two workers spent about 0.1 s of CPU per second on these timers, and a
 * busy one paid the same between batches. The replacement schedules a check only when a request
 * is waiting, at the end of the throttle time or after kafkajs' own 10 ms interval, as kafkajs
 * does whenever something is pending; with nothing pending no timer is needed, because push()
 * sends at once when it can and schedules a check itself when it cannot.
 *
 * The record decoder. kafkajs does BigInt arithmetic and decimal parsing for every record's
 * offset and timestamp: about half of a bare consumer's CPU. kafkajs-records.ts has a decoder
 * that gives the same objects without it. kafkajs' record-batch decoder takes its record decoder
 * with require() when it is first loaded, which happens at the first fetch, so the fix puts the
 * new decoder in place of the module's exports in require's cache before that. When the batch
 * decoder was already loaded (a kafkajs client fetched before the first createKafka), the fix is
 * not applied.
 */
import { createRequire } from 'node:module';
import { makeRecordDecoder, type KafkajsRecordDecoder } from './kafkajs-records.js';

/** kafkajs' own interval for re-checking pending requests (CHECK_PENDING_REQUESTS_INTERVAL). */
const CHECK_PENDING_INTERVAL_MS = 10;

interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

export interface FixOutcome {
  applied: boolean;
  /** Why the fix is not applied. */
  reason?: string;
}

/**
 * A fix applied at most once per process: the returned function applies it on its first call and
 * tells whether it is in place, or why not; `onSkipped` hears the reason when it is not, the first
 * time a caller passes one.
 */
function once(apply: () => FixOutcome): (onSkipped?: (reason: string) => void) => FixOutcome {
  let outcome: FixOutcome | null = null;
  let reported = false;
  return (onSkipped) => {
    const o = (outcome ??= apply());
    if (!o.applied && onSkipped && !reported) {
      reported = true;
      onSkipped(o.reason!);
    }
    return o;
  };
}

/** The installed kafkajs' version, and the outcome when the fixes (written for 2.2.x) do not apply to it. */
function kafkajsVersion(require: NodeJS.Require): { version: string; unsupported: FixOutcome | null } {
  const version = (require('kafkajs/package.json') as { version: string }).version;
  return { version, unsupported: /^2\.2\./.test(version) ? null : { applied: false, reason: `kafkajs ${version} is not 2.2.x, for which the fix was written` } };
}

/** The request-queue timer fix (see the top of this file). */
export const patchKafkajsRequestQueue = once(applyRequestQueueFix);

/** The record decoder fix (see the top of this file and kafkajs-records.ts). */
export const patchKafkajsRecordDecoder = once(applyRecordDecoderFix);

function applyRequestQueueFix(): FixOutcome {
  try {
    const require = createRequire(import.meta.url);
    const { version, unsupported } = kafkajsVersion(require);
    if (unsupported) return unsupported;
    const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueLike };
    const proto = RequestQueue?.prototype;
    if (typeof proto?.scheduleCheckPendingRequests !== 'function' || typeof proto.checkPendingRequests !== 'function') {
      return { applied: false, reason: `kafkajs ${version} has no RequestQueue.scheduleCheckPendingRequests` };
    }
    proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueLike): void {
      if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
      const throttledMs = this.throttledUntil - Date.now();
      this.throttleCheckTimeoutId = setTimeout(() => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      }, throttledMs > 0 ? throttledMs : CHECK_PENDING_INTERVAL_MS);
    };
    return { applied: true };
  } catch (err) {
    return { applied: false, reason: `cannot load kafkajs' request queue: ${(err as Error).message}` };
  }
}

const RECORD_BATCH_DECODER = 'kafkajs/src/protocol/recordBatch/v0/decoder.js';
const RECORD_DECODER = 'kafkajs/src/protocol/recordBatch/record/v0/decoder.js';

function applyRecordDecoderFix(): FixOutcome {
  try {
    const require = createRequire(import.meta.url);
    const { version, unsupported } = kafkajsVersion(require);
    if (unsupported) return unsupported;
    if (require.cache[require.resolve(RECORD_BATCH_DECODER)]) {
      return { applied: false, reason: "kafkajs' record-batch decoder was loaded before the fix (a client fetched before the first createKafka)" };
    }
    const path = require.resolve(RECORD_DECODER);
    const general = require(path) as unknown;
    const cached = require.cache[path];
    if (typeof general !== 'function' || !cached) return { applied: false, reason: `kafkajs ${version} has no record decoder function at ${RECORD_DECODER}` };
    cached.exports = makeRecordDecoder(general as KafkajsRecordDecoder);
    return { applied: true };
  } catch (err) {
    return { applied: false, reason: `cannot load kafkajs' record decoder: ${(err as Error).message}` };
  }
}
