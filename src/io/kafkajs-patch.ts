/**
 * A fix for a kafkajs 2.2.x defect that costs CPU all the time, idle or busy.
 *
 * Each broker connection of kafkajs has a request queue. After every check of its pending
 * requests, the queue schedules the next check with a timer, even when nothing is pending and the
 * broker does not throttle; the delay is then negative, which Node treats as 1 ms. So every
 * connection wakes the event loop about a thousand times a second for ever (kafkajs issues 1556
 * and 1704; a fix, pull request 1667, is not merged). driftline holds several clients per worker
 * (inference, training and alerts consumers, a producer), so an idle `driftline run` with two
 * workers spent about 0.1 s of CPU per second on these timers, and a busy one paid the same
 * between batches.
 *
 * The replacement schedules a check only when a request is waiting, at the end of the throttle
 * time or after kafkajs' own 10 ms interval, as kafkajs does whenever something is pending; with
 * nothing pending no timer is needed, because push() sends at once when it can and schedules a
 * check itself when it cannot. Applied once per process (each worker thread loads its own copy of
 * kafkajs, so each applies it), before any client connects. If kafkajs changes the shape this
 * relies on, the patch is not applied and the reason goes, once, to the first caller that asks
 * to hear it (createKafka logs it as a warning).
 */
import { createRequire } from 'node:module';

/** kafkajs' own interval for re-checking pending requests (CHECK_PENDING_REQUESTS_INTERVAL). */
const CHECK_PENDING_INTERVAL_MS = 10;

interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

let outcome: { applied: boolean; reason?: string } | null = null;
/** Whether a caller was told that the fix is not applied (once per process is enough). */
let reported = false;

/**
 * Applies the fix (once); tells whether it is in place, or why not. `onSkipped` hears the reason
 * when it is not, the first time a caller passes one.
 */
export function patchKafkajsRequestQueue(onSkipped?: (reason: string) => void): { applied: boolean; reason?: string } {
  const o = (outcome ??= applyPatch());
  if (!o.applied && onSkipped && !reported) {
    reported = true;
    onSkipped(o.reason!);
  }
  return o;
}

function applyPatch(): { applied: boolean; reason?: string } {
  try {
    const require = createRequire(import.meta.url);
    const version = (require('kafkajs/package.json') as { version: string }).version;
    if (!/^2\.2\./.test(version)) return { applied: false, reason: `kafkajs ${version} is not 2.2.x, for which the fix was written` };
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
