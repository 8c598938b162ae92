/* Which way the graph runs: left to right (the default) or top to bottom, chosen by hand or, on
   "auto", by which of the two fits the viewport with clearly larger text. */

export const DIRECTIONS = ["auto", "LR", "TB"];
// the other direction is drawn only when fitting it makes the text this many times larger
export const CLEARLY_LARGER = 1.25;

/** The scale at which an SVG (its width and height attributes, pt) fits a box. */
export function fittedScale(svgText, box) {
  const size = (name) => Number((svgText.match(new RegExp(`<svg[^>]*\\s${name}="([\\d.]+)`)) || [])[1]);
  const w = size("width");
  const h = size("height");
  if (!(w > 0 && h > 0 && box.width > 0 && box.height > 0)) return 0;
  return Math.min(box.width / w, box.height / h);
}

export const otherDirection = (d) => (d === "TB" ? "LR" : "TB");

/**
 * The answer to draw on "auto": `body` (drawn in `direction`) or, when the other direction fits
 * `box` with clearly larger text, the answer `ask(other)` gives. Resolves to {body, direction}.
 */
export async function choose(body, direction, box, ask) {
  const other = otherDirection(direction);
  let answer = null;
  try {
    answer = await ask(other);
  } catch (err) {
    if (err.name === "AbortError") throw err; // a newer request took over
  }
  if (!answer || !answer.svg) return { body, direction };
  const better = fittedScale(answer.svg, box) > CLEARLY_LARGER * fittedScale(body.svg, box);
  return better ? { body: answer, direction: other } : { body, direction };
}
