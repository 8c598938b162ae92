/* Practice mode on the graph page: the grads hidden (or, forward, the data), and the student asked
   for them one at a time, checked, hinted, scored. Exercises come from GET /api/exercise; the
   URL holds one as `#practice=LEVEL/SEED` (`&ask=data` for the forward variant), a typed program
   as its usual view plus `&practice=grad|data`. The backward variant is the page's own step walk:
   a right answer (or "Show me") takes one step, which reveals that grad and narrates its working. */

import { errorDetail } from "./api.js";
import { $, on } from "./dom.js";
import { formatNumber as fmt } from "./format.js";
import { TOLERANCE_TEXT, askOrder, close, givenAway, gradMistake, parseAnswer } from "./graph-practice-judge.js";
import { dataHint, dataWorking, gradHint, hideData, question, scoreText } from "./graph-practice-view.js";
import { narrate } from "./graph-steps.js";
import { hashOf } from "./graph-url.js";

const MAX_SEED = 2 ** 31 - 1;
const STEP_KEYS = new Set(["ArrowRight", "ArrowLeft", "Home", "End", " "]); // they would reveal grads

/** A graph's shape and numbers: a graph with another key starts the practice over. */
const keyOf = (g) => JSON.stringify(g.nodes.map((n) => [n.id, n.op, n.inputs, n.data, n.grad]));

/**
 * Practice mode for the page. `host` gives the page's graph(), step(), setStep(k),
 * load(source, values) (show and draw a program), program() (its source and values),
 * svg(), stopPlay() and writeHash(). The page calls sync() after each step is shown,
 * onKey(e, key) for its shortcuts, and hash(state) / readHash(hash) for its URL.
 */
export function createPractice(host) {
  const p = {
    on: false,
    ask: "grad", // "grad": backward, "data": forward
    level: 1,
    seed: -1, // the last exercise loaded
    exercise: null, // the API's exercise while the page shows its program
    seen: null, // the graph last synced
    key: "",
    done: 0, // forward: values worked out
    lastData: null, // forward: the value worked out last
    lastGrad: null, // backward: the value whose grad was revealed last
    tries: 0, // wrong answers to the question on screen
    score: { first: 0, later: 0, shown: 0 },
  };

  const graph = () => host.graph();
  const list = () => askOrder(graph(), p.ask);
  const position = () => (p.ask === "grad" ? (host.step() ?? list().length) : p.done);

  /** The value asked for now, or null when all are done (or there is no graph). */
  function pending() {
    if (!graph()) return null;
    const ids = list();
    return position() < ids.length ? ids[position()] : null;
  }

  function setOn(onNow) {
    p.on = onNow;
    $("practice").hidden = !onNow;
    document.body.classList.toggle("practicing", onNow);
    const btn = $("practice-toggle");
    btn.setAttribute("aria-pressed", String(onNow));
    btn.textContent = onNow ? "Stop practice" : "Practice";
  }

  /** The verdict ("right", "wrong" or "shown": said in words too), and under it a hint. */
  function feedback(verdict, kind, hint) {
    const v = $("practice-verdict");
    v.textContent = verdict;
    v.className = `practice-verdict ${kind ? `is-${kind}` : ""}`;
    $("practice-hint").textContent = hint;
  }

  /** Under the verdict, the working of the value just revealed. */
  function showWorking() {
    const box = $("practice-hint");
    if (p.ask === "data") box.textContent = `Working: ${dataWorking(graph(), p.lastData)}`;
    else {
      const g = graph();
      narrate(box, g, g.order.indexOf(p.lastGrad) + 1, p.lastGrad); // the step's own sentence
      box.prepend("Working: ");
    }
  }

  function restart() {
    Object.assign(p, { done: 0, lastData: null, lastGrad: null, tries: 0, score: { first: 0, later: 0, shown: 0 } });
    feedback("", "", "");
    stepTo(0); // every grad hidden; shows the step, which syncs
  }

  /** Show step `k` of backward, past any constants (their grads are given away). */
  function stepTo(k) {
    const order = graph().order;
    while (k < order.length && givenAway(graph(), order[k], p.ask)) k += 1;
    host.setStep(k);
  }

  function start() {
    setOn(true);
    host.stopPlay();
    if (graph()) restart();
    $("practice-answer").focus();
    host.writeHash();
  }

  function stop() {
    setOn(false);
    const svg = host.svg();
    if (svg && graph()) hideData(svg, graph(), new Set());
    host.setStep(null);
    $("practice-toggle").focus({ preventScroll: true });
  }

  const toggle = () => (p.on ? stop() : start());

  /** After each step the page shows: a new graph starts over; the drawing hides what is asked. */
  function sync() {
    const g = graph();
    if (!g) return;
    if (g !== p.seen) {
      p.seen = g;
      const prog = host.program();
      if (p.exercise && (prog.source !== p.exercise.source || prog.values !== p.exercise.values)) p.exercise = null;
      const key = keyOf(g);
      if (key !== p.key) {
        p.key = key;
        if (p.on) return restart();
      }
    }
    if (!p.on) return;
    const svg = host.svg();
    if (p.ask === "data" && svg) hideData(svg, g, new Set(list().slice(p.done)));
    renderPanel(pending());
  }

  function renderPanel(id) {
    const g = graph();
    const ids = list().filter((x) => !givenAway(g, x, p.ask));
    const what = p.ask === "grad" ? "grads" : "data";
    $("practice-question").textContent = id
      ? question(g, id, p.ask)
      : `Done: all ${ids.length} ${what} worked out. Next exercise, or ask for the ${p.ask === "grad" ? "data" : "grads"}.`;
    for (const x of ["practice-answer", "practice-check", "practice-show"]) $(x).disabled = !id;
    $("practice-exercise").textContent = p.exercise
      ? `Exercise ${p.exercise.seed} · ${p.exercise.title}`
      : "Your own program. Next loads a generated exercise.";
    $("practice-score").textContent = scoreText(p.score, ids.length);
    $("practice-tolerance").textContent = TOLERANCE_TEXT;
    $("practice-level").value = String(p.level);
    $("practice-ask").value = p.ask;
  }

  /** The answer after a right answer or "Show me": reveal it, and give its working. */
  function reveal(id) {
    p.tries = 0;
    $("practice-answer").value = "";
    if (p.ask === "grad") {
      p.lastGrad = id;
      stepTo(host.step() + 1);
      return;
    }
    p.done += 1;
    p.lastData = id;
    host.setStep(0);
  }

  function answer() {
    const id = pending();
    if (!id) return;
    const g = graph();
    const x = parseAnswer($("practice-answer").value);
    if (x === null) return feedback("Not a number: type a number such as -1.5 or 0.25.", "wrong", "");
    const n = g.byId.get(id);
    const target = p.ask === "grad" ? n.grad : n.data;
    const label = p.ask === "grad" ? `${g.names.get(id)}.grad` : `${g.names.get(id)}'s data`;
    if (close(x, target)) {
      if (p.tries) p.score.later += 1;
      else p.score.first += 1;
      reveal(id);
      feedback(`✓ Right: ${label} = ${fmt(target)}.`, "right", "");
      showWorking();
      renderPanel(pending());
      return;
    }
    p.tries += 1;
    const hint = p.ask === "grad" ? gradHint(g, id, gradMistake(g, id, x)) : dataHint(g, id);
    feedback(`✗ Not quite: ${label} is not ${fmt(x)}.`, "wrong", hint);
  }

  function showMe() {
    const id = pending();
    if (!id) return;
    const g = graph();
    const n = g.byId.get(id);
    const label = p.ask === "grad" ? `${g.names.get(id)}.grad` : `${g.names.get(id)}'s data`;
    p.score.shown += 1;
    reveal(id);
    feedback(`Shown: ${label} = ${fmt(p.ask === "grad" ? n.grad : n.data)}.`, "shown", "");
    showWorking();
    renderPanel(pending());
    $("practice-answer").focus();
  }

  async function loadExercise(level, seed) {
    p.level = level;
    p.seed = seed;
    $("practice-exercise").textContent = `Loading level ${level}, exercise ${seed}…`;
    let res;
    let body;
    try {
      res = await fetch(`/api/exercise?level=${level}&seed=${seed}`, { headers: { Accept: "application/json" } });
      body = await res.json().catch(() => null);
    } catch (err) {
      $("practice-exercise").textContent = `The server did not answer (${err.message}).`;
      return;
    }
    if (!res.ok || !body) {
      $("practice-exercise").textContent = errorDetail(res.status, body).message;
      return;
    }
    p.exercise = body;
    if (!p.on) setOn(true);
    host.load(body.source, body.values);
    host.writeHash();
  }

  const next = () => loadExercise(Number($("practice-level").value), (p.seed + 1) % (MAX_SEED + 1));

  /** The URL's hash while practising (null when not). */
  function hash(state) {
    if (!p.on) return null;
    if (p.exercise) return `#practice=${p.exercise.level}/${p.exercise.seed}${p.ask === "data" ? "&ask=data" : ""}`;
    return `${hashOf({ ...state, step: null })}&practice=${p.ask}`;
  }

  /** Take practice from a URL hash; true when it names an exercise (which is then loaded). */
  function readHash(raw) {
    const q = new URLSearchParams(raw.replace(/^#/, ""));
    const m = /^([1-5])\/(\d{1,10})$/.exec(q.get("practice") || "");
    if (m && Number(m[2]) <= MAX_SEED) {
      p.ask = q.get("ask") === "data" ? "data" : "grad";
      setOn(true);
      loadExercise(Number(m[1]), Number(m[2]));
      return true;
    }
    if (q.has("src") && ["grad", "data"].includes(q.get("practice"))) {
      p.ask = q.get("practice");
      p.key = ""; // start over on the graph to come
      setOn(true);
    } else if (p.on) stop();
    return false;
  }

  /** The page's shortcut keys: Q toggles practice; while practising, the step keys are off. */
  function onKey(e, key) {
    if (key === "q") {
      e.preventDefault();
      toggle();
      return true;
    }
    if (!p.on || !STEP_KEYS.has(key)) return false;
    if (key === " " && e.target instanceof Element && e.target.closest("button, a, [role=button]")) return false;
    e.preventDefault();
    return true;
  }

  on("practice-toggle", "click", toggle);
  on("practice-stop", "click", stop);
  on("practice-form", "submit", (e) => {
    e.preventDefault();
    answer();
  });
  on("practice-show", "click", showMe);
  on("practice-next", "click", next);
  on("practice-level", "change", () => loadExercise(Number($("practice-level").value), 0));
  on("practice-ask", "change", () => {
    p.ask = $("practice-ask").value;
    if (p.on && graph()) restart();
    host.writeHash();
  });

  return { sync, onKey, hash, readHash, toggle };
}
