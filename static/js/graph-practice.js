/* Practice mode on the graph page: the grads hidden (or, forward, the data), and the student asked
   for them one at a time, checked, hinted, scored. Exercises come from GET /api/exercise; the
   URL holds one as `#practice=LEVEL/SEED` (`&ask=data` for the forward variant), a typed program
   as its usual view plus `&practice=grad|data`, and either one's progress (graph-practice-progress.js).
   On a folded graph the questions are the values on screen; opening a box (click, Enter) asks
   for the values inside it next, one group at a time (graph-practice-fold.js). */

import { errorDetail } from "./api.js";
import { $, on } from "./dom.js";
import { formatNumber as fmt } from "./format.js";
import { TOLERANCE_TEXT, askOrder, close, givenAway, gradMistake, parseAnswer } from "./graph-practice-judge.js";
import { drawnAs, givens, leftInside, ready, visibleTerms } from "./graph-practice-fold.js";
import { progressTail, readProgress } from "./graph-practice-progress.js";
import { boxWorking, dataHint, dataWorking, gradHint, hideData, question, scoreText } from "./graph-practice-view.js";
import { narrate } from "./graph-steps.js";
import { hashOf } from "./graph-url.js";

const MAX_SEED = 2 ** 31 - 1;
const STEP_KEYS = new Set(["ArrowRight", "ArrowLeft", "Home", "End", " "]); // they would reveal grads
const NO_SCORE = () => ({ first: 0, later: 0, shown: 0 });

/** A graph's shape and numbers: a graph with another key starts the practice over. */
const keyOf = (g) => JSON.stringify(g.nodes.map((n) => [n.id, n.op, n.inputs, n.data, n.grad]));

/**
 * Practice mode for the page. `host` gives the page's graph(), setStep(k) (0: show the page again,
 * every grad hidden but those view() gives), load(source, values) (show and draw a program),
 * program() (its source and values), fold() and foldAs(statements) (the statements asked to be
 * drawn folded, set before a program is drawn), svg(), stopPlay() and writeHash(). The page calls
 * view() for what to show, sync() after showing it, onKey(e, key) for its shortcuts, and
 * hash(state) / readHash(hash) for its URL.
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
    known: new Set(), // ids whose grad (forward: data) is on screen: worked out, shown or given
    got: [], // ids worked out or shown, in order (the URL keeps them)
    last: null, // the value revealed last
    focus: null, // the statement opened last while practising: its values are asked first
    tries: 0, // wrong answers to the question on screen
    score: NO_SCORE(),
    restore: null, // progress from the URL ({got, score}) for the graph to come
    focusAnswer: false, // a box just opened: to the answer field, to work inside it
    startedOn: "", // the key of the graph the progress belongs to
    progressOf: "", // and the program (source and values) it belongs to
  };

  const graph = () => host.graph();
  const programKey = () => JSON.stringify([host.program().source, host.program().values]);
  const asked = () => askOrder(graph(), p.ask); // the whole graph's, folded or not
  const group = () => (p.focus === null ? null : (graph().groups || []).find((x) => x.statement === p.focus));

  /** The values to ask for on screen, in order: drawn, and (grads) not given away. */
  function onScreen() {
    const g = graph();
    if (p.ask === "grad") return g.order.filter((id) => !givenAway(g, id, p.ask));
    return asked().filter((id) => drawnAs(g, id) === id);
  }

  /** The value asked for now (inside the group opened last, if it has one to ask), or null. */
  function pending() {
    const g = graph();
    if (!g) return null;
    const open = onScreen().filter((id) => !p.known.has(id) && ready(g, id, p.ask, p.known));
    const inside = group();
    return (inside && open.find((id) => inside.members.includes(id))) || open[0] || null;
  }

  /** Give away the constants' grads whose uses all have theirs (nobody works those out). */
  function settle() {
    const g = graph();
    for (let more = true; more; ) {
      more = false;
      for (const n of g.nodes) {
        if (p.known.has(n.id) || !givenAway(g, n.id, p.ask)) continue;
        if (!g.consumers.get(n.id).every((c) => p.known.has(c.id))) continue;
        p.known.add(n.id);
        more = true;
      }
    }
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
    const g = graph();
    const terms = p.ask === "grad" && p.last !== g.output ? visibleTerms(g, p.last) : [];
    if (p.ask === "data") box.textContent = `Working: ${dataWorking(g, p.last)}`;
    else if (terms.some((t) => t.through)) box.textContent = `Working: ${boxWorking(g, p.last, terms)}`;
    else {
      narrate(box, g, 1, p.last); // the step's own sentence
      box.prepend("Working: ");
    }
  }

  /** Start the graph on screen over: nothing known but the givens, or the progress the URL held. */
  function restart() {
    const g = graph();
    const leaves = g.nodes.filter((n) => n.inputs.length === 0).map((n) => n.id);
    Object.assign(p, { known: new Set(p.ask === "data" ? leaves : []), got: [], last: null, focus: null });
    Object.assign(p, { tries: 0, score: NO_SCORE() });
    if (p.restore) {
      const all = new Set(asked());
      p.got = p.restore.got.filter((id) => all.has(id));
      p.got.forEach((id) => p.known.add(id));
      const same = p.got.length === p.restore.got.length;
      p.score = same ? { ...p.restore.score } : { ...NO_SCORE(), shown: p.got.length };
      p.restore = null;
    }
    settle();
    p.startedOn = p.key;
    p.progressOf = programKey();
    feedback("", "", "");
    host.setStep(0); // shows the page, which syncs
  }

  function start() {
    setOn(true);
    host.stopPlay();
    const g = graph();
    if (g && p.got.length && p.startedOn === keyOf(g) && asked().some((id) => !p.known.has(id))) {
      // Q pressed twice by mistake loses nothing: the same graph, unfinished, picks up where it was
      feedback(`Welcome back: the ${p.got.length} worked out so far are kept.`, "", "");
      host.setStep(0);
    } else if (g) restart();
    $("practice-answer").focus();
    host.writeHash();
  }

  function stop() {
    setOn(false);
    p.focus = null;
    const svg = host.svg();
    if (svg && graph()) hideData(svg, graph(), new Set());
    host.setStep(null);
    $("practice-toggle").focus({ preventScroll: true });
  }

  const toggle = () => (p.on ? stop() : start());

  /** What the page shows while practising: the grads known, and the value revealed last. */
  function view() {
    const g = graph();
    if (!p.on || !g) return null;
    const current = p.ask === "grad" && g.byId.has(p.last) && drawnAs(g, p.last) === p.last ? p.last : null;
    return { shown: p.ask === "grad" ? p.known : new Set(), current };
  }

  /** A statement opened (one): its values are asked next. Several opened, or it folded again: all in order. */
  function foldsChanged(before, now) {
    const opened = before.filter((k) => !now.includes(k));
    if (opened.length === 1) {
      p.focus = opened[0];
      p.tries = 0;
      const inside = group();
      feedback(inside ? `Opened ${inside.name} = ${inside.summary}: its values are asked next.` : "", "", "");
      p.focusAnswer = Boolean(inside && inside.members.includes(pending())); // once the field is enabled
    } else if (opened.length > 1 || now.includes(p.focus)) p.focus = null;
  }

  /** After each step the page shows: a new graph starts over, a fold opened asks inside it. */
  function sync() {
    const g = graph();
    if (!g) return;
    if (g !== p.seen) {
      const before = p.seen;
      p.seen = g;
      const prog = host.program();
      if (p.exercise && (prog.source !== p.exercise.source || prog.values !== p.exercise.values)) p.exercise = null;
      const key = keyOf(g);
      if (key !== p.key) {
        p.key = key;
        if (p.on) return restart();
      } else if (p.on && before) foldsChanged(before.folded || [], g.folded || []);
    }
    if (!p.on) return;
    const svg = host.svg();
    if (p.ask === "data" && svg) hideData(svg, g, new Set(asked().filter((id) => !p.known.has(id))));
    renderPanel(pending());
    if (p.focusAnswer) $("practice-answer").focus({ preventScroll: true });
    p.focusAnswer = false;
  }

  /** The question for `id`, inside the group opened last if it is there. */
  function questionFor(id) {
    const g = graph();
    const uses = p.ask === "grad" && id !== g.output ? visibleTerms(g, id).length : 0;
    const inside = group();
    const where = inside && inside.members.includes(id) ? `In ${inside.name} = ${inside.summary}: ` : "";
    return where + question(g, id, p.ask, uses);
  }

  /** What is left when nothing on screen is: the values inside folded boxes, or nothing. */
  function doneText() {
    const what = p.ask === "grad" ? "grads" : "data";
    const left = leftInside(graph(), asked(), p.known);
    if (left.count) {
      return `Done on screen. ${left.count} ${what} left inside ${left.boxes.join(", ")}: open a box (click it, or Tab to it and press Enter) to practise inside it.`;
    }
    return `Done: all ${asked().length} ${what} worked out. Next exercise, or ask for the ${p.ask === "grad" ? "data" : "grads"}.`;
  }

  function renderPanel(id) {
    $("practice-question").textContent = id ? questionFor(id) : doneText();
    const given = id ? givens(graph(), id, p.ask) : ""; // the numbers a folded box hides
    $("practice-given").textContent = given;
    $("practice-given").hidden = !given;
    for (const x of ["practice-answer", "practice-check", "practice-show"]) $(x).disabled = !id;
    $("practice-exercise").textContent = p.exercise
      ? `Exercise ${p.exercise.seed} · ${p.exercise.title}`
      : "Your own program. Next loads a generated exercise.";
    $("practice-score").textContent = scoreText(p.score, asked().length);
    $("practice-tolerance").textContent = TOLERANCE_TEXT;
    $("practice-level").value = String(p.level);
    $("practice-ask").value = p.ask;
  }

  /** The answer after a right answer or "Show me": reveal it (the page shows it), and give its working. */
  function reveal(id) {
    p.tries = 0;
    $("practice-answer").value = "";
    p.known.add(id);
    p.got.push(id);
    p.last = id;
    settle();
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
    const terms = p.ask === "grad" && id !== g.output ? visibleTerms(g, id) : [];
    const hint = p.ask === "grad" ? gradHint(g, id, gradMistake(g, id, x, terms), terms) : dataHint(g, id);
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

  /** A new exercise: no progress, and drawn as the server chooses (folded only when big). */
  function fresh(level, seed) {
    p.restore = null;
    host.foldAs(null);
    loadExercise(level, seed);
  }

  const next = () => fresh(Number($("practice-level").value), (p.seed + 1) % (MAX_SEED + 1));

  /** The URL's hash while practising (null when not), with the progress so far. */
  function hash(state) {
    if (!p.on) return null;
    // the progress, while the program on screen is the one it was made on (not one being typed)
    const tail = progressTail(p.restore || (programKey() === p.progressOf ? p : null), host.fold());
    const ask = p.ask === "data" ? "&ask=data" : "";
    if (p.exercise) return `#practice=${p.exercise.level}/${p.exercise.seed}${ask}${tail}`;
    return `${hashOf({ ...state, step: null })}&practice=${p.ask}${tail}`;
  }

  /** Take practice from a URL hash; true when it names an exercise (which is then loaded). */
  function readHash(raw) {
    const q = new URLSearchParams(raw.replace(/^#/, ""));
    const m = /^([1-5])\/(\d{1,10})$/.exec(q.get("practice") || "");
    const exercise = m && Number(m[2]) <= MAX_SEED;
    if (exercise || (q.has("src") && ["grad", "data"].includes(q.get("practice")))) {
      p.ask = q.get("ask") === "data" || q.get("practice") === "data" ? "data" : "grad";
      const { progress, fold } = readProgress(q);
      p.restore = progress;
      host.foldAs(fold);
      p.key = ""; // start over on the graph to come, from the progress the URL holds
      setOn(true);
      if (exercise) loadExercise(Number(m[1]), Number(m[2]));
      return Boolean(exercise);
    }
    if (p.on) stop();
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
  on("practice-level", "change", () => fresh(Number($("practice-level").value), 0));
  on("practice-ask", "change", () => {
    p.ask = $("practice-ask").value;
    if (p.on && graph()) restart();
    host.writeHash();
  });

  return { view, sync, onKey, hash, readHash, toggle };
}
