/* The network as a picture: neurons in columns, one line per weight. */

import { svgEl } from "./dom.js";
import { formatStat as fmt } from "./format.js";

/** An empty cache for drawNetwork (empty it again to draw the network afresh, as a theme change does).
    `picked`: the line under the pointer or the focus, whose value and grad `info` shows. */
export const networkCache = () => ({ key: "", lines: [], picked: null, info: null, hidden: [], mapSide: 0 });

/**
 * The network into `svg`: one column of circles per layer (`nin` inputs first), one line per weight
 * (colour: sign, width: |w|). The lines are made once per shape (`cache`), then only restyled.
 */
export function drawNetwork(svg, weights, grads, nin, c, cache) {
  const layers = weights.layers;
  const sizes = [nin, ...layers.map((l) => l.neurons.length)];
  const key = sizes.join("-") + c.projector;
  const W = 420;
  const H = 260;
  const colX = (i) => 30 + (i * (W - 60)) / (sizes.length - 1);
  const rowY = (k, n) => (n === 1 ? H / 2 : 16 + (k * (H - 32)) / (n - 1));
  const r = Math.max(2.5, Math.min(9, (H - 32) / Math.max(...sizes) / 3));
  if (key !== cache.key) {
    cache.key = key;
    svg.replaceChildren();
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const lines = svgEl("g", { class: "weights" });
    const nodes = svgEl("g", { class: "neurons" });
    cache.lines = [];
    cache.hidden = []; // each hidden neuron's centre, input side first (where its map goes)
    // a neuron map's side: most of the gap between rows and a third of the gap between columns
    cache.mapSide = Math.min(48, (W - 60) / (sizes.length - 1) / 3, sizes.length > 2 ? (H - 32) / Math.max(1, ...sizes.slice(1, -1)) * 0.9 : 0);
    layers.forEach((layer, li) => {
      layer.neurons.forEach((neuron, j) => {
        neuron.w.forEach((_, i) => {
          const line = svgEl("line", {
            x1: colX(li), y1: rowY(i, sizes[li]), x2: colX(li + 1), y2: rowY(j, sizes[li + 1]),
            tabindex: 0, "data-k": cache.lines.length,
          });
          line.append(svgEl("title"));
          lines.append(line);
          cache.lines.push({ line, li, j, i });
        });
      });
    });
    sizes.forEach((n, li) => {
      for (let k = 0; k < n; k++) {
        const circle = svgEl("circle", { cx: colX(li), cy: rowY(k, n), r, class: li === 0 ? "input" : "neuron" });
        const t = svgEl("title");
        t.textContent = li === 0 ? `input x${k + 1}` : `layer ${li}, neuron ${k + 1}`;
        circle.append(t);
        nodes.append(circle);
        if (li > 0 && li < sizes.length - 1) cache.hidden.push({ x: colX(li), y: rowY(k, n), li, k });
      }
    });
    svg.append(lines, nodes, svgEl("g", { class: "neuron-maps" }));
  }
  let maxW = 0;
  for (const l of layers) for (const n of l.neurons) for (const v of n.w) maxW = Math.max(maxW, Math.abs(v));
  const scale = (c.projector ? 7 : 5) / Math.max(1, maxW);
  for (const { line, li, j, i } of cache.lines) {
    const v = layers[li].neurons[j].w[i];
    // Changing an SVG presentation attribute restyles far more than an inline style does
    // (measured in Chromium: ~30 ms a frame for the demo's 304 lines): the width, which changes
    // every step, is a style; the colour attribute is set only when the sign flips.
    const stroke = v >= 0 ? c.pos : c.neg;
    if (line.getAttribute("stroke") !== stroke) line.setAttribute("stroke", stroke);
    line.style.strokeWidth = (0.4 + Math.abs(v) * scale).toFixed(2);
    line.firstChild.textContent = weightText(weights, grads, li, j, i);
  }
  showPicked(weights, grads, cache);
}

/** A weight's value and the grad the last step used, and where it is. */
function weightText(weights, grads, li, j, i) {
  const g = grads ? fmt(grads.layers[li].neurons[j].w[i]) : "– (no step yet)";
  const from = li === 0 ? `input x${i + 1}` : `neuron ${i + 1} of layer ${li}`;
  return `w = ${fmt(weights.layers[li].neurons[j].w[i])}, grad = ${g}: ${from} → neuron ${j + 1} of layer ${li + 1}`;
}

/** Pick the weight drawn by `line` (null: none): its value and grad go into `cache.info`. */
export function pickWeight(cache, line, weights, grads) {
  if (cache.picked) cache.picked.line.classList.remove("picked");
  cache.picked = line ? cache.lines[Number(line.dataset.k)] || null : null;
  if (cache.picked) cache.picked.line.classList.add("picked");
  showPicked(weights, grads, cache);
}

function showPicked(weights, grads, cache) {
  if (!cache.info || !cache.picked) return;
  const { li, j, i } = cache.picked;
  cache.info.textContent = weightText(weights, grads, li, j, i);
  cache.info.classList.add("active");
}
