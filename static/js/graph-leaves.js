/* The values panel (a number field and a slider per input leaf) and the gradient-check table. */

import { h } from "./dom.js";
import { formatLong } from "./format.js";

/** A slider's range around v: wide enough to explore, with steps of a readable size. */
function sliderRange(v) {
  const span = Math.max(4, Math.abs(v) * 2);
  const decimals = Math.max(0, 2 - Math.floor(Math.log10(span)));
  return { min: v - span, max: v + span, step: 10 ** -decimals, decimals };
}

function setRange(range, v) {
  const r = sliderRange(v);
  range.min = String(r.min);
  range.max = String(r.max);
  range.step = String(r.step);
  range.dataset.decimals = String(r.decimals);
  range.value = String(v);
}

/**
 * A number field and a slider for one input leaf; `prefix` makes the field's id. onEdit(label, x,
 * decimals) is called as either moves (decimals: the slider's, so the program gets a short number).
 */
export function leafControls(label, v, prefix, onEdit) {
  const num = h("input", { type: "number", step: "any", class: "num", "aria-label": `${label} value` });
  const range = h("input", { type: "range", "aria-label": `${label} slider` });
  num.value = String(v);
  setRange(range, v);
  const row = h("div", { class: "leaf" }, h("label", { class: "leaf-name mono", text: label }), num, range);
  row.querySelector("label").htmlFor = num.id = `${prefix}-${label}`;
  num.addEventListener("input", () => {
    const x = Number(num.value);
    if (num.value === "" || !Number.isFinite(x)) return;
    if (x < Number(range.min) || x > Number(range.max)) setRange(range, x);
    else range.value = String(x);
    onEdit(label, x);
  });
  num.addEventListener("change", () => setRange(range, Number(num.value) || 0));
  range.addEventListener("input", () => {
    const x = Number(Number(range.value).toFixed(Number(range.dataset.decimals)));
    num.value = String(x);
    onEdit(label, x, Number(range.dataset.decimals));
  });
  return { row, num, range };
}

/** Keep a leaf's controls in step with the graph, unless someone is using them. */
export function syncLeafControls({ row, num, range }, v) {
  if (row.contains(document.activeElement)) return;
  if (Number(num.value) !== v) {
    num.value = String(v);
    setRange(range, v);
  }
}

/**
 * The values panel for these labels (rows: label -> controls, kept across redraws of the same
 * leaves so that a slider being dragged stays put).
 */
export function buildLeaves(container, rows, graph, labels, onEdit) {
  const byLabel = new Map();
  for (const n of graph.nodes) if (n.role === "input" && !byLabel.has(n.label)) byLabel.set(n.label, n);
  const same = labels.length === rows.size && labels.every((l) => rows.has(l));
  if (!same) {
    rows.clear();
    container.replaceChildren();
    for (const label of labels) {
      const controls = leafControls(label, byLabel.get(label).data, "leaf", onEdit);
      rows.set(label, controls);
      container.append(controls.row);
    }
  } else {
    for (const label of labels) syncLeafControls(rows.get(label), byLabel.get(label).data);
  }
}

/** The gradient-check table: backward's grad against a central difference, per labeled leaf. */
export function buildChecks(body, checks) {
  body.replaceChildren();
  for (const c of checks) {
    const agree = c.agree;
    body.append(
      h(
        "tr",
        { class: agree ? "agree" : "disagree" },
        h("th", { scope: "row", class: "mono", text: c.label }),
        h("td", { class: "mono grad-cell", title: String(c.analytic), text: formatLong(c.analytic) }),
        h("td", { class: "mono", title: c.numeric === null ? "no estimate" : String(c.numeric), text: formatLong(c.numeric) }),
        h("td", { class: "verdict", "aria-label": agree ? "agree" : "disagree", text: agree ? "✓" : "✗" })
      )
    );
  }
  if (!checks.length) body.append(h("tr", {}, h("td", { colspan: "4", class: "muted", text: "No labeled leaves." })));
}

/** While stepping, a leaf's row (backprop, numeric and their verdict) stays hidden until its step. */
export function showChecks(body, checks, shown) {
  const rows = body.querySelectorAll("tr");
  checks.forEach((c, i) => {
    const cells = rows[i] && rows[i].querySelectorAll("td");
    if (!cells || cells.length < 3) return;
    const known = shown.has(c.id);
    cells[0].textContent = known ? formatLong(c.analytic) : "?";
    cells[1].textContent = known ? formatLong(c.numeric) : "?";
    cells[2].textContent = known ? (c.agree ? "✓" : "✗") : "";
    cells[2].setAttribute("aria-label", known ? (c.agree ? "agree" : "disagree") : "not yet known");
    rows[i].classList.toggle("hidden-check", !known);
  });
}
