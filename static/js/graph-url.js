/* The graph page's shareable view in the URL's hash: the program, its values, the theme, the
   step, the editor, h and the inspected value. */

import { THEMES } from "./themes.js";

export const DEFAULT_H = 1e-5;

/** The hash for a view. */
export function hashOf(view) {
  const p = new URLSearchParams();
  p.set("src", view.source);
  if (Object.keys(view.values).length) p.set("values", JSON.stringify(view.values));
  p.set("theme", view.theme);
  if (view.step !== null) p.set("step", String(view.step));
  if (!view.editor) p.set("editor", "hidden");
  if (view.h !== DEFAULT_H) p.set("h", String(view.h));
  if (view.selected) p.set("node", view.selected);
  if (view.direction && view.direction !== "auto") p.set("dir", view.direction);
  return "#" + p.toString();
}

/** The view a hash holds (theme: null when it names none), or null when it holds no program. */
export function viewOf(hash) {
  const raw = hash.replace(/^#/, "");
  if (!raw) return null;
  const p = new URLSearchParams(raw);
  if (!p.has("src")) return null;
  const values = {};
  try {
    const v = JSON.parse(p.get("values") || "{}");
    for (const [k, x] of Object.entries(v)) if (typeof x === "number" && Number.isFinite(x)) values[k] = x;
  } catch (_) {
    /* a broken values map is ignored */
  }
  const theme = p.get("theme");
  const step = p.get("step");
  const hv = Number(p.get("h"));
  return {
    source: p.get("src"),
    values,
    theme: THEMES.includes(theme) ? theme : null,
    step: step !== null && /^\d+$/.test(step) ? Number(step) : null,
    editor: p.get("editor") !== "hidden",
    h: p.has("h") && hv > 0 && hv <= 1 ? hv : DEFAULT_H,
    selected: p.get("node"),
    direction: ["LR", "TB"].includes(p.get("dir")) ? p.get("dir") : "auto",
  };
}
