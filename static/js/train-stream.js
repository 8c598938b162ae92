/* Playing: the training steps streamed by POST /api/train/stream, one stream after another.
   A stream that breaks off is resumed from the last state received; a busy server is asked again. */

import { ApiError, apiError, post } from "./api.js";
import { sleep } from "./dom.js";
import { readEvents } from "./stream.js";

// A speed of n steps per update asks for an event every n steps, with a pause of STREAM_GAP_MS
// between events; the server's own time comes on top (measured on 2 busy cores: 25-35 ms an
// event for the demo's 16-16-1 net and its boundary, ~60 ms for 5 steps of spiral-adam): 10-20
// updates a second, more for small nets (a frame shows the latest).
// "auto" is one step an event, AUTO_GAP_MS apart: about 12-15 steps a second for the demo.
const STREAM_GAP_MS = 20;
const AUTO_GAP_MS = 45;
const STREAM_CHUNK = 1000; // steps per stream when "Stop at" is not set; the next stream goes on
const MAX_STREAM_STEPS = 10000; // the server's train_max_stream_steps
const RESUME_TRIES = 3; // a dropped stream is resumed from the last state this many times in a row
const RESUME_WAIT_MS = 300; // before the first resumption; twice that before the second...
const BUSY_WAIT_MS = 1000; // a stream that ended "busy" is reopened after this
export const BUSY_RETRIES = 3; // a busy server (503) is asked again after its Retry-After, this many times

/** A stream request's steps and pace: up to step `until` (null: a chunk) at `speed` ("auto" or n). */
export function streamPace(step, until, speed) {
  const steps = Math.min(until ? until - step : STREAM_CHUNK, MAX_STREAM_STEPS);
  const pace = speed === "auto" ? { every: 1, interval_ms: AUTO_GAP_MS } : { every: speed, interval_ms: STREAM_GAP_MS };
  return { steps, ...pace };
}

/**
 * Stream until `live()` turns false (nothing read after that counts) or the run must stop.
 * `body()`: the next stream's request (from the latest state); `onStep(answer)` per step event;
 * `atStopAt()`: whether the run has reached "Stop at". Resolves to null when `live()` ended it,
 * else to why it ended: {ended: "stop at"}, {ended: "refused", error} (an ApiError),
 * {ended: "unreachable", trouble} or {ended: "diverged", stopped}.
 */
export async function playStream({ signal, live, body, onStep, atStopAt }) {
  let drops = 0; // streams in a row that broke off without bringing a step
  while (live()) {
    if (atStopAt()) return { ended: "stop at" };
    let done = null; // the "done" event's data; null while the stream has not said it is done
    let trouble = "the stream broke off";
    try {
      const res = await post("/api/train/stream", body(), { signal, busyRetries: BUSY_RETRIES });
      if (!res.ok) throw await apiError(res);
      await readEvents(res.body, (e) => {
        if (!live()) return;
        const data = JSON.parse(e.data);
        if (e.event === "step") {
          drops = 0;
          onStep(data);
        } else if (e.event === "done") {
          done = data;
        }
      });
    } catch (e) {
      if (!live()) return null;
      if (e instanceof ApiError) return { ended: "refused", error: e };
      trouble = e.message;
    }
    if (!live()) return null;
    if (done === null) {
      if (++drops > RESUME_TRIES) return { ended: "unreachable", trouble };
      await sleep(RESUME_WAIT_MS * 2 ** (drops - 1), signal);
    } else if (done.reason === "diverged") {
      return { ended: "diverged", stopped: done.stopped };
    } else if (done.reason === "busy") {
      await sleep(BUSY_WAIT_MS, signal);
    }
    // "finished" (a chunk: the next one goes on) and "time limit": on from the last state
  }
  return null;
}
