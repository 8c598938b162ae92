/* The graph's picture while stepping through backward: which grads are known, the value whose
   grad has just arrived and the edges that carried it, and a sentence saying how it was made. */

import { h } from "./dom.js";
import { formatNumber as fmt } from "./format.js";
import { formulaFor, gradTerms, signClass } from "./graph-model.js";

/** Make the server's SVG ready for the page: values focusable and clickable, grad texts marked. */
export function prepareSvg(svg, graph) {
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Computation graph of the program");
  svg.querySelectorAll("title").forEach((t) => t.remove()); // graphviz's titles are internal names
  for (const g of svg.querySelectorAll('g[id^="node-"]')) {
    const id = g.id.slice(5);
    if (!graph.byId.has(id)) continue;
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.dataset.node = id;
    for (const t of g.querySelectorAll("text")) {
      if (/^\s*grad\b/.test(t.textContent)) {
        t.classList.add("grad-text");
        t.dataset.grad = t.textContent;
      }
    }
  }
  for (const g of svg.querySelectorAll('g[id^="op-"]')) g.dataset.node = g.id.slice(3);
}

function mark(svg, id, cls) {
  const n = svg.getElementById(id);
  if (n) n.classList.add(cls);
}

/**
 * Show on the picture what is known: `shown` (ids whose grad is known; the others read "grad ?"),
 * `current` (the value whose grad just arrived, and the edges that carried it) and `selected`.
 */
export function showStep(svg, graph, shown, current, selected) {
  svg.querySelectorAll(".is-current, .carry, .is-pending, .is-selected").forEach((n) =>
    n.classList.remove("is-current", "carry", "is-pending", "is-selected")
  );
  for (const t of svg.querySelectorAll("text.grad-text")) {
    const id = t.closest("g[data-node]").dataset.node;
    const on = shown.has(id);
    t.textContent = on ? t.dataset.grad : "grad ?";
    t.closest("g").classList.toggle("is-pending", !on);
  }
  if (current) {
    mark(svg, `node-${current}`, "is-current");
    for (const { id: pid, index } of graph.consumers.get(current)) {
      mark(svg, `edge-${current}-${pid}-${index}`, "carry");
      mark(svg, `opedge-${pid}`, "carry");
      mark(svg, `op-${pid}`, "carry");
    }
  }
  if (selected) mark(svg, `node-${selected}`, "is-selected");
  for (const g of svg.querySelectorAll("g[data-node][role=button]")) {
    const n = graph.byId.get(g.dataset.node);
    const grad = shown.has(n.id) ? fmt(n.grad) : "not yet known";
    g.setAttribute("aria-label", `${graph.names.get(n.id)}: data ${fmt(n.data)}, grad ${grad}`);
  }
}

/** The elements to keep on screen at a step: the value and the ops it feeds. */
export function stepFocus(graph, current) {
  const ids = [current, ...graph.consumers.get(current).map((c) => c.id)];
  return ids.flatMap((id) => [`node-${id}`, `op-${id}`]);
}

/** The narration of step `step` (null: not stepping) into `box`. */
export function narrate(box, graph, step, current) {
  box.replaceChildren();
  if (step === null) {
    box.append(h("span", { class: "muted", text: "Step through backward (→) to see each grad arrive, one node at a time." }));
    return;
  }
  if (step === 0) {
    box.append(
      h("strong", { text: "Grads hidden. " }),
      h("span", { text: "Backward starts at the output: press → to set its grad to 1." })
    );
    return;
  }
  const n = graph.byId.get(current);
  const name = graph.names.get(n.id);
  if (n.id === graph.output) {
    box.append(h("strong", { text: `${name}.grad = 1` }), h("span", { text: `  (d${name}/d${name} = 1: backward starts here)` }));
    return;
  }
  const terms = gradTerms(graph, n.id);
  const parts = [h("strong", { class: "mono", text: `${name}.grad` }), " = "];
  terms.forEach((t, i) => {
    if (i) parts.push(" + ");
    const pn = graph.names.get(t.parent.id);
    parts.push(
      h("span", { class: "term mono" }, `${pn}.grad × ∂${pn}/∂${name}`),
      h("span", { class: "mono muted" }, ` (${fmt(t.upstream)} × ${fmt(t.local)}; ∂${pn}/∂${name} = ${formulaFor(graph, t.parent, t.index)})`)
    );
  });
  parts.push(" = ", h("strong", { class: `mono ${signClass(n.grad)}`, text: fmt(n.grad) }));
  if (terms.length > 1) parts.push(h("span", { class: "muted", text: `  ·  ${terms.length} paths add up (grad +=)` }));
  box.append(...parts);
}

const PLAY_INTERVAL_MS = 1400;

/**
 * The Play button's player: toggle() starts stepping every PLAY_INTERVAL_MS (first calling
 * restart() when `atEnd()`), or stops; stop() stops. `next()` takes one step; the player stops
 * when `atEnd()` says the last step is shown.
 */
export function createPlayer(button, { next, atEnd, restart }) {
  let timer = 0;
  function stop() {
    clearInterval(timer);
    timer = 0;
    button.setAttribute("aria-pressed", "false");
    button.textContent = "▶ Play";
  }
  function toggle() {
    if (timer) return stop();
    if (atEnd()) restart();
    timer = setInterval(() => (atEnd() ? stop() : next()), PLAY_INTERVAL_MS);
    button.setAttribute("aria-pressed", "true");
    button.textContent = "❚❚ Pause";
    next();
  }
  return { toggle, stop };
}
