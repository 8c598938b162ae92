/* The training page in a lesson (docs/lessons.md): a training slide, and a live view of this page,
   carry the run's state (weights, step, the custom points in its config, the recent history), as
   the page's Export writes it, within the size a live view may have. */

import { MAX_VIEW_BYTES, viewBytes } from "./lesson.js";

// bytes kept free for the slide's title (at most 200 characters, which the teacher may write later)
const TITLE_ROOM = 1280;
// the server measures its own JSON, whose numbers may be a byte longer than the browser's (1e-07 for 1e-7)
const SLACK = 1 / 16;

const kib = (bytes) => Math.ceil(bytes / 1024);

/**
 * What a slide of this run carries: {fields: {run}, note}. The run keeps as much of its recent
 * history (the loss chart) as fits; a state too big even without it is left out, and `note` says so.
 */
export function runForSlide(run, history, hash) {
  if (!run) return { fields: {}, note: "" };
  const needs = (doc) => Math.ceil(viewBytes({ page: "train", title: "", hash, run: doc }) * (1 + SLACK)) + TITLE_ROOM;
  const fits = (doc) => needs(doc) <= MAX_VIEW_BYTES;
  for (let keep = history.length; ; keep = Math.floor(keep / 2)) {
    const doc = { ...run, history: keep ? history.slice(-keep) : [] };
    if (fits(doc)) {
      const cut = keep < history.length ? ` The loss chart keeps its last ${keep} of ${history.length} points (a slide is at most ${kib(MAX_VIEW_BYTES)} KiB).` : "";
      return { fields: { run: doc }, note: cut.trim() };
    }
    if (!keep) break;
  }
  const bytes = needs({ ...run, history: [] });
  return {
    fields: {},
    note:
      `This run's state makes a view of ${kib(bytes)} KiB, over the ${kib(MAX_VIEW_BYTES)} KiB a slide or a live view can be: ` +
      "only its settings go, and they start a fresh run. Export the run to keep it as a file.",
  };
}
