/* One sample through the current weights as a scalar graph: the server writes the program
   (POST /api/train/graph) and draws it (POST /api/graph); this module puts it on the page. */

import { ApiError, postJson } from "./api.js";
import { $ } from "./dom.js";
import { formatStat as fmt } from "./format.js";

export const GRAPH_MAX_NODES = 300; // bigger nets skip the sample's graph (the graph API's cap is 400)

/** The sample selector's options: one per sample, "#k: [x] → target". */
export function syncSampleOptions(select, p, sample) {
  const n = p.x.length;
  if (select.options.length !== n) {
    select.replaceChildren();
    for (let i = 0; i < n; i++) {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = `#${i + 1}: [${p.x[i].map((v) => fmt(v, 2)).join(", ")}] → ${p.target[i]}`;
      select.append(o);
    }
  }
  const k = Math.min(sample, n - 1);
  select.value = String(k);
  return k;
}

/** The program for sample `k` through `run`'s weights, as the server writes it: {source, values, nodes}. */
export const sampleProgram = (run, k) => postJson("/api/train/graph", { state: run, sample: k, loss: true });

/** Draw the sample's program (POST /api/graph) into the panel; `freshLayout`: a new picture, to scroll to. */
export async function drawSample(program, k, theme, withL2, freshLayout) {
  const box = $("sample-graph");
  const note = $("sample-note");
  try {
    const data = await postJson("/api/graph", { source: program.source, values: program.values, theme });
    $("sample-error").hidden = true;
    box.innerHTML = data.svg; // the server's SVG (no scripts: Graphviz output)
    if (box.querySelector("svg") && freshLayout) {
      // a new picture: start at the middle of the height, where the network's columns are
      box.scrollTop = (box.scrollHeight - box.clientHeight) / 2;
    }
    const out = data.nodes.find((nd) => nd.id === data.output);
    note.textContent =
      `${data.nodes.length} values. Sample #${k + 1}'s own loss L = ${fmt(out.data)}; ` +
      "the grads are this sample's share of the step (the step itself uses the whole batch" +
      (withL2 ? " and adds L2" : "") + ").";
    const link = { src: program.source, values: JSON.stringify(program.values), theme };
    $("sample-open").href = "/#" + new URLSearchParams(link).toString();
    return true;
  } catch (e) {
    showSampleError(e);
    return false;
  }
}

/** Say under the panel why the sample's graph could not be drawn. */
export function showSampleError(e) {
  const error = $("sample-error");
  error.hidden = false;
  error.textContent =
    e instanceof ApiError
      ? `The graph API refused this sample's program (${e.status}): ${JSON.stringify(e.body && e.body.detail)}`
      : `The graph API did not answer (${e.message})`;
}

const GRAPH_EVERY_MS = 700; // the sample's graph is re-rendered at most this often while playing

/**
 * The sample panel's scheduler: soon() redraws the chosen sample's graph (at most every
 * GRAPH_EVERY_MS while playing, and again until it shows the latest weights); forget() makes the
 * next one redraw even if nothing changed. `page()` gives the controller's state (it reads run,
 * predictions, valid, playing, theme, sample, sampleNodes, graphFit; it sets sample and
 * sampleProgram);
 * `small(run)` is the state to send (without history).
 */
export function createSamplePanel(page, small) {
  let timer = 0;
  let busy = false;
  let lastAt = 0;
  let lastKey = "";

  function soon() {
    clearTimeout(timer);
    const wait = page().playing ? Math.max(0, GRAPH_EVERY_MS - (performance.now() - lastAt)) : 0;
    timer = setTimeout(render, wait);
  }

  async function render() {
    const state = page();
    const { run, predictions: p } = state;
    const panel = $("sample-panel");
    if (!run || !p || !state.valid || !(state.sampleNodes <= GRAPH_MAX_NODES)) {
      panel.hidden = true;
      return;
    }
    if (busy) return soon();
    busy = true;
    lastAt = performance.now();
    let key = lastKey;
    try {
      state.sample = syncSampleOptions($("sample"), p, state.sample);
      panel.hidden = false;
      const program = await sampleProgram(small(run), state.sample);
      state.sampleProgram = program;
      key = `${program.source}|${JSON.stringify(program.values)}|${state.theme}`;
      const layout = `${program.nodes}|${state.theme}`;
      const box = $("sample-graph");
      const fresh = box.dataset.layout !== layout && !state.graphFit;
      if (fresh) box.dataset.layout = layout;
      if (key !== lastKey && (await drawSample(program, state.sample, state.theme, !!run.config.l2, fresh))) lastKey = key;
    } catch (e) {
      showSampleError(e);
    } finally {
      busy = false;
    }
    if (key !== lastKey || page().playing) soon();
  }

  return { soon, forget: () => (lastKey = "") };
}
