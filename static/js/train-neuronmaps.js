/* Each hidden neuron's own output over the plane, as a small heatmap on its node in the network
   (as TensorFlow Playground draws them): the API's `neurons` (POST /api/train/step, neuron_grid). */

import { svgEl } from "./dom.js";
import { paintScores } from "./heatmap.js";

// the output an activation is "off" at: the maps colour above it as +, below as −
const CENTRE = { tanh: 0, relu: 0, sigmoid: 0.5 };
const FULL = 2.5; // a map's largest output, scaled to this, is drawn at tanh(2.5): nearly full colour

/** The maps (null: none) onto the network `svg` that drawNetwork drew with `cache`. */
export function drawNeuronMaps(svg, maps, activation, c, cache) {
  const group = svg.querySelector("g.neuron-maps");
  if (!group) return;
  const side = cache.mapSide;
  if (!maps || !side || maps.length !== cache.hidden.length) {
    group.replaceChildren();
    return;
  }
  if (group.childElementCount !== maps.length) {
    group.replaceChildren(
      ...cache.hidden.map(({ x, y, li, k }) => {
        const image = svgEl("image", {
          class: "neuron-map", x: x - side / 2, y: y - side / 2, width: side, height: side,
          preserveAspectRatio: "none", "data-layer": li, "data-index": k + 1,
        });
        const t = svgEl("title");
        t.textContent = `layer ${li}, neuron ${k + 1}: its output over the plane (each map at its own scale)`;
        image.append(t);
        return image;
      }),
    );
  }
  const canvas = document.createElement("canvas");
  const centre = CENTRE[activation] || 0;
  maps.forEach((m, i) => {
    // each map at its own scale (its largest |output - centre| is full strength): a neuron whose
    // outputs are all small still shows where on the plane it fires
    let top = 0;
    for (const row of m.scores) for (const v of row) top = Math.max(top, Math.abs(v - centre));
    const k = top > 0 ? FULL / top : 0;
    paintScores(canvas, m.scores.map((row) => row.map((v) => (v - centre) * k)), c, 0.9);
    group.children[i].setAttribute("href", canvas.toDataURL());
  });
}

const ZOOM = 100; // a pointed-at map's side, enlarged (the network's viewBox is 420 x 260)

/** Show `image` (a neuron map, or null: none) enlarged beside its node, over the network. */
export function zoomNeuronMap(svg, image) {
  let zoom = svg.querySelector("image.neuron-zoom");
  if (!image) {
    if (zoom) zoom.remove();
    return;
  }
  if (!zoom) zoom = svgEl("image", { class: "neuron-zoom", width: ZOOM, height: ZOOM, preserveAspectRatio: "none" });
  svg.append(zoom); // last: drawn over everything
  const x = Number(image.getAttribute("x"));
  const y = Number(image.getAttribute("y"));
  const side = Number(image.getAttribute("width"));
  const left = x + side + 4 + ZOOM <= 420 ? x + side + 4 : x - 4 - ZOOM; // right of the node if it fits
  zoom.setAttribute("x", left);
  zoom.setAttribute("y", Math.max(0, Math.min(260 - ZOOM, y + side / 2 - ZOOM / 2)));
  zoom.setAttribute("href", image.getAttribute("href") || "");
}
