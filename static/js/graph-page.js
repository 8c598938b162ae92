/* The graph page's controller: edit a program, see its graph, step through backward.
   It holds the page's state and wires the modules to the page; everything it draws comes from
   this app's API (POST /api/graph, POST /api/export: docs/api.md). */

import { errorDetail, post } from "./api.js";
import { $, debounce, h, on, toast } from "./dom.js";
import { literal } from "./format.js";
import { createCamera } from "./graph-camera.js";
import { allToggled, indexFolds, prepareGroups, toggledFold } from "./graph-fold.js";
import { clearError, setEditorText, showError, syncGutter } from "./graph-editor.js";
import { setUpExports, snapshotSvg } from "./graph-export.js";
import { renderInspector, renderInspectorLeaf } from "./graph-inspector.js";
import { buildChecks, buildLeaves, showChecks } from "./graph-leaves.js";
import { indexGraph, leafLabels, revealed, rewriteLiteral, stepNode, structureKey } from "./graph-model.js";
import { createPractice } from "./graph-practice.js";
import { PRESETS } from "./graph-presets.js";
import { hideTable, setUpTable, tableInstead } from "./graph-table.js";
import { createPlayer, narrate, prepareSvg, showStep } from "./graph-steps.js";
import { DEFAULT_H, hashOf, viewOf } from "./graph-url.js";
import { applyHash } from "./lesson-follow.js";
import { setUpLesson } from "./lesson-panel.js";
import { pageKey, runShortcut } from "./keys.js";
import { createPanZoom } from "./panzoom.js";
import { createPresentation } from "./graph-present.js";
import { preferredTheme } from "./themes.js";
import { choose, otherDirection } from "./graph-direction.js";

const TYPE_DELAY_MS = 300; // debounce while typing
const SLIDE_DELAY_MS = 60; // debounce while dragging a slider
const HASH_DELAY_MS = 250;

// ---------------------------------------------------------------- state

const state = {
  source: "",
  values: {}, // numbers for names used but not assigned in the program
  theme: "light",
  step: null, // null: every grad shown; k: the first k nodes of backward_order revealed
  editor: true,
  h: DEFAULT_H,
  selected: null, // node id in the inspector
  fold: null, // statements drawn folded (null: the server's choice, all of them past its cap)
  direction: "auto", // "LR", "TB", or "auto": the one that fits the viewport with larger text
};
let drawnDirection = "LR"; // the direction of the picture on screen
let chosenFor = ""; // the structure "auto" last chose a direction for

let graph = null; // the last good API answer, indexed (graph-model.js)
let literals = []; // where the program's `name = number` numbers are (the API's), for `literalsOf`
let literalsOf = ""; // the source those places belong to
let graphKey = ""; // structure of the drawn graph: unchanged structure keeps the view
let requestSeq = 0;
let inflight = null;
const leafRows = new Map(); // label -> the values panel's controls
let inspectorLeaf = null; // the inspector's own controls for an input leaf

const graphBox = $("graph");
const viewport = $("viewport");
const svgOf = () => graphBox.querySelector("svg");
// the zoom bar covers the viewport's foot: the camera keeps a graph's lower end above it
function zoomBarInset() {
  const bar = $("zoom-in").getBoundingClientRect();
  return bar.height ? viewport.getBoundingClientRect().bottom - bar.top + 6 : 0;
}
const panZoom = createPanZoom(viewport, graphBox, () => autoFit(), zoomBarInset);
const camera = createCamera(panZoom, graphBox, $("overview"));
const present = createPresentation(state, {
  redraw: () => graph && ((panZoom.view.ready = false), render()),
  writeHash: () => writeHash(),
});
const { applyTheme, setEditor, showDetails } = present;

const writeHash = debounce(() => {
  const hash = pageHash();
  if (location.hash !== hash) history.replaceState(null, "", hash);
  lesson.changed(); // a live lesson sends the new view
}, HASH_DELAY_MS);
let lesson = { changed() {} }; // the lesson panel (lesson-panel.js), set up by init

// ---------------------------------------------------------------- the program and the API

function setSource(text, keepCursor = false) {
  state.source = text;
  setEditorText(text, keepCursor);
}

const renderSoon = debounce(() => render(), TYPE_DELAY_MS);
const renderAfterSlide = debounce(() => render(), SLIDE_DELAY_MS);

async function render() {
  renderSoon.cancel();
  renderAfterSlide.cancel();
  const seq = ++requestSeq;
  if (inflight) inflight.abort();
  const ctrl = new AbortController();
  inflight = ctrl;
  document.body.classList.add("busy");
  $("status").textContent = "drawing…";
  const source = state.source;
  let res;
  let body;
  const direction = state.direction === "auto" ? drawnDirection : state.direction;
  const request = { source, values: state.values, h: state.h, theme: state.theme, fold: state.fold, direction };
  try {
    res = await post("/api/graph", request, { signal: ctrl.signal });
    body = await res.json().catch(() => null);
    const shape = res.ok && body && body.svg && `${structureKey(body)}/${body.folded}/${state.theme}`;
    if (shape && state.direction === "auto" && shape !== chosenFor) {
      const ask = async (d) => (await post("/api/graph", { ...request, direction: d }, { signal: ctrl.signal })).json();
      const chosen = await choose(body, direction, viewport.getBoundingClientRect(), ask);
      body = chosen.body;
      request.direction = chosen.direction;
      chosenFor = shape;
    }
  } catch (err) {
    if (err.name === "AbortError" || seq !== requestSeq) return;
    finishRequest();
    showError({ message: `The server did not answer (${err.message}).` }, state.source);
    $("status").textContent = "no answer";
    return;
  }
  if (seq !== requestSeq) return;
  finishRequest();
  if (res.ok && body && body.svg) {
    if (drawnDirection !== request.direction) panZoom.view.ready = false; // a new shape: fit it
    drawnDirection = request.direction;
    $("direction").dataset.drawn = drawnDirection;
    clearError();
    hideTable();
    literals = body.literals;
    literalsOf = source;
    drawGraph(body);
    $("status").textContent = `${body.nodes.length} values`;
    return;
  }
  $("status").textContent = "error: last good graph kept";
  const detail = errorDetail(res.status, body);
  showError(detail, state.source);
  if (!state.editor) toast($("toast"), detail.message); // the error box is in the folded editor
  const tooBig = res.status === 422 && /pictures are limited to \d+|to lay out in time/.test(detail.message);
  if (tooBig) tableInstead(request, () => seq === requestSeq, detail.message); // the values, as a table
}

function finishRequest() {
  inflight = null;
  document.body.classList.remove("busy");
}

// ---------------------------------------------------------------- the graph

function drawGraph(data) {
  const prevKey = graphKey;
  graph = indexGraph(data);
  graphKey = `${structureKey(data)}/${data.folded}`;
  graphBox.innerHTML = data.svg; // server-made SVG (ids and classes per the contract)
  const svg = svgOf();
  if (!svg) return;
  panZoom.adopt(svg);
  prepareSvg(svg, graph);
  prepareGroups(svg, graph);
  indexFolds(graph, svg);
  if (prevKey !== graphKey || !panZoom.view.ready) autoFit();
  else panZoom.apply();
  if (state.step !== null) state.step = Math.min(state.step, graph.order.length);
  if (state.selected && !graph.byId.has(state.selected)) state.selected = null;
  const labels = leafLabels(graph);
  buildLeaves($("leaves"), leafRows, graph, labels, editLeaf);
  $("leaves-empty").hidden = labels.length > 0;
  buildChecks($("checks-body"), graph.checks);
  applyStep();
  writeHash();
}

/** Fit the graph when its text stays legible, else legible on the step's value (or the output). */
const autoFit = () => camera.fit(graph, state.theme, stepNode(graph, state.step));

// ---------------------------------------------------------------- stepping through backward

function applyStep() {
  if (!graph) return;
  const svg = svgOf();
  const practising = practice.view(); // practice shows the values worked out, not a step's
  const shown = practising ? practising.shown : revealed(graph, state.step);
  const current = practising ? practising.current : stepNode(graph, state.step);
  const stepping = state.step !== null;
  document.body.classList.toggle("stepping", stepping);
  if (svg) showStep(svg, graph, shown, current, state.selected);
  const total = graph.order.length;
  $("step-status").textContent = stepping ? `step ${state.step} of ${total}` : "all grads shown";
  $("step-back").disabled = !stepping || state.step === 0;
  $("step-next").disabled = stepping && state.step >= total;
  $("step-end").disabled = !stepping;
  camera.follow(graph, current);
  narrate($("narration"), graph, state.step, current);
  // the clicked node, else the step's node, else the output
  const id = [state.selected, current, graph.output].find((x) => x && graph.byId.has(x));
  inspectorLeaf = renderInspectorLeaf($("inspector-leaf"), id && graph.byId.get(id), inspectorLeaf, editLeaf);
  renderInspector($("inspector-body"), graph, id, state.selected, shown);
  showChecks($("checks-body"), graph.checks, shown);
  practice.sync();
  writeHash();
}

function setStep(k) {
  if (!graph) return;
  const total = graph.order.length;
  const ending = k === null && state.step !== null;
  state.step = k === null ? null : Math.max(0, Math.min(total, k));
  if (state.step !== null && state.step >= total) stopPlay();
  const cur = stepNode(graph, state.step);
  if (cur) state.selected = cur;
  applyStep();
  if (ending) autoFit(); // End: the whole graph again
}

const stepNext = () => graph && setStep(state.step === null ? 1 : state.step + 1);
const stepBack = () => graph && state.step !== null && setStep(state.step - 1);

const player = createPlayer($("play"), {
  next: stepNext,
  atEnd: () => !graph || state.step === null || state.step >= graph.order.length,
  restart: () => setStep(0),
});
const togglePlay = () => graph && player.toggle();
const stopPlay = () => player.stop();

const practice = createPractice({
  graph: () => graph,
  step: () => state.step,
  setStep,
  load: (source, values) => loadProgram(source, values),
  program: () => state,
  fold: () => state.fold,
  foldAs: (statements) => (state.fold = statements),
  svg: svgOf,
  stopPlay,
  writeHash: () => writeHash(),
});

/** The URL's hash for what the page shows: practice's, else the view's. */
const pageHash = () => practice.hash(state) || hashOf(state);

/** Draw the graph left to right ("LR"), top to bottom ("TB"), or whichever fits better ("auto"). */
function setDirection(d) {
  state.direction = d;
  $("direction").value = d;
  chosenFor = "";
  panZoom.view.ready = false;
  render();
}

/** Draw these statements folded (G, or a click on a statement's frame or box). */
function setFold(statements) {
  state.fold = statements;
  render();
}

function selectNode(id, focusInspector) {
  state.selected = id;
  showDetails(true);
  applyStep();
  if (focusInspector) $("inspector-title").scrollIntoView({ block: "nearest" });
}

// ---------------------------------------------------------------- editing values

/** A leaf's new value: rewrite its number in the program where it has one, else the values map. */
function editLeaf(label, x, decimals) {
  const text = literal(decimals === undefined ? x : Number(x.toFixed(decimals)));
  const rewritten = literalsOf === state.source ? rewriteLiteral(state.source, literals, label, text) : null;
  if (rewritten) {
    setSource(rewritten.source, true);
    literals = rewritten.literals;
    literalsOf = rewritten.source;
  } else state.values = { ...state.values, [label]: x };
  $("preset").value = "";
  renderAfterSlide();
}

function setH(v) {
  const field = $("h");
  if (!(v > 0 && v <= 1)) {
    field.setCustomValidity("h must be above 0 and at most 1");
    field.reportValidity();
    return;
  }
  field.setCustomValidity("");
  state.h = v;
  field.value = String(v);
  render();
}

// ---------------------------------------------------------------- presets and the URL

function loadPreset(id) {
  const p = PRESETS.find((x) => x.id === id);
  if (p) loadProgram(p.source, {}, id);
}

function loadProgram(source, values, presetId = "") {
  stopPlay();
  state.values = values;
  state.step = null;
  state.selected = null;
  setSource(source);
  $("preset").value = presetId;
  render();
}

/** Take the view in the URL's hash; false when it holds no program. */
function readHash() {
  const view = viewOf(location.hash);
  if (!view) return false;
  Object.assign(state, { ...view, theme: view.theme || state.theme });
  $("direction").value = state.direction;
  return true;
}

// ---------------------------------------------------------------- keyboard

const KEYS = {
  ArrowRight: stepNext,
  ArrowLeft: stepBack,
  Home: () => setStep(0),
  End: () => setStep(null),
  "+": () => panZoom.zoomBy(1.25),
  "=": () => panZoom.zoomBy(1.25),
  "-": () => panZoom.zoomBy(0.8),
  _: () => panZoom.zoomBy(0.8),
  0: () => panZoom.fit(),
  f: () => panZoom.fit(),
  w: () => panZoom.panBy(0, -60),
  a: () => panZoom.panBy(-60, 0),
  s: () => panZoom.panBy(0, 60),
  d: () => panZoom.panBy(60, 0),
  p: present.toggleProjector,
  t: present.nextTheme,
  e: () => setEditor(!state.editor),
  g: () => graph && setFold(allToggled(graph)),
  r: () => setDirection(otherDirection(drawnDirection)),
  "?": () => $("help").showModal(),
};

function onKey(e) {
  const source = $("source");
  if (e.target === source && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    render();
    return;
  }
  if (e.target === source && e.key === "Escape") {
    source.blur();
    viewport.focus();
    return;
  }
  const key = pageKey(e);
  if (key === null || practice.onKey(e, key)) return;
  const onButton = e.target instanceof HTMLElement && e.target.closest("button, [role=button], a");
  if (key === " " && !onButton) {
    e.preventDefault();
    togglePlay();
    return;
  }
  if ((key === "Enter" || key === " ") && e.target.dataset && e.target.dataset.group && graph) {
    e.preventDefault();
    setFold(toggledFold(graph, Number(e.target.dataset.group)));
    return;
  }
  if ((key === "Enter" || key === " ") && e.target.dataset && e.target.dataset.node) {
    e.preventDefault();
    selectNode(e.target.dataset.node, true);
    return;
  }
  runShortcut(e, key, KEYS);
}

// ---------------------------------------------------------------- wiring

function init() {
  for (const p of PRESETS) $("preset").append(h("option", { value: p.id, text: p.name }));
  if (!readHash()) {
    state.theme = preferredTheme();
    state.editor = state.theme !== "projector";
    state.source = PRESETS[0].source;
    $("preset").value = PRESETS[0].id;
  } else {
    const p = PRESETS.find((x) => x.source === state.source);
    $("preset").value = p ? p.id : "";
  }
  setSource(state.source);
  applyTheme(state.theme, false);
  $("h").value = String(state.h);
  setEditor(state.editor);
  const exercise = practice.readHash(location.hash); // an exercise in the URL: it loads itself

  on("source", "input", () => {
    state.source = $("source").value;
    syncGutter();
    $("preset").value = "";
    writeHash();
    renderSoon();
  });
  on("source", "scroll", () => ($("gutter").scrollTop = $("source").scrollTop));
  on("preset", "change", () => loadPreset($("preset").value));
  on("theme", "change", () => present.switchTheme($("theme").value));
  on("toggle-projector", "click", present.toggleProjector);
  on("toggle-details", "click", present.toggleDetails);
  on("toggle-editor", "click", () => setEditor(!state.editor));
  on("step-start", "click", () => setStep(0));
  on("step-back", "click", stepBack);
  on("step-next", "click", stepNext);
  on("step-end", "click", () => setStep(null));
  on("play", "click", togglePlay);
  on("graph", "click", (e) => {
    const group = e.target.closest("[data-group]");
    if (group) return setFold(toggledFold(graph, Number(group.dataset.group)));
    const g = e.target.closest("g[data-node]");
    if (g) selectNode(g.dataset.node, false);
  });
  // double-click an input leaf: straight to its value field in the inspector
  on("graph", "dblclick", (e) => {
    const g = e.target.closest("g[data-node]");
    const n = g && graph && graph.byId.get(g.dataset.node);
    if (!n || n.role !== "input") return;
    selectNode(n.id, true);
    const field = $(`inspect-${n.label}`);
    if (field) field.select();
  });
  on("h", "change", () => setH(Number($("h").value)));
  on("h-bigger", "click", () => setH(Math.min(1, Number((state.h * 10).toPrecision(6)))));
  on("h-smaller", "click", () => setH(Number((state.h / 10).toPrecision(6))));
  on("error-fix", "click", (e) => {
    const names = e.currentTarget.dataset.names.split(" ").filter(Boolean);
    state.values = { ...state.values, ...Object.fromEntries(names.map((n) => [n, 1])) };
    render();
  });
  setUpTable();
  setUpExports({
    svg: () => graph && svgOf() && snapshotSvg(svgOf(), panZoom.view.base),
    program: () => state,
    link: () => (writeHash.cancel(), pageHash()),
    toast: (msg) => toast($("toast"), msg),
  });
  on("help-open", "click", () => $("help").showModal());
  on("zoom-in", "click", () => panZoom.zoomBy(1.25));
  on("zoom-out", "click", () => panZoom.zoomBy(0.8));
  on("fit", "click", () => panZoom.fit());
  $("direction").value = state.direction;
  on("direction", "change", () => setDirection($("direction").value));
  document.addEventListener("keydown", onKey);
  window.addEventListener("hashchange", () => {
    if (location.hash === pageHash() || practice.readHash(location.hash) || !readHash()) return;
    stopPlay();
    const preset = PRESETS.find((x) => x.source === state.source); // a lesson's slide may be one
    $("preset").value = preset ? preset.id : "";
    setSource(state.source);
    applyTheme(state.theme, false);
    $("h").value = String(state.h);
    setEditor(state.editor);
    render();
  });
  if (!exercise) render();
  panZoom.view.onMove = () => (camera.release(), lesson.changed(true)); // the person moved: the camera is theirs
  lesson = setUpLesson({
    page: "graph",
    view: () => hashOf(state),
    fit: () => autoFit(),
    extra: () => ({ fields: { camera: camera.region() }, note: "" }),
    show: (hash, v) => {
      if (camera.hold(v.camera) && !v.camera) autoFit(); // the held region gives way to a fit
      if (hashOf(state) !== hash) applyHash(hash);
    },
  });
}

// for the benchmarks and the curious: the examples (read-only copies)
window.chainrule = { presets: PRESETS.map((p) => ({ ...p })) };

init();
