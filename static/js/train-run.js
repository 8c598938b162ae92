/* The run: every request that changes it (POST /api/train/step, and the stream while playing),
   in order, and the answers taken into the controller's state. createRun(state, page) returns the
   functions; `page` gives what the page does around them: draw(), graphSoon() (the sample's
   graph), writeHash(), configFromForm() and newRun() (a new run has started). */

import { ApiError, postJson } from "./api.js";
import { $ } from "./dom.js";
import * as form from "./train-form.js";
import { BUSY_RETRIES, playStream, streamPace } from "./train-stream.js";
import { nin } from "./train-view.js";

const GRID = 40; // decision-boundary cells per side
const NEURON_GRID = 20; // each hidden neuron's map: cells per side (small: one per neuron)
export const CHART_HISTORY = 1000; // steps the loss chart keeps

export function createRun(state, page) {
  let queue = Promise.resolve(); // every API call that changes the run goes through here, in order
  let generation = 0; // bumped by every new run: answers for an older run are dropped
  let streamStop = null; // the AbortController of the stream that is playing (or queued to)

  // ---------------------------------------------------------------- the run and the API

  /** What a step or a stream request sends: the run, kept small, and the page's extras. */
  function stepBody(run) {
    return {
      // The page keeps the history, and the API only reads the old grads when they pile up
      // (forget zero_grad): leaving them out keeps the request small.
      state: { ...run, history: [], grads: run.config.forget_zero_grad ? run.grads : null },
      grid: nin(run) === 2 ? GRID : null, // the decision boundary, for 2-D data
      predictions: true,
      neuron_grid: nin(run) === 2 && state.neuronMaps ? NEURON_GRID : null, // "Neuron maps"
    };
  }

  const stepRequest = (run, steps) => postJson("/api/train/step", { ...stepBody(run), steps }, { busyRetries: BUSY_RETRIES });

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
    state.neurons = data.neurons || null;
    state.lr = data.lr;
    state.sampleNodes = data.sample_nodes;
    state.valid = true;
    state.baseConfig = run.config;
    state.updates.push([performance.now(), run.step]);
    if (state.updates.length > 30) state.updates.shift();
    page.draw();
    page.graphSoon();
  }

  function showRequestError(e, where) {
    if (e instanceof ApiError) form.showApiError(e.status, e.body, where);
    else form.showGeneralError(`${where}: could not reach the server (${e.message})`);
  }

  /** A new run from `run` (weights null: from the seed, at step 0); false if the API refused it.
      `keep`: a refusal leaves the current run as it was, playable (an imported file that is not a run). */
  async function startRun(run, history = [], where = "Settings", keep = false) {
    const gen = ++generation;
    try {
      const data = await stepRequest(run, 0);
      if (gen !== generation) return false;
      form.clearErrors();
      form.hideMessage();
      adopt(data, history);
      page.newRun();
      page.writeHash();
      return true;
    } catch (e) {
      if (gen !== generation) return false;
      form.clearErrors();
      if (keep) {
        const why = e instanceof ApiError ? `not a valid run: ${form.apiErrorText(e.status, e.body)}` : `could not reach the server (${e.message})`;
        form.showMessage(`${where}: ${why}. The current run is unchanged.`);
        return false;
      }
      showRequestError(e, where);
      state.valid = false;
      pause();
      page.draw();
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
      showRequestError(e, "Step");
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
      form.showMessage(`Reached step ${state.run.step}: paused (Stop at).`, "info");
    }
  }

  const atStopAt = () => !!state.until && state.run.step >= state.until;

  function showDiverged(stopped) {
    form.showMessage(
      `Training diverged at step ${stopped.step}: ${stopped.reason}. ` +
        "That step was not applied; the run stays at its last good state. Lower the learning rate, or Reset."
    );
  }

  // ---------------------------------------------------------------- playing: the stream

  /** Plays from the run's latest state until Pause, "Stop at" or an error. `signal`: pause()'s. */
  async function streamRun(signal) {
    const gen = generation;
    const live = () => !signal.aborted && gen === generation && state.playing;
    const end = await playStream({
      signal,
      live,
      body: () => ({ ...stepBody(state.run), ...streamPace(state.run.step, state.until, state.speed) }),
      onStep: adoptStep,
      atStopAt,
    });
    if (!end) return;
    pause(); // (a diverged step has paused already)
    if (end.ended === "stop at") form.showMessage(`Reached step ${state.run.step}: paused (Stop at).`, "info");
    else if (end.ended === "refused") form.showApiError(end.error.status, end.error.body, "Play");
    else if (end.ended === "unreachable") form.showGeneralError(`Play: could not reach the server (${end.trouble})`);
    else if (end.stopped) showDiverged(end.stopped);
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
    $("play").textContent = on ? "Pause" : "Play";
    $("play").setAttribute("aria-pressed", String(on));
    document.body.classList.toggle("playing", on);
  }

  function pause() {
    setPlaying(false);
    stopStream();
    page.graphSoon();
  }

  function play() {
    if (!state.valid) return;
    if (state.until && state.run && state.run.step >= state.until) state.until = null; // play on past it
    $("until").value = state.until || "";
    form.hideMessage();
    state.updates = [];
    setPlaying(true);
    streamFromHere();
  }

  const togglePlay = () => (state.playing ? pause() : play());

  function singleStep() {
    pause();
    form.hideMessage();
    return enqueue(() => doSteps(1));
  }

  function reset() {
    pause();
    const config = page.configFromForm();
    return enqueue(() => startRun({ config }));
  }

  return {
    stepBody,
    stepRequest,
    enqueue,
    adopt,
    startRun,
    showRequestError,
    pause,
    play,
    togglePlay,
    singleStep,
    reset,
    stopStream,
    streamFromHere,
    doSteps,
    /** Bumped by every new run: an answer that arrives under another generation is dropped. */
    get generation() {
      return generation;
    },
  };
}
