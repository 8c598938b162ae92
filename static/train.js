/* chainrule's training page: train micrograd's MLP live and watch it learn.
   Plain JS, no dependencies, no inline handlers (the page runs under a strict CSP).
   Everything it fetches comes from this app (see docs/api.md): GET /api/train/presets,
   POST /api/train/stream while playing (server-sent events read from a fetch() body),
   POST /api/train/step for one step or a new run, and POST /api/graph for one sample's graph.
   The server keeps nothing: the page holds the run (one JSON state) and sends it with every request. */
"use strict";

(() => {
  // ---------------------------------------------------------------- constants

  const { THEMES, nextTheme, projectorToggled, preferredTheme, typingIn, literal, download, showTheme } =
    window.chainruleCommon;
  const TWO_D = ["moons", "circles", "xor", "spiral", "blobs"];
  const GRID = 40; // decision-boundary cells per side
  const CHART_HISTORY = 1000; // steps the loss chart keeps
  // an exported run keeps at most the server's train_max_history entries (GET /api/train/presets
  // says how many), or the API would refuse it; 200 is that setting's default
  let exportHistory = 200;
  const GRAPH_EVERY_MS = 700; // the sample's graph is re-rendered at most this often while playing
  const GRAPH_MAX_NODES = 300; // bigger nets skip the sample's graph (the API's cap is 400)
  // Playing streams the steps. A speed of n steps per update asks for an event every n steps,
  // with a pause of STREAM_GAP_MS between events; the server's own time comes on top (measured on
  // 2 busy cores: 25-35 ms an event for the demo's 16-16-1 net and its boundary, ~60 ms for 5 steps
  // of spiral-adam): 10-20 updates a second, more for small nets (a frame shows the latest).
  // "auto" is one step an event, AUTO_GAP_MS apart: about 12-15 steps a second for the demo.
  const STREAM_GAP_MS = 20;
  const AUTO_GAP_MS = 45;
  const STREAM_CHUNK = 1000; // steps per stream when "Stop at" is not set; the next stream goes on
  const MAX_STREAM_STEPS = 10000; // the server's train_max_stream_steps
  const RESUME_TRIES = 3; // a dropped stream is resumed from the last state this many times in a row
  const RESUME_WAIT_MS = 300; // before the first resumption; twice that before the second...
  const BUSY_WAIT_MS = 1000; // a stream that ended "busy" is reopened after this
  const TOO_HIGH_LR = 10; // the "learning rate too high" toggle (as the lr-too-high preset)
  const HASH_DELAY_MS = 250;
  const DEFAULT_PRESET = "micrograd-demo";

  // Fields that change how the next step trains, not what is trained: the weights stay.
  const LIVE_FIELDS = new Set(["lr", "schedule", "lr-end", "decay", "l2", "loss", "reduction", "batch", "fzg", "too-high"]);

  // ---------------------------------------------------------------- helpers

  const $ = (id) => document.getElementById(id);
  /** Resolves after `ms`, or at once when `signal` (optional) is aborted. */
  const sleep = (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      const wake = () => (clearTimeout(timer), resolve());
      if (signal && signal.aborted) wake();
      else if (signal) signal.addEventListener("abort", wake, { once: true });
    });
  const SVG_NS = "http://www.w3.org/2000/svg";

  function svgEl(tag, attrs) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    return el;
  }

  function fmt(x, digits = 4) {
    if (x === null || x === undefined || !Number.isFinite(x)) return "–";
    const a = Math.abs(x);
    if (a >= 1e5 || (a > 0 && a < 1e-4)) return x.toExponential(2).replace("e+", "e");
    const s = x.toFixed(digits);
    return /^-0\.0+$/.test(s) ? s.slice(1) : s;
  }

  const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : "–");

  // ---------------------------------------------------------------- state

  const state = {
    presets: [],
    presetName: "",
    run: null, // the state document without its history (the page keeps the history)
    history: [], // [{step, loss, accuracy}], the last CHART_HISTORY of them
    boundary: null,
    predictions: null,
    valid: false, // the current settings made a run the API accepts
    playing: false,
    theme: "light",
    lastTheme: "light",
    speed: "auto", // steps per update: a number, or "auto" (one step at a time, AUTO_GAP_MS apart)
    until: null,
    sample: 0,
    graphFit: false,
    savedLr: null, // {lr, schedule} before "learning rate too high"
    updates: [], // timestamps of recent updates, for the rate readout
    drawMs: [], // how long the recent frames took to draw
  };

  let queue = Promise.resolve(); // every API call that changes the run goes through here, in order
  let generation = 0; // bumped by every new run: answers for an older run are dropped
  let streamStop = null; // the AbortController of the stream that is playing (or queued to)

  const el = {
    preset: $("preset"),
    play: $("play"),
    speed: $("speed"),
    until: $("until"),
    theme: $("theme"),
    message: $("message"),
    general: $("err-general"),
    boundary: $("boundary"),
    chart: $("chart"),
    network: $("network"),
    predChart: $("predictions-chart"),
    predTable: $("predictions").querySelector("tbody"),
    sample: $("sample"),
    sampleGraph: $("sample-graph"),
    sampleNote: $("sample-note"),
    sampleError: $("sample-error"),
    help: $("help"),
    file: $("import-file"),
  };

  // ---------------------------------------------------------------- settings form <-> config

  const FIELD_IDS = [
    "dataset", "samples", "noise", "data-seed", "layers", "activation", "seed", "loss", "reduction",
    "optimizer", "lr", "schedule", "lr-end", "decay", "l2", "batch", "fzg", "too-high",
  ];

  /** A number field's value: a number, null when empty (if allowed), else the raw text for the API to judge. */
  function numberOf(id, emptyIsNull = false) {
    const raw = $(id).value.trim();
    if (raw === "") return emptyIsNull ? null : raw;
    const x = Number(raw);
    return Number.isFinite(x) ? x : raw;
  }

  function layersOf(text) {
    const parts = text.split(/[\s,;[\]]+/).filter(Boolean);
    return parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  }

  let baseConfig = null; // the last config, for the fields the form does not show (Adam's betas...)

  function configFromForm() {
    const base = baseConfig || {};
    return {
      dataset: {
        name: $("dataset").value,
        n_samples: numberOf("samples"),
        noise: numberOf("noise"),
        seed: numberOf("data-seed"),
      },
      layers: layersOf($("layers").value),
      activation: $("activation").value,
      loss: $("loss").value,
      reduction: $("reduction").value,
      l2: numberOf("l2"),
      optimizer: {
        ...(base.optimizer || {}),
        name: $("optimizer").value,
        lr: numberOf("lr"),
        schedule: $("schedule").value,
        lr_end: numberOf("lr-end"),
        decay_steps: numberOf("decay"),
      },
      batch_size: numberOf("batch", true),
      seed: numberOf("seed"),
      forget_zero_grad: $("fzg").checked,
    };
  }

  function formFromConfig(c) {
    baseConfig = c;
    $("dataset").value = c.dataset.name;
    $("samples").value = c.dataset.n_samples;
    $("noise").value = c.dataset.noise;
    $("data-seed").value = c.dataset.seed;
    $("layers").value = c.layers.join(", ");
    $("activation").value = c.activation;
    $("loss").value = c.loss;
    $("reduction").value = c.reduction;
    $("l2").value = c.l2;
    $("optimizer").value = c.optimizer.name;
    $("lr").value = c.optimizer.lr;
    $("schedule").value = c.optimizer.schedule;
    $("lr-end").value = c.optimizer.lr_end;
    $("decay").value = c.optimizer.decay_steps;
    $("batch").value = c.batch_size === null ? "" : c.batch_size;
    $("seed").value = c.seed;
    $("fzg").checked = !!c.forget_zero_grad;
    $("too-high").checked = c.optimizer.lr === TOO_HIGH_LR && c.optimizer.schedule === "constant";
    syncFormVisibility();
  }

  function syncFormVisibility() {
    const linear = $("schedule").value === "linear";
    for (const div of document.querySelectorAll("[data-when=linear]")) div.hidden = !linear;
    const lecture = $("dataset").value === "lecture";
    for (const id of ["samples", "noise", "data-seed"]) {
      $(id).disabled = lecture;
      $(id).title = lecture ? "the lecture's four samples are fixed" : "";
    }
  }

  // ---------------------------------------------------------------- URL hash: the configuration

  const HASH_KEYS = {
    dataset: ["dataset", "name"],
    samples: ["dataset", "n_samples"],
    noise: ["dataset", "noise"],
    dseed: ["dataset", "seed"],
    activation: ["activation"],
    loss: ["loss"],
    reduction: ["reduction"],
    l2: ["l2"],
    opt: ["optimizer", "name"],
    lr: ["optimizer", "lr"],
    schedule: ["optimizer", "schedule"],
    lr_end: ["optimizer", "lr_end"],
    decay: ["optimizer", "decay_steps"],
    beta1: ["optimizer", "beta1"],
    beta2: ["optimizer", "beta2"],
    eps: ["optimizer", "eps"],
    seed: ["seed"],
  };

  function hashFromState() {
    const c = state.run ? state.run.config : configFromForm();
    const p = new URLSearchParams();
    if (state.presetName) p.set("preset", state.presetName);
    for (const [key, path] of Object.entries(HASH_KEYS)) {
      const v = path.reduce((o, k) => (o ? o[k] : undefined), c);
      if (v !== undefined && v !== null) p.set(key, String(v));
    }
    p.set("layers", (c.layers || []).join(","));
    p.set("batch", c.batch_size === null || c.batch_size === undefined ? "full" : String(c.batch_size));
    p.set("fzg", c.forget_zero_grad ? "1" : "0");
    p.set("speed", String(state.speed));
    if (state.until) p.set("until", String(state.until));
    p.set("theme", state.theme);
    return "#" + p.toString();
  }

  let hashTimer = 0;
  function writeHash() {
    clearTimeout(hashTimer);
    hashTimer = setTimeout(() => {
      const hash = hashFromState();
      if (location.hash !== hash) history.replaceState(null, "", hash);
    }, HASH_DELAY_MS);
  }

  /** The config in the hash over the defaults, or null when the hash holds none. */
  function configFromHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    const theme = p.get("theme");
    if (THEMES.includes(theme)) state.theme = theme;
    const speed = p.get("speed") === "auto" ? "auto" : Number(p.get("speed"));
    if (["auto", 1, 2, 5, 10, 25].includes(speed)) state.speed = speed;
    if (p.has("until")) state.until = /^\d+$/.test(p.get("until")) ? Number(p.get("until")) : null;
    if (!p.has("dataset")) return null;
    const c = { dataset: {}, optimizer: {} };
    for (const [key, path] of Object.entries(HASH_KEYS)) {
      if (!p.has(key)) continue;
      const raw = p.get(key);
      const x = Number(raw);
      const value = raw !== "" && Number.isFinite(x) ? x : raw;
      if (path.length === 2) c[path[0]][path[1]] = value;
      else c[path[0]] = value;
    }
    if (p.has("layers")) c.layers = layersOf(p.get("layers"));
    if (p.has("batch")) c.batch_size = p.get("batch") === "full" ? null : Number(p.get("batch")) || p.get("batch");
    if (p.has("fzg")) c.forget_zero_grad = p.get("fzg") === "1";
    state.presetName = p.get("preset") || "";
    return c;
  }

  // ---------------------------------------------------------------- errors next to their fields

  // The API names a bad field by its loc after ["body", "state"]; this maps it to a control.
  const LOC_FIELDS = [
    [["config", "dataset", "name"], "dataset"],
    [["config", "dataset", "n_samples"], "samples"],
    [["config", "dataset", "noise"], "noise"],
    [["config", "dataset", "seed"], "data-seed"],
    [["config", "dataset"], "dataset"],
    [["config", "layers"], "layers"],
    [["config", "activation"], "activation"],
    [["config", "loss"], "loss"],
    [["config", "reduction"], "reduction"],
    [["config", "l2"], "l2"],
    [["config", "optimizer", "lr_end"], "lr-end"],
    [["config", "optimizer", "lr"], "lr"],
    [["config", "optimizer", "schedule"], "schedule"],
    [["config", "optimizer", "decay_steps"], "decay"],
    [["config", "optimizer"], "optimizer"],
    [["config", "batch_size"], "batch"],
    [["config", "seed"], "seed"],
    [["config", "forget_zero_grad"], "fzg"],
  ];

  function clearErrors() {
    for (const p of document.querySelectorAll(".settings .field-error")) p.remove();
    for (const c of document.querySelectorAll(".settings [aria-invalid]")) c.removeAttribute("aria-invalid");
    el.general.hidden = true;
    el.general.textContent = "";
  }

  function showFieldError(field, text) {
    const ctl = document.querySelector(`.ctl[data-field="${field}"]`);
    const input = $(field);
    if (!ctl || !input) return false;
    let p = ctl.querySelector(".field-error");
    if (!p) {
      p = document.createElement("p");
      p.className = "field-error";
      p.id = `err-${field}`;
      p.setAttribute("role", "alert");
      ctl.append(p);
    }
    p.textContent = p.textContent ? `${p.textContent} ${text}` : text;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", p.id);
    if (ctl.hidden) ctl.hidden = false;
    return true;
  }

  function showGeneralError(text) {
    el.general.textContent = text;
    el.general.hidden = false;
  }

  /** Puts an API error where it belongs; `where` says what was being done. */
  function showApiError(status, body, where) {
    const detail = body && body.detail;
    if (Array.isArray(detail)) {
      for (const d of detail) {
        const loc = (d.loc || []).filter((k) => k !== "body" && k !== "state");
        const hit = LOC_FIELDS.find(([path]) => path.every((k, i) => loc[i] === k));
        if (!(hit && showFieldError(hit[1], d.msg))) {
          showGeneralError(`${where}: ${loc.join(".") || "request"}: ${d.msg}`);
        }
      }
      return;
    }
    const message = detail && (detail.message || (typeof detail === "string" ? detail : null));
    showGeneralError(`${where}: ${message || `the server answered ${status}`}`);
  }

  // ---------------------------------------------------------------- the API

  class ApiError extends Error {
    constructor(status, body) {
      super(`HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }

  const BUSY_RETRIES = 3; // a busy server (503) is asked again after its Retry-After, this many times

  /** A JSON POST, asked again while the server answers 503 (busy); `signal` can abort it and its waits. */
  async function post(url, body, signal) {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        signal,
      });
      if (res.status !== 503 || attempt >= BUSY_RETRIES) return res;
      const wait = Math.min(Number(res.headers.get("Retry-After")) || 1, 5);
      await sleep(wait * 1000, signal);
    }
  }

  async function apiError(res) {
    let data = null;
    try {
      data = await res.json();
    } catch (_) {
      /* not JSON: reported by status */
    }
    return new ApiError(res.status, data);
  }

  async function postJson(url, body) {
    const res = await post(url, body);
    if (!res.ok) throw await apiError(res);
    return res.json();
  }

  const nin = (run) => (run.config.dataset.name === "lecture" ? 3 : 2);

  /** What a step or a stream request sends: the run, kept small, and the page's extras. */
  function stepBody(run) {
    return {
      // The page keeps the history, and the API only reads the old grads when they pile up
      // (forget zero_grad): leaving them out keeps the request small.
      state: { ...run, history: [], grads: run.config.forget_zero_grad ? run.grads : null },
      grid: nin(run) === 2 ? GRID : null, // the decision boundary, for 2-D data
      predictions: true,
    };
  }

  const stepRequest = (run, steps) => postJson("/api/train/step", { ...stepBody(run), steps });

  function enqueue(fn) {
    const job = queue.then(fn, fn);
    queue = job.catch(() => {});
    return job;
  }

  function adopt(data, history) {
    const { history: _ignored, ...run } = data.state;
    state.run = run;
    if (history) {
      state.history = history; // a new run: its own history, and its own rate
      state.updates = [];
    }
    for (const m of data.metrics || []) state.history.push(m);
    if (state.history.length > CHART_HISTORY) state.history.splice(0, state.history.length - CHART_HISTORY);
    state.boundary = data.boundary;
    state.predictions = data.predictions;
    state.valid = true;
    baseConfig = run.config;
    state.updates.push([performance.now(), run.step]);
    if (state.updates.length > 30) state.updates.shift();
    draw();
    graphSoon();
  }

  /** A new run at step 0 from `run` (weights null: from the seed); false if the API refused it. */
  async function startRun(run, history = [], where = "Settings") {
    const gen = ++generation;
    try {
      const data = await stepRequest(run, 0);
      if (gen !== generation) return false;
      clearErrors();
      hideMessage();
      adopt(data, history);
      lastGraphKey = "";
      writeHash();
      return true;
    } catch (e) {
      if (gen !== generation) return false;
      clearErrors();
      if (e instanceof ApiError) showApiError(e.status, e.body, where);
      else showGeneralError(`${where}: could not reach the server (${e.message})`);
      state.valid = false;
      pause();
      draw();
      return false;
    }
  }

  async function doSteps(n) {
    if (!state.valid || !state.run) return;
    const gen = generation;
    let data;
    try {
      data = await stepRequest(state.run, n);
    } catch (e) {
      if (gen !== generation) return;
      pause();
      if (e instanceof ApiError) showApiError(e.status, e.body, "Step");
      else showGeneralError(`Step: could not reach the server (${e.message})`);
      return;
    }
    if (gen !== generation) return;
    adoptStep(data);
  }

  /** Takes a step answer (from /step or from the stream) and pauses where the run must stop. */
  function adoptStep(data) {
    adopt(data);
    if (data.stopped) {
      pause();
      showDiverged(data.stopped);
    } else if (state.playing && atStopAt()) {
      pause();
      showMessage(`Reached step ${state.run.step}: paused (Stop at).`, "info");
    }
  }

  const atStopAt = () => !!state.until && state.run.step >= state.until;

  function showDiverged(stopped) {
    showMessage(
      `Training diverged at step ${stopped.step}: ${stopped.reason}. ` +
        "That step was not applied; the run stays at its last good state. Lower the learning rate, or Reset."
    );
  }

  // ---------------------------------------------------------------- playing: the stream (POST /api/train/stream)

  /** Reads a text/event-stream body, calling onEvent({event, id, data}) per event, until the body ends. */
  async function readEvents(body, onEvent) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let rest = ""; // the start of a line whose end has not arrived
    let event = { event: "message", id: null, data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      rest += decoder.decode(value, { stream: !done });
      const lines = rest.split(/\r?\n/); // (the format also allows a lone \r, which the server never sends)
      rest = done ? "" : lines.pop();
      for (const line of lines) {
        if (line === "") {
          // a blank line ends an event; several data lines are one data, joined by "\n"
          if (event.data.length) onEvent({ ...event, data: event.data.join("\n") });
          event = { event: "message", id: null, data: [] };
        } else if (!line.startsWith(":")) {
          // "field: value" ("field:value" too); a line starting with ":" is a comment
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "data") event.data.push(value);
          else if (field === "event") event.event = value;
          else if (field === "id") event.id = value;
          // "retry" is for EventSource's own reconnection; the page resumes by itself
        }
      }
      if (done) return; // an event cut off before its blank line is dropped, as EventSource does
    }
  }

  /** Streams the run from its latest state: one stream after another, until Pause, "Stop at" or an
      error. A stream that breaks off is resumed from the last state received. `signal`: pause()'s. */
  async function streamRun(signal) {
    const gen = generation;
    const live = () => !signal.aborted && gen === generation && state.playing;
    let drops = 0; // streams in a row that broke off without bringing a step
    while (live()) {
      if (atStopAt()) {
        pause(); // "Stop at" was moved below the current step
        showMessage(`Reached step ${state.run.step}: paused (Stop at).`, "info");
        return;
      }
      const steps = Math.min(state.until ? state.until - state.run.step : STREAM_CHUNK, MAX_STREAM_STEPS);
      const pace =
        state.speed === "auto"
          ? { every: 1, interval_ms: AUTO_GAP_MS }
          : { every: state.speed, interval_ms: STREAM_GAP_MS };
      let done = null; // the "done" event's data; null while the stream has not said it is done
      let trouble = "the stream broke off";
      try {
        const res = await post("/api/train/stream", { ...stepBody(state.run), steps, ...pace }, signal);
        if (!res.ok) throw await apiError(res);
        await readEvents(res.body, (e) => {
          if (!live()) return; // paused, or a new run: nothing read after that counts
          const data = JSON.parse(e.data);
          if (e.event === "step") {
            drops = 0;
            adoptStep(data);
          } else if (e.event === "done") {
            done = data;
          }
        });
      } catch (e) {
        if (!live()) return;
        if (e instanceof ApiError) {
          pause();
          showApiError(e.status, e.body, "Play");
          return;
        }
        trouble = e.message;
      }
      if (!live()) return;
      if (done === null) {
        if (++drops > RESUME_TRIES) {
          pause();
          showGeneralError(`Play: could not reach the server (${trouble})`);
          return;
        }
        await sleep(RESUME_WAIT_MS * 2 ** (drops - 1), signal);
      } else if (done.reason === "diverged") {
        pause(); // (the step event has paused already)
        if (done.stopped) showDiverged(done.stopped);
        return;
      } else if (done.reason === "busy") {
        await sleep(BUSY_WAIT_MS, signal);
      }
      // "finished" (a chunk: the next one goes on) and "time limit": on from the last state
    }
  }

  /** Stops the stream at once: no event read after this changes the run. */
  function stopStream() {
    if (streamStop) streamStop.abort();
    streamStop = null;
  }

  /** (Re)starts the stream from the run's latest state, once what is queued before it is done. */
  function streamFromHere() {
    stopStream();
    const controller = new AbortController();
    streamStop = controller;
    enqueue(() => streamRun(controller.signal));
  }

  // ---------------------------------------------------------------- play, pause, step, reset

  function setPlaying(on) {
    state.playing = on;
    el.play.textContent = on ? "Pause" : "Play";
    el.play.setAttribute("aria-pressed", String(on));
    document.body.classList.toggle("playing", on);
  }

  function pause() {
    setPlaying(false);
    stopStream();
    graphSoon();
  }

  function play() {
    if (!state.valid) return;
    if (state.until && state.run && state.run.step >= state.until) state.until = null; // play on past it
    el.until.value = state.until || "";
    hideMessage();
    state.updates = [];
    setPlaying(true);
    streamFromHere();
  }

  const togglePlay = () => (state.playing ? pause() : play());

  function singleStep() {
    pause();
    hideMessage();
    return enqueue(() => doSteps(1));
  }

  function reset() {
    pause();
    const config = configFromForm();
    return enqueue(() => startRun({ config }));
  }

  // ---------------------------------------------------------------- presets, settings, import, export

  function loadPreset(name) {
    const p = state.presets.find((x) => x.name === name);
    if (!p) return Promise.resolve(false);
    pause();
    state.presetName = name;
    el.preset.value = name;
    state.until = p.steps;
    el.until.value = p.steps;
    state.speed = p.steps > 200 ? 5 : "auto";
    el.speed.value = String(state.speed);
    formFromConfig(p.state.config);
    return enqueue(() => startRun(p.state));
  }

  function onSettingChange(field) {
    if (field === "too-high") {
      if ($("too-high").checked) {
        state.savedLr = { lr: $("lr").value, schedule: $("schedule").value };
        $("lr").value = TOO_HIGH_LR;
        $("schedule").value = "constant";
      } else {
        const s = state.savedLr || { lr: "0.1", schedule: "constant" };
        $("lr").value = s.lr;
        $("schedule").value = s.schedule;
        state.savedLr = null;
      }
    } else if (field === "lr" || field === "schedule") {
      $("too-high").checked = Number($("lr").value) === TOO_HIGH_LR && $("schedule").value === "constant";
    }
    syncFormVisibility();
    state.presetName = "";
    el.preset.value = "";
    const config = configFromForm();
    const playing = state.playing;
    stopStream(); // while playing, the stream goes on below, from the state these settings make
    let job;
    if (LIVE_FIELDS.has(field) && state.run && state.run.step > 0) {
      // Same weights, new rules from the next step on: check them with a 0-step request.
      job = enqueue(async () => {
        const gen = generation;
        const next = { ...state.run, config };
        if (config.optimizer.name !== "adam") next.optimizer_state = null;
        try {
          const data = await stepRequest(next, 0);
          if (gen !== generation) return;
          clearErrors();
          adopt(data);
          writeHash();
        } catch (e) {
          if (gen !== generation) return;
          pause();
          state.valid = false; // the form no longer says what the run would do: fix it first
          draw();
          clearErrors();
          if (e instanceof ApiError) showApiError(e.status, e.body, "Settings");
          else showGeneralError(`Settings: could not reach the server (${e.message})`);
        }
      });
    } else {
      job = enqueue(() => startRun({ config }));
    }
    if (playing) streamFromHere(); // (a refused setting pauses, which stops this stream too)
    return job;
  }

  function exportRun() {
    if (!state.run) return;
    // at most the history the API accepts, so that the file can be imported (or POSTed) again
    const doc = { ...state.run, history: state.history.slice(-exportHistory) };
    const blob = new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" });
    download(blob, `chainrule-run-${state.run.config.dataset.name}-step${state.run.step}.json`);
  }

  const goodMetric = (m) =>
    m && typeof m === "object" && [m.step, m.loss, m.accuracy].every((x) => typeof x === "number" && Number.isFinite(x));

  async function importFile(file) {
    clearErrors();
    let doc;
    try {
      doc = JSON.parse(await file.text());
    } catch (e) {
      showGeneralError(`Import: ${file.name} is not JSON (${e.message})`);
      return;
    }
    if (doc && typeof doc === "object" && doc.state && typeof doc.state === "object" && !doc.config) doc = doc.state;
    if (!doc || typeof doc !== "object" || Array.isArray(doc) || !doc.config) {
      showGeneralError(`Import: ${file.name} is not a chainrule run (no "config")`);
      return;
    }
    pause();
    const history = Array.isArray(doc.history) ? doc.history.filter(goodMetric).slice(-CHART_HISTORY) : [];
    const ok = await enqueue(() => startRun({ ...doc, history: [] }, history, `Import ${file.name}`));
    if (ok) {
      state.presetName = "";
      el.preset.value = "";
      formFromConfig(state.run.config);
      writeHash();
      showMessage(`Imported ${file.name}: step ${state.run.step}.`, "info");
    }
  }

  // ---------------------------------------------------------------- messages

  function showMessage(text, kind = "warn") {
    el.message.textContent = text;
    el.message.dataset.kind = kind;
    el.message.hidden = false;
  }

  function hideMessage() {
    el.message.hidden = true;
    el.message.textContent = "";
  }

  // ---------------------------------------------------------------- drawing (one requestAnimationFrame per change)

  let drawPending = false;
  function draw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      const t0 = performance.now();
      drawAll();
      state.drawMs.push(performance.now() - t0);
      if (state.drawMs.length > 50) state.drawMs.shift();
    });
  }

  function currentLr(run) {
    const o = run.config.optimizer;
    if (o.schedule !== "linear") return o.lr;
    const k = Math.min(run.step, o.decay_steps);
    return o.lr - ((o.lr - o.lr_end) * k) / o.decay_steps;
  }

  const softplus = (z) => (z > 30 ? z : z < -30 ? 0 : Math.log1p(Math.exp(z)));
  const LOSSES = {
    svm: (s, y) => Math.max(0, 1 - y * s),
    mse: (s, y) => (s - y) ** 2,
    bce: (s, y) => softplus(-y * s), // -log sigmoid(y*s)
  };

  /** The whole dataset's loss and accuracy under the current weights (shown before the first step). */
  function evaluate(run, p) {
    if (!p || !p.score.length) return null;
    const c = run.config;
    let loss = 0;
    let right = 0;
    p.score.forEach((s, i) => {
      loss += LOSSES[c.loss](s, p.target[i]);
      if (s > 0 === p.target[i] > 0) right += 1;
    });
    if (c.reduction === "mean") loss /= p.score.length;
    let sq = 0;
    for (const l of run.weights.layers) for (const n of l.neurons) sq += n.b * n.b + n.w.reduce((a, w) => a + w * w, 0);
    return { step: run.step, loss: loss + c.l2 * sq, accuracy: right / p.score.length };
  }

  function drawAll() {
    const run = state.run;
    const last = state.history.length ? state.history[state.history.length - 1] : run && evaluate(run, state.predictions);
    $("stat-step").textContent = run ? String(run.step) : "–";
    $("stat-loss").textContent = last ? fmt(last.loss) : "–";
    $("stat-acc").textContent = last ? pct(last.accuracy) : "–";
    $("stat-lr").textContent = run ? fmt(currentLr(run)) : "–";
    const u = state.updates;
    const span = u.length > 2 && state.playing ? (u[u.length - 1][0] - u[0][0]) / 1000 : 0;
    $("stat-rate").textContent = span
      ? `${((u.length - 1) / span).toFixed(0)} updates/s · ${((u[u.length - 1][1] - u[0][1]) / span).toFixed(0)} steps/s`
      : "";
    el.play.disabled = !state.valid;
    $("step").disabled = !state.valid;
    if (!run) return;
    const twoD = nin(run) === 2;
    $("boundary-panel").hidden = !twoD;
    $("predictions-panel").hidden = twoD;
    const root = getComputedStyle(document.documentElement); // read once a frame, not once a colour
    const cssVar = (name) => root.getPropertyValue(name).trim();
    const fontPx = parseFloat(root.fontSize);
    const textPx = state.theme === "projector" ? Math.round(fontPx) : Math.max(12, Math.round(fontPx * 0.8));
    const colours = {
      pos: cssVar("--pos"),
      neg: cssVar("--neg"),
      text: cssVar("--text"),
      muted: cssVar("--muted"),
      border: cssVar("--border"),
      surface: cssVar("--surface"),
      fontPx: textPx,
      font: `${textPx}px ${cssVar("--font") || "sans-serif"}`,
      projector: state.theme === "projector",
    };
    if (twoD) drawBoundary(colours);
    else drawPredictions(colours);
    drawChart(colours);
    drawNetwork(colours);
  }

  /** A canvas sized to its CSS box at the device's pixel ratio; returns its 2-D context and size. */
  function fitCanvas(canvas, aspect) {
    const w = Math.max(120, Math.floor(canvas.parentElement.clientWidth - 2));
    const hgt = Math.round(w * aspect);
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(hgt * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(hgt * dpr);
      canvas.style.height = `${hgt}px`;
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    return { ctx, w, h: hgt };
  }

  function rgb(hex) {
    const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
    return m ? [1, 2, 3].map((i) => parseInt(m[i], 16)) : [128, 128, 128];
  }

  const heatCanvas = document.createElement("canvas");

  function drawBoundary(c) {
    const { ctx, w, h } = fitCanvas(el.boundary, 1);
    const b = state.boundary;
    if (!b) return;
    const n = b.size;
    heatCanvas.width = n;
    heatCanvas.height = n;
    const hctx = heatCanvas.getContext("2d");
    const img = hctx.createImageData(n, n);
    const pos = rgb(c.pos);
    const neg = rgb(c.neg);
    const bg = rgb(c.surface);
    const strength = c.projector ? 0.45 : 0.55;
    for (let i = 0; i < n; i++) {
      const row = b.scores[i];
      for (let j = 0; j < n; j++) {
        const s = row[j];
        const t = Math.min(1, Math.abs(Math.tanh(s))) * strength;
        const col = s > 0 ? pos : neg;
        const k = 4 * ((n - 1 - i) * n + j); // row 0 is y_min: the bottom of the picture
        img.data[k] = bg[0] + (col[0] - bg[0]) * t;
        img.data[k + 1] = bg[1] + (col[1] - bg[1]) * t;
        img.data[k + 2] = bg[2] + (col[2] - bg[2]) * t;
        img.data[k + 3] = 255;
      }
    }
    hctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(heatCanvas, 0, 0, n, n, 0, 0, w, h);
    const sx = (x) => ((x - b.x_min) / (b.x_max - b.x_min)) * w;
    const sy = (y) => h - ((y - b.y_min) / (b.y_max - b.y_min)) * h;
    const p = state.predictions;
    if (!p) return;
    const r = c.projector ? 5.5 : 4;
    ctx.lineWidth = c.projector ? 2 : 1.2;
    for (let i = 0; i < p.x.length; i++) {
      const [x, y] = p.x[i];
      const X = sx(x);
      const Y = sy(y);
      const t = p.target[i];
      ctx.fillStyle = t > 0 ? c.pos : c.neg;
      ctx.strokeStyle = c.surface;
      ctx.beginPath();
      if (t > 0) ctx.arc(X, Y, r, 0, 2 * Math.PI);
      else ctx.rect(X - r, Y - r, 2 * r, 2 * r);
      ctx.fill();
      ctx.stroke();
      if (Math.sign(p.score[i]) !== Math.sign(t)) {
        ctx.strokeStyle = c.text;
        ctx.lineWidth = c.projector ? 2.5 : 1.5;
        ctx.beginPath();
        ctx.arc(X, Y, r + 3, 0, 2 * Math.PI);
        ctx.stroke();
        ctx.lineWidth = c.projector ? 2 : 1.2;
      }
    }
    // the boundary itself: where the score crosses 0 (a dotted outline of the sign change)
    ctx.fillStyle = c.text;
    const cw = w / (n - 1);
    const ch = h / (n - 1);
    for (let i = 0; i < n - 1; i++) {
      for (let j = 0; j < n - 1; j++) {
        const s = b.scores[i][j] > 0;
        if (s !== b.scores[i][j + 1] > 0 || s !== b.scores[i + 1][j] > 0) {
          ctx.fillRect(j * cw + cw / 2 - 1, h - (i * ch + ch / 2) - 1, 2, 2);
        }
      }
    }
  }

  function drawPredictions(c) {
    const p = state.predictions;
    const { ctx, w, h } = fitCanvas(el.predChart, 0.55);
    const rows = [];
    if (p) {
      for (let i = 0; i < p.x.length; i++) {
        rows.push(
          `<tr><th scope="row">${i + 1}</th><td class="mono nowrap">[${p.x[i].map((v) => fmt(v, 1)).join(", ")}]</td>` +
            `<td class="mono">${fmt(p.target[i], 1)}</td><td class="mono ${p.score[i] >= 0 ? "pos" : "neg"}">${fmt(p.score[i])}</td></tr>`
        );
      }
    }
    el.predTable.innerHTML = rows.join(""); // numbers only: nothing user-made goes into this HTML
    if (!p) return;
    const n = p.x.length;
    const pad = { l: c.fontPx * 2.2, r: 8, t: 8, b: c.fontPx * 1.6 };
    const lo = Math.min(-1.5, ...p.score);
    const hi = Math.max(1.5, ...p.score);
    const Y = (v) => pad.t + ((hi - v) / (hi - lo)) * (h - pad.t - pad.b);
    ctx.font = c.font;
    ctx.fillStyle = c.muted;
    ctx.strokeStyle = c.border;
    ctx.lineWidth = 1;
    for (const v of [-1, 0, 1]) {
      ctx.beginPath();
      ctx.moveTo(pad.l, Y(v));
      ctx.lineTo(w - pad.r, Y(v));
      ctx.stroke();
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      ctx.fillText(String(v), pad.l - 4, Y(v));
    }
    const slot = (w - pad.l - pad.r) / n;
    for (let i = 0; i < n; i++) {
      const x0 = pad.l + i * slot;
      const bw = slot * 0.34;
      // target: a hollow bar; prediction: a filled bar next to it
      ctx.strokeStyle = c.text;
      ctx.lineWidth = c.projector ? 3 : 2;
      ctx.strokeRect(x0 + slot * 0.12, Math.min(Y(0), Y(p.target[i])), bw, Math.abs(Y(p.target[i]) - Y(0)));
      ctx.fillStyle = p.score[i] >= 0 ? c.pos : c.neg;
      ctx.fillRect(x0 + slot * 0.54, Math.min(Y(0), Y(p.score[i])), bw, Math.abs(Y(p.score[i]) - Y(0)));
      ctx.fillStyle = c.text;
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      ctx.fillText(`#${i + 1}`, x0 + slot / 2, h - pad.b + 4);
    }
  }

  function niceTicks(lo, hi, count) {
    const span = hi - lo || 1;
    const step0 = span / count;
    const mag = 10 ** Math.floor(Math.log10(step0));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) || 10 * mag;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(12)));
    return out;
  }

  function drawChart(c) {
    const { ctx, w, h } = fitCanvas(el.chart, 0.55);
    const hist = state.history;
    ctx.font = c.font;
    const pad = { l: c.fontPx * 3.6, r: c.fontPx * 3, t: c.fontPx * 0.7, b: c.fontPx * 1.9 };
    const pw = w - pad.l - pad.r;
    const ph = h - pad.t - pad.b;
    ctx.strokeStyle = c.border;
    ctx.lineWidth = 1;
    ctx.strokeRect(pad.l, pad.t, pw, ph);
    if (!hist.length) return;
    const s0 = hist[0].step;
    const s1 = Math.max(hist[hist.length - 1].step, s0 + 10, state.until || 0);
    const losses = hist.map((m) => m.loss);
    const maxL = Math.max(...losses);
    const minL = Math.min(...losses);
    const log = minL > 0 && maxL / minL > 200;
    $("chart-scale").textContent = log ? "(log scale)" : "";
    const f = log ? Math.log10 : (v) => v;
    const lo = log ? Math.floor(f(minL)) : 0;
    const hi = log ? Math.ceil(f(maxL)) : maxL > 0 ? maxL * 1.05 : 1;
    const X = (s) => pad.l + ((s - s0) / (s1 - s0)) * pw;
    const YL = (v) => pad.t + ph - ((f(v) - lo) / (hi - lo || 1)) * ph;
    const YA = (a) => pad.t + ph - a * ph;
    // axes labels
    ctx.fillStyle = c.muted;
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    const lticks = log ? Array.from({ length: hi - lo + 1 }, (_, i) => lo + i) : niceTicks(0, hi, 5);
    for (const t of lticks) {
      const y = log ? pad.t + ph - ((t - lo) / (hi - lo || 1)) * ph : YL(t);
      ctx.fillText(log ? `1e${t}` : fmt(t, t < 1 ? 2 : 1).replace(/\.?0+$/, "") || "0", pad.l - 5, y);
      ctx.strokeStyle = c.border;
      ctx.beginPath();
      ctx.moveTo(pad.l, y);
      ctx.lineTo(pad.l + pw, y);
      ctx.stroke();
    }
    ctx.textAlign = "left";
    for (const a of [0, 0.5, 1]) ctx.fillText(`${a * 100}%`, pad.l + pw + 5, YA(a));
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of niceTicks(s0, s1, 5)) ctx.fillText(String(t), X(t), pad.t + ph + 4);
    // the lines: loss solid blue, accuracy dashed vermillion
    ctx.save();
    ctx.beginPath();
    ctx.rect(pad.l, pad.t, pw, ph);
    ctx.clip();
    ctx.lineJoin = "round";
    ctx.lineWidth = c.projector ? 4 : 2.2;
    ctx.strokeStyle = c.pos;
    ctx.beginPath();
    hist.forEach((m, i) => (i ? ctx.lineTo(X(m.step), YL(m.loss)) : ctx.moveTo(X(m.step), YL(m.loss))));
    ctx.stroke();
    ctx.setLineDash(c.projector ? [10, 6] : [6, 4]);
    ctx.strokeStyle = c.neg;
    ctx.beginPath();
    hist.forEach((m, i) => (i ? ctx.lineTo(X(m.step), YA(m.accuracy)) : ctx.moveTo(X(m.step), YA(m.accuracy))));
    ctx.stroke();
    ctx.restore();
    // the latest values as dots (also the only mark while there is one point)
    const m = hist[hist.length - 1];
    const r = c.projector ? 6 : 4;
    ctx.fillStyle = c.pos;
    ctx.beginPath();
    ctx.arc(X(m.step), YL(m.loss), r, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = c.neg;
    ctx.fillRect(X(m.step) - r, YA(m.accuracy) - r, 2 * r, 2 * r);
  }

  // The network: one column of circles per layer, one line per weight (colour: sign, width: |w|).
  let networkKey = "";
  let networkLines = [];

  function drawNetwork(c) {
    const run = state.run;
    const svg = el.network;
    const layers = run.weights.layers;
    const sizes = [nin(run), ...layers.map((l) => l.neurons.length)];
    const key = sizes.join("-") + c.projector;
    const W = 420;
    const H = 260;
    const colX = (i) => 30 + (i * (W - 60)) / (sizes.length - 1);
    const rowY = (k, n) => (n === 1 ? H / 2 : 16 + (k * (H - 32)) / (n - 1));
    const r = Math.max(2.5, Math.min(9, (H - 32) / Math.max(...sizes) / 3));
    if (key !== networkKey) {
      networkKey = key;
      svg.replaceChildren();
      svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
      const lines = svgEl("g", { class: "weights" });
      const nodes = svgEl("g", { class: "neurons" });
      networkLines = [];
      layers.forEach((layer, li) => {
        layer.neurons.forEach((neuron, j) => {
          neuron.w.forEach((_, i) => {
            const line = svgEl("line", {
              x1: colX(li), y1: rowY(i, sizes[li]), x2: colX(li + 1), y2: rowY(j, sizes[li + 1]),
            });
            line.append(svgEl("title"));
            lines.append(line);
            networkLines.push({ line, li, j, i });
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
        }
      });
      svg.append(lines, nodes);
    }
    let maxW = 0;
    for (const l of layers) for (const n of l.neurons) for (const v of n.w) maxW = Math.max(maxW, Math.abs(v));
    const scale = (c.projector ? 7 : 5) / Math.max(1, maxW);
    for (const { line, li, j, i } of networkLines) {
      const v = layers[li].neurons[j].w[i];
      // Changing an SVG presentation attribute restyles far more than an inline style does
      // (measured in Chromium: ~30 ms a frame for the demo's 304 lines): the width, which changes
      // every step, is a style; the colour attribute is set only when the sign flips.
      const stroke = v >= 0 ? c.pos : c.neg;
      if (line.getAttribute("stroke") !== stroke) line.setAttribute("stroke", stroke);
      line.style.strokeWidth = (0.4 + Math.abs(v) * scale).toFixed(2);
      line.firstChild.textContent = `w = ${fmt(v)} (layer ${li + 1}, neuron ${j + 1}, input ${i + 1})`;
    }
  }

  // ---------------------------------------------------------------- one sample's scalar graph (POST /api/graph)

  /** Values the program makes: inputs, target, per neuron its w, b, products, sums and activation. */
  function graphNodeCount(run) {
    let n = nin(run) + 1 + 4; // inputs, target, loss ops
    let fanIn = nin(run);
    run.weights.layers.forEach((layer, li) => {
      const last = li === run.weights.layers.length - 1;
      n += layer.neurons.length * (3 * fanIn + 1 + (last ? 0 : 1));
      fanIn = layer.neurons.length;
    });
    return n;
  }

  const ACT = { relu: "relu", tanh: "tanh", sigmoid: "sigmoid" };

  /** The program for sample `k`: micrograd's Neuron, sum((wi*xi for ...), b), written out line by line. */
  function sampleProgram(run, x, target) {
    const c = run.config;
    const lines = [`# sample: x = [${x.map((v) => fmt(v, 2)).join(", ")}], target ${target}; the weights at step ${run.step}`];
    x.forEach((v, i) => lines.push(`x${i + 1} = ${literal(v)}`));
    let inputs = x.map((_, i) => `x${i + 1}`);
    const layers = run.weights.layers;
    layers.forEach((layer, li) => {
      const last = li === layers.length - 1;
      const outs = [];
      layer.neurons.forEach((neuron, j) => {
        const tag = `${li + 1}_${j + 1}`;
        neuron.w.forEach((w, i) => lines.push(`w${tag}_${i + 1} = ${literal(w)}`));
        lines.push(`b${tag} = ${literal(neuron.b)}`);
        const sum = [`b${tag}`, ...inputs.map((inp, i) => `w${tag}_${i + 1}*${inp}`)].join(" + ");
        if (last) {
          lines.push(`score = ${sum}`);
          outs.push("score");
        } else {
          lines.push(`n${tag} = ${sum}`);
          lines.push(`h${tag} = ${ACT[c.activation]}(n${tag})`);
          outs.push(`h${tag}`);
        }
      });
      inputs = outs;
    });
    lines.push(`y = ${literal(target)}`);
    if (c.loss === "mse") lines.push("L = (score - y)**2");
    else if (c.loss === "svm") lines.push("L = relu(1 - y*score)");
    else lines.push("L = -log(sigmoid(y*score))");
    return lines.join("\n") + "\n";
  }

  let graphTimer = 0;
  let graphBusy = false;
  let lastGraphAt = 0;
  let lastGraphKey = "";

  function graphSoon() {
    clearTimeout(graphTimer);
    const wait = state.playing ? Math.max(0, GRAPH_EVERY_MS - (performance.now() - lastGraphAt)) : 0;
    graphTimer = setTimeout(renderGraph, wait);
  }

  function syncSampleOptions(p) {
    const n = p.x.length;
    if (el.sample.options.length === n) return;
    el.sample.replaceChildren();
    for (let i = 0; i < n; i++) {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = `#${i + 1}: [${p.x[i].map((v) => fmt(v, 2)).join(", ")}] → ${p.target[i]}`;
      el.sample.append(o);
    }
    state.sample = Math.min(state.sample, n - 1);
    el.sample.value = String(state.sample);
  }

  async function renderGraph() {
    const run = state.run;
    const p = state.predictions;
    const panel = $("sample-panel");
    if (!run || !p || !state.valid || graphNodeCount(run) > GRAPH_MAX_NODES) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    syncSampleOptions(p);
    if (graphBusy) {
      graphSoon();
      return;
    }
    const k = state.sample;
    const source = sampleProgram(run, p.x[k], p.target[k]);
    const key = `${source}|${state.theme}`;
    if (key === lastGraphKey) return;
    graphBusy = true;
    lastGraphAt = performance.now();
    try {
      const data = await postJson("/api/graph", { source, theme: state.theme });
      lastGraphKey = key;
      el.sampleError.hidden = true;
      el.sampleGraph.innerHTML = data.svg; // the server's SVG (no scripts: Graphviz output)
      const svg = el.sampleGraph.querySelector("svg");
      if (svg) {
        const fresh = el.sampleGraph.dataset.layout !== `${graphNodeCount(run)}|${state.theme}`;
        if (fresh && !state.graphFit) {
          // a new picture: start at the middle of the height, where the network's columns are
          el.sampleGraph.dataset.layout = `${graphNodeCount(run)}|${state.theme}`;
          el.sampleGraph.scrollTop = (el.sampleGraph.scrollHeight - el.sampleGraph.clientHeight) / 2;
        }
      }
      const out = data.nodes.find((nd) => nd.id === data.output);
      const nodeCount = data.nodes.length;
      el.sampleNote.textContent =
        `${nodeCount} values. Sample #${k + 1}'s own loss L = ${fmt(out.data)}; ` +
        "the grads are this sample's share of the step (the step itself uses the whole batch" +
        (run.config.l2 ? " and adds L2" : "") + ").";
      $("sample-open").href = "/#" + new URLSearchParams({ src: source, theme: state.theme }).toString();
    } catch (e) {
      el.sampleError.hidden = false;
      el.sampleError.textContent =
        e instanceof ApiError
          ? `The graph API refused this sample's program (${e.status}): ${JSON.stringify(e.body && e.body.detail)}`
          : `The graph API did not answer (${e.message})`;
    } finally {
      graphBusy = false;
    }
    if (key !== lastGraphKey || state.playing) graphSoon();
  }

  // ---------------------------------------------------------------- theme

  function applyTheme(theme) {
    if (!THEMES.includes(theme)) return;
    if (theme !== "projector") state.lastTheme = theme;
    state.theme = theme;
    showTheme(theme);
    networkKey = "";
    writeHash();
    draw();
    graphSoon();
  }

  // ---------------------------------------------------------------- keyboard

  function onKey(e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || typingIn(e.target)) return;
    if (document.querySelector("dialog[open]")) return;
    const onButton = e.target instanceof HTMLElement && e.target.closest("button, a, input[type=checkbox]");
    if (e.key === " ") {
      if (onButton) return; // Space presses the focused button
      e.preventDefault();
      togglePlay();
      return;
    }
    const actions = {
      ArrowRight: singleStep,
      r: reset,
      p: () => applyTheme(projectorToggled(state.theme, state.lastTheme)),
      t: () => applyTheme(nextTheme(state.theme)),
      "?": () => el.help.showModal(),
    };
    const fn = actions[e.key.length === 1 ? e.key.toLowerCase() : e.key];
    if (fn) {
      e.preventDefault();
      fn();
    }
  }

  // ---------------------------------------------------------------- wiring

  async function init() {
    document.addEventListener("keydown", onKey);
    el.play.addEventListener("click", togglePlay);
    $("step").addEventListener("click", singleStep);
    $("reset").addEventListener("click", reset);
    el.speed.addEventListener("change", () => {
      state.speed = el.speed.value === "auto" ? "auto" : Number(el.speed.value) || 1;
      writeHash();
      if (!state.playing) return;
      state.updates = []; // the updates/s readout measures the new pace only
      streamFromHere(); // the new pace from the current step on
    });
    el.until.addEventListener("change", () => {
      const v = Number(el.until.value);
      state.until = Number.isInteger(v) && v > 0 ? v : null;
      writeHash();
      draw();
      if (state.playing) streamFromHere(); // a stream that ends there
    });
    el.theme.addEventListener("change", () => applyTheme(el.theme.value));
    $("toggle-projector").addEventListener("click", () =>
      applyTheme(projectorToggled(state.theme, state.lastTheme))
    );
    $("export").addEventListener("click", exportRun);
    $("import").addEventListener("click", () => el.file.click());
    el.file.addEventListener("change", () => {
      const f = el.file.files[0];
      el.file.value = "";
      if (f) importFile(f);
    });
    $("help-open").addEventListener("click", () => el.help.showModal());
    el.preset.addEventListener("change", () => {
      if (!el.preset.value) return;
      loadPreset(el.preset.value);
      el.play.focus(); // so Space plays the preset at once
    });
    for (const id of FIELD_IDS) $(id).addEventListener("change", () => onSettingChange(id));
    $("settings").addEventListener("submit", (e) => e.preventDefault());
    el.sample.addEventListener("change", () => {
      state.sample = Number(el.sample.value) || 0;
      graphSoon();
    });
    $("sample-fit").addEventListener("click", () => {
      state.graphFit = !state.graphFit;
      $("sample-fit").setAttribute("aria-pressed", String(state.graphFit));
      el.sampleGraph.classList.toggle("fit", state.graphFit);
    });
    window.addEventListener("resize", draw);
    window.addEventListener("hashchange", () => {
      if (location.hash === hashFromState()) return;
      const c = configFromHash();
      applyTheme(state.theme);
      if (c) {
        pause();
        enqueue(() => startRun({ config: c }).then((ok) => ok && formFromConfig(state.run.config)));
      }
    });

    const fromHash = configFromHash();
    if (!location.hash) state.theme = preferredTheme();
    applyTheme(state.theme);
    el.speed.value = String(state.speed);
    el.until.value = state.until || "";
    try {
      const res = await fetch("/api/train/presets");
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = await res.json();
      state.presets = body.presets;
      if (Number.isInteger(body.max_history) && body.max_history >= 0) exportHistory = body.max_history;
    } catch (e) {
      showGeneralError(`Could not load the presets (${e.message})`);
    }
    for (const p of state.presets) {
      const o = document.createElement("option");
      o.value = p.name;
      o.textContent = p.title;
      o.title = p.description;
      el.preset.append(o);
    }
    if (fromHash) {
      const name = state.presetName;
      el.preset.value = state.presets.some((p) => p.name === name) ? name : "";
      // Fill the form from what the API makes of the hash (defaults filled in), else show the raw values.
      const ok = await enqueue(() => startRun({ config: fromHash }, [], "Link"));
      if (ok) formFromConfig(state.run.config);
      else formFromConfig(mergeDefaults(fromHash));
    } else {
      await loadPreset(DEFAULT_PRESET);
    }
    drawAll(); // at once, not on the next frame: "ready" means the numbers are on screen
    document.body.dataset.ready = "true";
  }

  /** A config from the hash with the micrograd demo's values where it says nothing (for the form only). */
  function mergeDefaults(c) {
    const d = (state.presets.find((p) => p.name === DEFAULT_PRESET) || { state: { config: null } }).state.config;
    if (!d) return { dataset: {}, optimizer: {}, layers: [], ...c };
    return { ...d, ...c, dataset: { ...d.dataset, ...c.dataset }, optimizer: { ...d.optimizer, ...c.optimizer } };
  }

  // for the browser tests and the curious: read-only views of the run
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
    get run() {
      return state.run ? structuredClone(state.run) : null;
    },
    sampleProgram: () => (state.run && state.predictions ? sampleProgram(state.run, state.predictions.x[state.sample], state.predictions.target[state.sample]) : null),
  };

  init();
})();
