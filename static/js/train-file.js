/* A run as a file: what Export saves, and what Import accepts. */

import { download } from "./dom.js";

/** Save the run with (the end of) its history: at most `maxHistory` entries, which the API accepts again. */
export function exportRun(run, history, maxHistory) {
  const doc = { ...run, history: history.slice(-maxHistory) };
  const blob = new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" });
  download(blob, `chainrule-run-${run.config.dataset.name}-step${run.step}.json`);
}

const goodMetric = (m) =>
  m && typeof m === "object" && [m.step, m.loss, m.accuracy].every((x) => typeof x === "number" && Number.isFinite(x));

/**
 * A file's run: {doc, history} (the state without its history, and the last `keep` good metrics),
 * or {error} saying why the file is not a run. The API judges the state itself.
 */
export async function readRun(file, keep) {
  let doc;
  try {
    doc = JSON.parse(await file.text());
  } catch (e) {
    return { error: `Import: ${file.name} is not JSON (${e.message})` };
  }
  if (doc && typeof doc === "object" && doc.state && typeof doc.state === "object" && !doc.config) doc = doc.state;
  if (!doc || typeof doc !== "object" || Array.isArray(doc) || !doc.config || typeof doc.config !== "object") {
    return { error: `Import: ${file.name} is not a chainrule run (no "config")` };
  }
  return splitRun(doc, keep);
}

/** A run document (a file's, a slide's) as {doc, history}: the state without its history, and the last `keep` good metrics. */
export function splitRun(doc, keep) {
  const history = Array.isArray(doc.history) ? doc.history.filter(goodMetric).slice(-keep) : [];
  return { doc: { ...doc, history: [] }, history };
}
