/* Each hidden neuron's own output over the plane, as a small heatmap on its node in the network
   (as TensorFlow Playground draws them): the API's `neurons` (POST /api/train/step, neuron_grid). */

import { svgEl } from "./dom.js";
import { paintScores } from "./heatmap.js";

// the output an activation is "off" at: the maps colour above it as +, below as −
const CENTRE = { tanh: 0, relu: 0, sigmoid: 0.5 };

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
        t.textContent = `layer ${li}, neuron ${k + 1}: its output over the plane`;
        image.append(t);
        return image;
      }),
    );
  }
  const canvas = document.createElement("canvas");
  const centre = CENTRE[activation] || 0;
  const scale = activation === "sigmoid" ? 2 : 1; // sigmoid's outputs span 1, the others' 2 or more
  maps.forEach((m, i) => {
    const scores = scale === 1 && centre === 0 ? m.scores : m.scores.map((row) => row.map((v) => (v - centre) * scale));
    paintScores(canvas, scores, c, 0.9);
    group.children[i].setAttribute("href", canvas.toDataURL());
  });
}
