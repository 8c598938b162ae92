/* The graph page's camera: open a graph fitted when its text stays legible, else at a legible size
   on the output with an overview of where the view is; follow the step being explained; hold the
   region a lesson's slide or the teacher shows (docs/lessons.md) until the person moves. */

import { stepFocus } from "./graph-steps.js";

// the smallest text (its on-screen box, as getBoundingClientRect measures it) a fitted graph may have
export const MIN_TEXT_PX = { light: 12, dark: 12, projector: 20 };

const SVG_NS = "http://www.w3.org/2000/svg";

/** The height of the graph's smallest value text in user units (the box a browser draws it in). */
function textUnits(svg) {
  const texts = [...svg.querySelectorAll("g.value text")].slice(0, 400);
  const heights = texts.map((t) => t.getBBox().height).filter((x) => x > 0);
  if (heights.length) return Math.min(...heights);
  const t = texts[0];
  return (t && Number(t.getAttribute("font-size"))) || 12;
}

/**
 * camera(panZoom, graphBox, overview): `overview` is the element the outline of a graph too big to
 * fit legibly is drawn in. Returns { fit(graph, theme, focusId), follow(graph, current), hold(region),
 * release(), region() }.
 */
export function createCamera(panZoom, graphBox, overview) {
  const svgOf = () => graphBox.querySelector("svg");
  let outline = null; // { svg, view rect } of the overview while it is shown
  let held = null; // {x, y, w, h}: a slide's or the teacher's region, shown over fits and step follows

  /** Fitted if legible, else legible on `focusId` (the output: its right end); the held region if any. */
  function fit(graph, theme, focusId) {
    const svg = svgOf();
    if (held && svg) {
      panZoom.showRegion(held);
      return drawOverview(svg);
    }
    if (!graph || !svg) return panZoom.fit();
    const focus = focusId || graph.output;
    panZoom.autoFit(textUnits(svg), MIN_TEXT_PX[theme] || 12, [`node-${focus}`, `op-${focus}`], focus === graph.output);
    drawOverview(svg);
  }

  /** Mark the explained value (aria-current="step") and keep it, with the ops it feeds when they fit, in view. */
  function follow(graph, current) {
    const svg = svgOf();
    if (!svg) return;
    for (const g of svg.querySelectorAll('[aria-current="step"]')) g.removeAttribute("aria-current");
    if (!current) return;
    const g = svg.getElementById(`node-${current}`);
    if (g) g.setAttribute("aria-current", "step");
    if (!held) panZoom.ensureVisible(stepFocus(graph, current), [`node-${current}`]);
  }

  /** Show `region` (null: none) and keep it over fits and step follows; true if a region was held before. */
  function hold(region) {
    const was = held !== null;
    held = region || null;
    if (held && panZoom.view.ready && svgOf()) panZoom.showRegion(held);
    return was;
  }

  /** The region in view for a slide or the students: the held one, the one the person moved to, or null (fitted). */
  function region() {
    if (held) return held;
    if (!panZoom.view.moved || !panZoom.view.ready) return null;
    const r = panZoom.region();
    const round = (x) => Math.round(x * 100) / 100;
    return { x: round(r.x), y: round(r.y), w: round(r.w), h: round(r.h) };
  }

  /** The overview: every value as a small box, and a frame where the view is (shown when not all is in view). */
  function drawOverview(svg) {
    const b = panZoom.view.base;
    outline = null;
    overview.hidden = true;
    if (!b) return overview.replaceChildren();
    const mini = document.createElementNS(SVG_NS, "svg");
    mini.setAttribute("viewBox", `${b.x} ${b.y} ${b.w} ${b.h}`);
    mini.setAttribute("aria-hidden", "true");
    const layer = document.createElementNS(SVG_NS, "g"); // in the drawing's own coordinates, as its nodes
    const root = svg.querySelector("g.graph");
    if (root && root.getAttribute("transform")) layer.setAttribute("transform", root.getAttribute("transform"));
    mini.append(layer);
    for (const g of svg.querySelectorAll("g.value")) {
      const r = g.getBBox();
      const box = document.createElementNS(SVG_NS, "rect");
      for (const [k, x] of Object.entries({ x: r.x, y: r.y, width: r.width, height: r.height })) box.setAttribute(k, x);
      box.setAttribute("class", "mini-node");
      layer.append(box);
    }
    const frame = document.createElementNS(SVG_NS, "rect");
    frame.setAttribute("class", "mini-view");
    mini.append(frame);
    overview.replaceChildren(mini);
    outline = { frame };
    showView();
  }

  /** Move the overview's frame to where the view is; no overview while all of the graph is in view. */
  function showView() {
    if (!outline) return;
    const v = panZoom.view;
    const b = v.base;
    const { width, height } = graphBox.getBoundingClientRect();
    const vw = width * v.scale;
    const vh = height * v.scale;
    overview.hidden =
      v.cx - vw / 2 <= b.x && v.cx + vw / 2 >= b.x + b.w && v.cy - vh / 2 <= b.y && v.cy + vh / 2 >= b.y + b.h;
    const attrs = { x: v.cx - vw / 2, y: v.cy - vh / 2, width: vw, height: vh };
    for (const [k, x] of Object.entries(attrs)) outline.frame.setAttribute(k, x);
  }

  panZoom.view.onApply = showView;
  return { fit, follow, hold, release: () => (held = null), region };
}
