/* The class's own points (dataset "custom", config.dataset.points = [[x, y, label], ...]): adding
   and removing them on the boundary, reading them from CSV, and carrying them in the URL. The
   controller owns the points; these functions only compute the next list. */

import { boundaryFrame, pointRadius } from "./heatmap.js";

const DECIMALS = 3; // a clicked point's coordinates, rounded (the URL stays short)
const PICK_SLACK_PX = 4; // a click this far outside a point's mark still removes it
export const MAX_URL_POINTS_CHARS = 1500; // the URL carries the points only while they are this short

const round = (v) => Number(v.toFixed(DECIMALS));

/** The points of the data on show (predictions: {x, target}), as [x, y, label] (2-D data only). */
export function pointsOfData(p) {
  if (!p || !p.x.length || p.x[0].length !== 2) return [];
  return p.x.map(([x, y], i) => [round(x), round(y), p.target[i] > 0 ? 1 : -1]);
}

/**
 * The points after a click at (px, py) CSS pixels on the boundary canvas (`w` x `h`, view `b`):
 * without the point under the click, or with a new one of class `label` there.
 * Returns {points, removed} (removed: the index taken out, or -1).
 */
export function clickPoints(points, b, w, h, px, py, label, colours) {
  const f = boundaryFrame(b, w, h);
  const reach = pointRadius(colours) + PICK_SLACK_PX;
  let best = -1;
  let bestD = Infinity;
  points.forEach(([x, y], i) => {
    const d = Math.hypot(f.sx(x) - px, f.sy(y) - py);
    if (d <= reach && d < bestD) [best, bestD] = [i, d];
  });
  if (best >= 0) return { points: points.filter((_, i) => i !== best), removed: best };
  const [x, y] = f.toData(px, py);
  return { points: [...points, [round(x), round(y), label]], removed: -1 };
}

/**
 * CSV text as points: one `x,y,label` a line (label 1 or -1), blank lines and `#` comments skipped,
 * a header line allowed first. A small strict parser (the format has no quoting to handle):
 * returns {points} or {error} naming the first bad line.
 */
export function parseCsv(text) {
  const points = [];
  const lines = text.split(/\r\n|\r|\n/);
  let first = true;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (!line || line.startsWith("#")) continue;
    const fields = line.split(",").map((f) => f.trim());
    // a header: the first line, three names (no numbers), e.g. x,y,label
    const header = first && fields.length === 3 && fields.every((f) => /^[A-Za-z_"'][\w "']*$/.test(f));
    first = false;
    if (header) continue;
    const at = `line ${n + 1}`;
    if (fields.length !== 3) {
      return { error: `${at}: expected 3 values x,y,label separated by commas, got ${fields.length} ("${line.slice(0, 40)}")` };
    }
    const [x, y, label] = fields.map((f) => (f === "" ? NaN : Number(f)));
    if (!Number.isFinite(x)) return { error: `${at}: x is not a number ("${fields[0]}")` };
    if (!Number.isFinite(y)) return { error: `${at}: y is not a number ("${fields[1]}")` };
    if (label !== 1 && label !== -1) return { error: `${at}: the label is 1 or -1, got "${fields[2]}"` };
    points.push([x, y, label]);
  }
  if (!points.length) return { error: "no points: write one a line as x,y,label (label 1 or -1)" };
  return { points };
}

/** The points as one URL value ("x_y_label" joined by "*"), or null when too long for a URL. */
export function pointsToUrl(points) {
  const s = points.map((p) => p.join("_")).join("*");
  return s.length <= MAX_URL_POINTS_CHARS ? s : null;
}

/** A URL value back to points; what does not read as three numbers is kept as text for the API to judge. */
export function pointsFromUrl(s) {
  return s
    .split("*")
    .filter(Boolean)
    .map((p) => p.split("_").map((v) => (v !== "" && Number.isFinite(Number(v)) ? Number(v) : v)));
}
