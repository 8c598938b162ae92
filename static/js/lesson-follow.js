/* A student following a live lesson on the real page (/?follow=CODE#view, /train?follow=CODE#view):
   each view the teacher sends is applied here, on this page or by going to the other one. Once
   the student changes the view themselves (clicks a node, moves a value, steps), they have
   wandered off: the teacher's views wait until "Back to the teacher". The teacher's title is
   shown as text; the view itself goes through the page's own URL-hash reader (and its `show`
   hook, for the run or the camera a view carries). */

import { $, on } from "./dom.js";
import { PAGES } from "./lesson.js";
import { follow } from "./live.js";

/** Make `hash` this page's view through the page's own hashchange handler (no history entry). */
export function applyHash(hash) {
  history.replaceState(null, "", location.pathname + location.search + hash);
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

/** Show a slide or a live view ({hash, run?, camera?}) on this page: the page's `show` hook, else its hash. */
export function showOnPage({ view, show }, v) {
  if (show) show(v.hash, v);
  else if (view() !== v.hash) applyHash(v.hash);
}

/** Follow lesson `code` on this page; returns {changed} for the page to call on each view change. */
export function setUpFollowing(code, hooks) {
  const { page, view, fit } = hooks;
  let teacher = null; // the latest view the teacher sent (checked)
  let touched = false; // the student used the page since the teacher's view was applied
  let wandered = false;
  let movedOn = false; // the teacher sent a view since the student wandered off
  let state = "Connecting…";
  const bar = $("follow-bar");

  document.body.classList.add("following");
  document.body.append(bar); // out of the top bar: the page's last row, under everything it shows
  bar.hidden = false;

  function show() {
    const where = wandered ? `Exploring on your own${movedOn ? ": the teacher has moved on" : ""}` : state;
    $("follow-state").textContent = `${where} · lesson ${code}`;
    $("follow-title").textContent = teacher ? teacher.title : "";
    bar.classList.toggle("wandered", wandered);
  }

  function apply(v) {
    touched = false;
    wandered = false;
    movedOn = false;
    show();
    if (v.page !== page) {
      location.assign(`${PAGES[v.page]}?follow=${encodeURIComponent(code)}${v.hash}`);
      return;
    }
    showOnPage(hooks, v);
  }

  // what the student does on the page (not on the bar) counts; the page's own redraws do not
  for (const type of ["pointerdown", "keydown", "input", "change", "wheel"]) {
    document.addEventListener(type, (e) => {
      if (!(e.target instanceof Node && bar.contains(e.target))) touched = true;
    }, true);
  }

  follow(
    code,
    (v) => {
      if (!v) {
        state = "The teacher sent a view this page cannot show";
        return show();
      }
      teacher = v;
      if (wandered) {
        movedOn = true;
        show();
      }
      else apply(v);
    },
    (text, ended) => {
      state = ended ? text : text === "Live" ? "Following live" : text;
      show();
    },
  );

  on("follow-back", "click", () => {
    if (teacher) apply(teacher);
    if (fit && !(teacher && teacher.camera)) fit(); // the teacher's camera, else a fit of the graph
  });
  show();

  return {
    /** `moved`: what changed is beyond the hash (the run, the camera); it counts when the student did it. */
    changed(moved = false) {
      if (touched && teacher && !wandered && (moved || view() !== teacher.hash)) {
        wandered = true;
        show();
      }
    },
  };
}
