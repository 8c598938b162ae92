/* The training page's picture of the run: the numbers (step, loss, accuracy, lr, rate) and the
   canvases (boundary or predictions, chart, network), drawn from the controller's state. */

import { canvasColours } from "./canvas.js";
import { drawChart } from "./chart.js";
import { $ } from "./dom.js";
import { formatPercent, formatStat as fmt } from "./format.js";
import { drawBoundary } from "./heatmap.js";
import { drawGradNorms } from "./train-gradnorms.js";
import { drawNetwork } from "./train-network.js";
import { drawNeuronMaps } from "./train-neuronmaps.js";
import { drawPredictions } from "./train-predictions.js";

/** The number of inputs of the run's data (the lecture's samples have 3, the 2-D datasets 2). */
export const nin = (run) => ((run.config.dataset || {}).name === "lecture" ? 3 : 2);

/** The boundary's column: a square as tall as the panels allow, its tools and legend below it
    (`chromeRem` of them), at most `share` of the width; the chart and the network get the rest. */
export function fitPanels(projector) {
  const wrap = document.querySelector(".panels-wrap");
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const [chromeRem, share] = projector ? [4, 0.46] : [4.6, 0.52];
  const w = Math.max(160, Math.min(wrap.clientHeight - chromeRem * rem, wrap.clientWidth * share));
  document.querySelector(".panels").style.setProperty("--board-w", `${Math.floor(w)}px`);
}

/** The boundary canvas as the largest square its box holds. */
function squareBoundary(canvas) {
  const box = canvas.parentElement;
  const side = `${Math.floor(Math.min(box.clientWidth, box.clientHeight))}px`;
  if (canvas.style.width !== side) {
    canvas.style.width = side;
    canvas.style.height = side;
  }
}

/** Draw everything from `state` (the controller's); `network`: drawNetwork's cache. */
export function drawAll(state, network) {
  const run = state.run;
  const p = state.emptyPoints ? { x: [], target: [], score: [] } : state.predictions;
  // before the first step, the whole dataset's loss and accuracy under the weights (the server's)
  const last = state.history.length ? state.history[state.history.length - 1] : p && p.score.length ? p : null;
  $("stat-step").textContent = run ? String(run.step) : "–";
  $("stat-loss").textContent = last ? fmt(last.loss) : "–";
  $("stat-acc").textContent = last ? formatPercent(last.accuracy) : "–";
  $("stat-lr").textContent = run ? fmt(state.lr) : "–";
  const u = state.updates;
  const span = u.length > 2 && state.playing ? (u[u.length - 1][0] - u[0][0]) / 1000 : 0;
  $("stat-rate").textContent = span
    ? `${((u.length - 1) / span).toFixed(0)} updates/s · ${((u[u.length - 1][1] - u[0][1]) / span).toFixed(0)} steps/s`
    : "";
  const preset = state.presets.find((x) => x.name === state.presetName);
  $("preset-note").hidden = !preset;
  $("preset-note").textContent = preset ? preset.description : "";
  $("play").disabled = !state.valid;
  $("step").disabled = !state.valid;
  if (!run) return;
  const twoD = nin(run) === 2;
  $("boundary-panel").hidden = !twoD;
  $("predictions-panel").hidden = twoD;
  const colours = canvasColours(state.theme === "projector"); // read once a frame, not once a colour
  const custom = run.config.dataset.name === "custom";
  $("points-count").textContent = twoD && p ? `${p.x.length} point${p.x.length === 1 ? "" : "s"}${custom ? "" : " (click to edit them)"}` : "";
  if (twoD) {
    squareBoundary($("boundary"));
    drawBoundary($("boundary"), state.boundary, p, colours);
  }
  else drawPredictions($("predictions-chart"), $("predictions").querySelector("tbody"), p, colours);
  drawChart($("chart"), state.history, state.until, colours, $("chart-scale"));
  drawGradNorms($("gradnorms"), $("gradnorm-legend"), state.history, state.until, colours);
  drawNetwork($("network"), run.weights, run.grads, nin(run), colours, network);
  drawNeuronMaps($("network"), state.neuronMaps ? state.neurons : null, run.config.activation, colours, network);
}

/** window.chainruleTrain: read-only views of the run, for the browser tests and the curious. */
export function exposeRun(state) {
  window.chainruleTrain = {
    get step() {
      return state.run ? state.run.step : null;
    },
    get history() {
      return state.history.slice();
    },
    get drawMs() {
      return state.drawMs.slice();
    },
    get playing() {
      return state.playing;
    },
    /** The decision boundary's view and scores, as the server sent them. */
    get boundary() {
      return state.boundary ? structuredClone(state.boundary) : null;
    },
    get run() {
      return state.run ? structuredClone(state.run) : null;
    },
    /** Each hidden neuron's map, as the server sent them (null: none asked for). */
    get neurons() {
      return state.neurons ? structuredClone(state.neurons) : null;
    },
    /** The sample graph's program, as the server wrote it: {source, values, nodes}. */
    get sampleProgram() {
      return state.sampleProgram ? structuredClone(state.sampleProgram) : null;
    },
  };
}
