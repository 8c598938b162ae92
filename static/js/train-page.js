/* The training page's controller: train micrograd's MLP live and watch it learn.
   It holds the run and wires the modules to the page. Everything comes from this app (docs/api.md):
   GET /api/train/presets, POST /api/train/stream while playing (server-sent events read from a
   fetch() body), POST /api/train/step for one step or a new run, POST /api/train/graph and
   POST /api/graph for one sample's graph. The server keeps nothing: the page holds the run (one
   JSON state) and sends it with every request; the loss, accuracy and learning rate it shows are
   the server's. */

import { $, on, onFile } from "./dom.js";
import { pageKey, runShortcut } from "./keys.js";
import { setUpLesson } from "./lesson-panel.js";
import { exportRun, readRun, splitRun } from "./train-file.js";
import { runForSlide } from "./train-lesson.js";
import { applyHash } from "./lesson-follow.js";
import * as form from "./train-form.js";
import { networkCache, pickWeight } from "./train-network.js";
import { zoomNeuronMap } from "./train-neuronmaps.js";
import { pointsOfData } from "./train-points.js";
import { setUpPointsEditor } from "./train-points-ui.js";
import { CHART_HISTORY, createRun } from "./train-run.js";
import { createSamplePanel } from "./train-sample.js";
import { hashOf, readHash } from "./train-url.js";
import { drawAll, exposeRun, fitPanels, nin } from "./train-view.js";
import { canvasColours } from "./canvas.js";
import { THEMES, nextTheme, preferredTheme, projectorToggled, showTheme } from "./themes.js";

const HASH_DELAY_MS = 250;
const DEFAULT_PRESET = "micrograd-demo";
// Fields that change how the next step trains, not what is trained: the weights stay.
const LIVE_FIELDS = new Set(["lr", "schedule", "lr-end", "decay", "l2", "loss", "reduction", "batch", "fzg", "too-high"]);

// ---------------------------------------------------------------- state

const state = {
  presets: [],
  presetName: "",
  run: null, // the state document without its history (the page keeps the history)
  history: [], // [{step, loss, accuracy, lr}], the last CHART_HISTORY of them
  boundary: null,
  predictions: null, // every sample's score, and the whole dataset's loss and accuracy
  neurons: null, // each hidden neuron's output over the plane (the API's `neurons`)
  neuronMaps: true, // "Neuron maps": ask for them and draw them on the network
  lr: null, // the learning rate the next step uses (the server's)
  baseConfig: null, // the last config, for the fields the form does not show (Adam's betas...)
  valid: false, // the current settings made a run the API accepts
  playing: false,
  theme: "light",
  lastTheme: "light",
  speed: "auto", // steps per update: a number, or "auto" (one step at a time, AUTO_GAP_MS apart)
  until: null,
  sample: 0,
  sampleNodes: null, // how many values one sample's graph has (the server's count)
  sampleProgram: null, // the sample's program as the server wrote it: {source, values, nodes}
  graphFit: false,
  savedLr: null, // {lr, schedule} before "learning rate too high"
  emptyPoints: false, // dataset "custom" with every point cleared: nothing to train until one is added
  settings: true, // the settings column is shown (E)
  updates: [], // timestamps of recent updates, for the rate readout
  drawMs: [], // how long the recent frames took to draw
};

let exportHistory = 200; // the server's train_max_history (GET /api/train/presets says it)
let hashTimer = 0;
const network = networkCache();
const configFromForm = () => form.configFromForm(state.baseConfig, state.emptyPoints ? [] : currentPoints());

/** The points on show: the custom dataset's own, else the 2-D data's as points (to start editing from). */
function currentPoints() {
  const d = state.run && state.run.config.dataset;
  if (d && d.name === "custom" && Array.isArray(d.points)) return d.points;
  return pointsOfData(state.predictions);
}
function formFromConfig(c) {
  state.baseConfig = c;
  form.formFromConfig(c);
}

const samplePanel = createSamplePanel(() => state, (run) => runner.stepBody(run).state);
// a new run on show (not while playing): a live lesson sends it (lesson-panel.js), a follower has wandered
const graphSoon = () => (samplePanel.soon(), state.playing || lesson.changed(true));
const runner = createRun(state, { draw, graphSoon, writeHash, configFromForm, newRun: () => samplePanel.forget() });
const { enqueue, startRun, pause, togglePlay, singleStep, reset, stopStream, streamFromHere } = runner;

function writeHash() {
  clearTimeout(hashTimer);
  hashTimer = setTimeout(() => {
    const hash = currentHash();
    if (location.hash !== hash) history.replaceState(null, "", hash);
    lesson.changed(); // a live lesson sends the new view
  }, HASH_DELAY_MS);
}
let lesson = { changed() {} }; // the lesson panel (lesson-panel.js), set up by init

const currentHash = () => hashOf({ ...state, config: state.run ? state.run.config : configFromForm() });

// ---------------------------------------------------------------- presets, settings, import

function loadPreset(name) {
  const p = state.presets.find((x) => x.name === name);
  if (!p) return Promise.resolve(false);
  pause();
  state.presetName = name;
  $("preset").value = name;
  state.until = p.steps;
  $("until").value = p.steps;
  state.speed = p.steps > 200 ? 5 : "auto";
  $("speed").value = String(state.speed);
  formFromConfig(p.state.config);
  return enqueue(() => startRun(p.state));
}

function onSettingChange(field) {
  state.savedLr = form.tieTooHigh(field, state.savedLr);
  form.syncFormVisibility();
  state.presetName = "";
  $("preset").value = "";
  const config = configFromForm();
  const playing = state.playing;
  stopStream(); // while playing, the stream goes on below, from the state these settings make
  const job = LIVE_FIELDS.has(field) && state.run && state.run.step > 0 ? continueWith(config, "Settings") : enqueue(() => startRun({ config }));
  if (playing) streamFromHere(); // (a refused setting pauses, which stops this stream too)
  return job;
}

/** Same weights, a new config from the next step on (checked with a 0-step request). */
function continueWith(config, where) {
  return enqueue(async () => {
    const gen = runner.generation;
    const next = { ...state.run, config };
    if (config.optimizer.name !== "adam") next.optimizer_state = null;
    try {
      const data = await runner.stepRequest(next, 0);
      if (gen !== runner.generation) return;
      form.clearErrors();
      runner.adopt(data);
      writeHash();
    } catch (e) {
      if (gen !== runner.generation) return;
      pause();
      state.valid = false; // the form no longer says what the run would do: fix it first
      draw();
      form.clearErrors();
      runner.showRequestError(e, where);
    }
  });
}

/** The class's own points changed (added, removed, cleared, pasted): the run goes on from its weights. */
function setPoints(points) {
  if (!state.run || nin(state.run) !== 2) return;
  state.presetName = "";
  $("preset").value = "";
  $("dataset").value = "custom";
  form.syncFormVisibility();
  form.hideMessage();
  const playing = state.playing;
  stopStream();
  if (!points.length) {
    pause();
    state.emptyPoints = true;
    state.valid = false;
    form.showMessage("No points left: click the plane to add one (Shift+click: the other class).", "info");
    draw();
    return;
  }
  state.emptyPoints = false;
  const base = state.run.config;
  const config = { ...base, dataset: { ...base.dataset, name: "custom", points } };
  if (config.batch_size !== null && config.batch_size > points.length) config.batch_size = null; // the batch cannot exceed the data
  continueWith(config, "Points");
  if (playing) streamFromHere();
}

/** Carry on from a run document (a file's, a slide's); false (and a message) when the API refuses it. */
async function openRun(doc, history, where) {
  pause();
  const ok = await enqueue(() => startRun(doc, history, where, true));
  if (ok) {
    state.emptyPoints = false;
    state.presetName = "";
    $("preset").value = "";
    formFromConfig(state.run.config);
    writeHash();
  }
  return ok;
}

async function importFile(file) {
  form.clearErrors();
  const { doc, history, error } = await readRun(file, CHART_HISTORY);
  if (error) return form.showMessage(`${error}. The current run is unchanged.`);
  if (await openRun(doc, history, `Import ${file.name}`)) form.showMessage(`Imported ${file.name}: step ${state.run.step}.`, "info");
}

/** A slide or the teacher's view: its hash (theme, speed, Stop at, settings) and the run it carries. */
function showSlide(hash, { run }) {
  if (!run) return currentHash() === hash || applyHash(hash);
  history.replaceState(null, "", location.pathname + location.search + hash);
  applyTheme(takeHash().theme || state.theme);
  $("speed").value = String(state.speed);
  $("until").value = state.until || "";
  const { doc, history: metrics } = splitRun(run, CHART_HISTORY);
  return openRun(doc, metrics, "Slide");
}

// ---------------------------------------------------------------- drawing (one requestAnimationFrame per change)

let drawPending = false;
function draw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    const t0 = performance.now();
    drawAll(state, network);
    state.drawMs.push(performance.now() - t0);
    if (state.drawMs.length > 50) state.drawMs.shift();
  });
}

// ---------------------------------------------------------------- theme and keys

function applyTheme(theme) {
  if (!THEMES.includes(theme)) return;
  if (theme !== "projector") state.lastTheme = theme;
  // a projector shows the run: the settings make room for it (E brings them back)
  if ((theme === "projector") !== (state.theme === "projector") || !document.body.dataset.ready) showSettings(theme !== "projector");
  state.theme = theme;
  showTheme(theme);
  fitPanels(theme === "projector");
  network.key = "";
  writeHash();
  draw();
  graphSoon();
}

function showSettings(visible) {
  state.settings = visible;
  document.body.classList.toggle("settings-hidden", !visible);
  $("toggle-settings").setAttribute("aria-pressed", String(!visible));
  $("toggle-settings").title = visible ? "Hide the settings (E)" : "Show the settings (E)";
}

const KEYS = {
  ArrowRight: singleStep,
  e: () => showSettings(!state.settings),
  r: reset,
  p: () => applyTheme(projectorToggled(state.theme, state.lastTheme)),
  t: () => applyTheme(nextTheme(state.theme)),
  "?": () => $("help").showModal(),
};

function onKey(e) {
  const key = pageKey(e);
  if (key === null) return;
  if (key === " ") {
    if (e.target instanceof HTMLElement && e.target.closest("button, a, input[type=checkbox]")) return; // Space presses it
    e.preventDefault();
    togglePlay();
    return;
  }
  runShortcut(e, key, KEYS);
}

// ---------------------------------------------------------------- wiring

/** The hash's speed and "Stop at" into the state; what it says (readHash). Its theme is the caller's
    to apply: applyTheme compares it with the theme on show (a projector hides the settings). */
function takeHash() {
  const view = readHash(location.hash);
  if (view.speed !== null) state.speed = view.speed;
  if (view.until !== undefined) state.until = view.until;
  if (view.config) state.presetName = view.presetName;
  return view;
}

async function loadPresets() {
  try {
    const res = await fetch("/api/train/presets");
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = await res.json();
    state.presets = body.presets;
    form.setScheduleTexts(body.schedules);
    if (Number.isInteger(body.max_history) && body.max_history >= 0) exportHistory = body.max_history;
  } catch (e) {
    form.showGeneralError(`Could not load the presets (${e.message})`);
  }
  for (const p of state.presets) {
    const o = document.createElement("option");
    o.value = p.name;
    o.textContent = p.title;
    o.title = p.description;
    $("preset").append(o);
  }
}

async function init() {
  document.addEventListener("keydown", onKey);
  on("play", "click", togglePlay);
  on("step", "click", singleStep);
  on("reset", "click", reset);
  on("speed", "change", () => {
    state.speed = $("speed").value === "auto" ? "auto" : Number($("speed").value) || 1;
    writeHash();
    if (!state.playing) return;
    state.updates = []; // the updates/s readout measures the new pace only
    streamFromHere(); // the new pace from the current step on
  });
  on("until", "change", () => {
    const v = Number($("until").value);
    state.until = Number.isInteger(v) && v > 0 ? v : null;
    writeHash();
    draw();
    if (state.playing) streamFromHere(); // a stream that ends there
  });
  on("theme", "change", () => applyTheme($("theme").value));
  on("toggle-projector", "click", () => applyTheme(projectorToggled(state.theme, state.lastTheme)));
  on("export", "click", () => state.run && exportRun(state.run, state.history, exportHistory));
  on("import", "click", () => $("import-file").click());
  onFile("import-file", importFile);
  on("help-open", "click", () => $("help").showModal());
  on("preset", "change", () => {
    if (!$("preset").value) return;
    loadPreset($("preset").value);
    $("play").focus(); // so Space plays the preset at once
  });
  for (const id of form.FIELD_IDS) on(id, "change", () => onSettingChange(id));
  on("settings", "submit", (e) => e.preventDefault());
  on("sample", "change", () => {
    state.sample = Number($("sample").value) || 0;
    graphSoon();
  });
  on("sample-fit", "click", () => {
    state.graphFit = !state.graphFit;
    $("sample-fit").setAttribute("aria-pressed", String(state.graphFit));
    $("sample-graph").classList.toggle("fit", state.graphFit);
  });
  new ResizeObserver(() => {
    fitPanels(state.theme === "projector");
    draw();
  }).observe(document.querySelector(".panels-wrap"));
  on("toggle-settings", "click", () => showSettings(!state.settings));
  on("neuron-maps", "change", () => {
    state.neuronMaps = $("neuron-maps").checked;
    draw();
    if (!state.neuronMaps || !state.valid) return;
    if (state.playing) streamFromHere(); // the next events carry them
    else enqueue(() => runner.doSteps(0)); // the maps of the weights on show
  });
  on("preset-note", "click", () => $("preset-note").classList.toggle("open"));
  network.info = $("network-info");
  const pick = (e) => state.run && pickWeight(network, e.target.closest("line"), state.run.weights, state.run.grads);
  on("network", "mouseover", pick);
  on("network", "focusin", pick);
  on("network", "mouseover", (e) => zoomNeuronMap($("network"), e.target.closest("image.neuron-map")));
  on("network", "mouseleave", () => zoomNeuronMap($("network"), null));
  setUpPointsEditor({
    points: () => (state.emptyPoints ? [] : currentPoints()),
    view: () => state.boundary,
    colours: () => canvasColours(state.theme === "projector"),
    setPoints,
    message: (text) => form.showMessage(text),
  });
  window.addEventListener("hashchange", () => {
    if (location.hash === currentHash()) return;
    const { config: c, theme } = takeHash();
    applyTheme(theme || state.theme);
    if (c) {
      pause();
      enqueue(() => startRun({ config: c }).then((ok) => ok && formFromConfig(state.run.config)));
    }
  });

  const { config: fromHash, theme } = takeHash();
  applyTheme(theme || (location.hash ? state.theme : preferredTheme()));
  $("speed").value = String(state.speed);
  $("until").value = state.until || "";
  await loadPresets();
  const pointsLeftOut = fromHash && fromHash.dataset.name === "custom" && !fromHash.dataset.points;
  if (fromHash && !pointsLeftOut) {
    const name = state.presetName;
    $("preset").value = state.presets.some((p) => p.name === name) ? name : "";
    // Fill the form from what the API makes of the hash (defaults filled in), else show the raw values.
    const ok = await enqueue(() => startRun({ config: fromHash }, [], "Link"));
    if (ok) formFromConfig(state.run.config);
    else formFromConfig(form.withDefaults(fromHash, state.presets.find((p) => p.name === DEFAULT_PRESET)));
  } else {
    await loadPreset(DEFAULT_PRESET);
    // a link to more points than an address holds: they travel in the exported file instead
    if (pointsLeftOut) form.showMessage("This link's points were too many for an address: Import the exported run to get them.");
  }
  drawAll(state, network); // at once, not on the next frame: "ready" means the numbers are on screen
  document.body.dataset.ready = "true";
  lesson = setUpLesson({ page: "train", view: currentHash, extra: () => runForSlide(state.run, state.history, currentHash()), show: showSlide });
}

exposeRun(state); // window.chainruleTrain, for the browser tests and the curious

init();
