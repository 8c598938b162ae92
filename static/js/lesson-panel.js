/* The lesson panel on both pages: build a lesson of slides (views of this page or the other),
   present it (PageDown / PageUp, what clickers send, or the slide list), save and open it as a
   file, share it by link, and go live. A page sets it up with its hooks:
     const lesson = setUpLesson({ page: "graph", view: () => hashNow, fit: () => fitTheGraph(),
       extra: () => ({ fields: { camera }, note: "" }), show: (hash, fields) => showThat() });
     lesson.changed(); // each time the page's view changes (changed(true): beyond its URL hash)
   `extra` gives what a slide carries besides the hash (the run, the camera), `note` a sentence
   when something could not be carried; `show` shows a slide (default: its hash, applied through
   the page's own hashchange handler). A slide of the other page is a navigation there, the
   lesson kept in localStorage and the slide to show in sessionStorage. */

import { $, download, h, on, onFile } from "./dom.js";
import { pageKey } from "./keys.js";
import * as L from "./lesson.js";
import { setUpFollowing, showOnPage } from "./lesson-follow.js";
import { createSender, goLive, liveSession, qrUrl, stopLive } from "./live.js";

const PANEL = "chainrule.lesson.panel"; // sessionStorage: "open" while the panel is open in this tab
const SHOW = "chainrule.lesson.show"; // sessionStorage: the slide to show once the other page is loaded
const PAGE_NAMES = { graph: "graph", train: "training" };

/** Set up the lesson panel (or, on `?follow=CODE`, following a live lesson); returns {changed}. */
export function setUpLesson(hooks) {
  const code = new URLSearchParams(location.search).get("follow");
  if (code) return setUpFollowing(code, hooks);
  return presenter(hooks);
}

function presenter(hooks) {
  const { page, view } = hooks;
  const extra = () => (hooks.extra ? hooks.extra() : { fields: {}, note: "" });
  let lesson = L.loadStored();
  let session = liveSession();
  let sender = session && createSender(session, endLive, refused);
  const slides = $("lesson-slides");

  // ------------------------------------------------------------ messages and storage

  function message(text, { link = null, restore = false } = {}) {
    $("lesson-message").hidden = !text;
    $("lesson-message-text").textContent = text || "";
    $("lesson-link-text").hidden = !link;
    $("lesson-link-text").value = link || "";
    $("lesson-restore").hidden = !restore;
  }

  function save() {
    if (!L.store(lesson)) message("This browser would not keep the lesson (its storage is full or off): save it as a file.");
    show();
  }

  function replace(next, note) {
    L.keepPrevious(lesson);
    const hadSlides = lesson.slides.length > 0;
    lesson = next;
    save();
    message(note, { restore: hadSlides });
  }

  // ------------------------------------------------------------ drawing the panel

  const slideName = (s, i) => s.title || `Slide ${i + 1}`;

  function show() {
    const n = lesson.slides.length;
    const cur = lesson.current;
    $("lesson-name").value = lesson.title;
    $("lesson-empty").hidden = n > 0;
    slides.replaceChildren(
      ...lesson.slides.map((s, i) =>
        h(
          "li",
          { class: "lesson-slide", "aria-current": i === cur ? "step" : null },
          h("button", { type: "button", class: "slide-go", "data-go": i, title: `Show slide ${i + 1}` }, h("span", { class: "slide-name", text: slideName(s, i) }), h("span", { class: "slide-page", text: PAGE_NAMES[s.page] })),
          h("button", { type: "button", "data-move": `${i}:-1`, "aria-label": `Move slide ${i + 1} up`, disabled: i === 0 }, "\u25B2"),
          h("button", { type: "button", "data-move": `${i}:1`, "aria-label": `Move slide ${i + 1} down`, disabled: i === n - 1 }, "\u25BC"),
          h("button", { type: "button", "data-delete": i, "aria-label": `Delete slide ${i + 1}` }, "\u2715"),
        ),
      ),
    );
    const slide = cur === null ? null : lesson.slides[cur];
    $("slide-edit").hidden = !slide;
    if (slide) {
      $("slide-position").textContent = `slide ${cur + 1} of ${n}`;
      $("slide-prev").disabled = cur === 0;
      $("slide-next").disabled = cur === n - 1;
      if (document.activeElement !== $("slide-title")) $("slide-title").value = slide.title;
      if (document.activeElement !== $("slide-notes")) $("slide-notes").value = slide.notes;
    }
    const live = Boolean(session);
    $("live-off").hidden = live;
    $("live-box").hidden = !live;
    $("live-badge").hidden = !live;
    if (live) {
      const address = location.origin + session.follow;
      $("live-badge").textContent = "live";
      $("live-badge").title = `Live lesson ${session.code}`;
      $("live-code").textContent = session.code;
      $("live-follow").textContent = address;
      $("live-follow").href = session.follow;
      $("live-qr").alt = `QR code of ${address}`;
      if (!$("live-qr").src.includes(session.code)) $("live-qr").src = qrUrl(session.code);
    }
  }

  const topbar = document.querySelector(".topbar");
  const placePanel = () => ($("lesson-panel").style.top = `${Math.round(topbar.getBoundingClientRect().bottom)}px`);
  new ResizeObserver(placePanel).observe(topbar); // the panel sits under the top bar, however tall

  function setPanel(open) {
    $("lesson-panel").hidden = !open;
    $("lesson-toggle").setAttribute("aria-expanded", String(open));
    document.body.classList.toggle("lesson-open", open);
    sessionStorage.setItem(PANEL, open ? "open" : "");
  }

  // ------------------------------------------------------------ slides

  function add() {
    const n = lesson.slides.length;
    if (n >= L.MAX_SLIDES) return message(`A lesson has at most ${L.MAX_SLIDES} slides.`);
    const hash = view();
    if (hash.length > L.MAX_HASH) return message(`This view is too long for a slide (over ${L.MAX_HASH} characters).`);
    const { fields, note } = extra();
    lesson.slides.push({ page, hash, title: `${PAGE_NAMES[page][0].toUpperCase()}${PAGE_NAMES[page].slice(1)} ${n + 1}`, notes: "", ...fields });
    lesson.current = n;
    message(note ? `Added slide ${n + 1}. ${note}` : "");
    save();
    sendView();
  }

  /** The slide on this page, and what the students get of it. */
  function showSlide(slide) {
    showOnPage(hooks, slide);
    if (sender) sender.send(slideView(slide));
  }

  const slideView = (s) => ({ page: s.page, title: s.title, hash: s.hash, run: s.run, camera: s.camera });

  function goTo(i) {
    const slide = lesson.slides[i];
    if (!slide) return;
    lesson.current = i;
    save();
    if (slide.page !== page) {
      sessionStorage.setItem(SHOW, String(i));
      location.assign(L.PAGES[slide.page] + slide.hash);
      return;
    }
    showSlide(slide);
  }

  function move(i, by) {
    const j = i + by;
    if (j < 0 || j >= lesson.slides.length) return;
    const s = lesson.slides;
    [s[i], s[j]] = [s[j], s[i]];
    if (lesson.current === i) lesson.current = j;
    else if (lesson.current === j) lesson.current = i;
    save();
    const again = slides.querySelector(`[data-move="${j}:${by}"]:not(:disabled)`) || slides.querySelector(`[data-go="${j}"]`);
    if (again) again.focus();
  }

  function remove(i) {
    lesson.slides.splice(i, 1);
    const cur = lesson.current;
    if (cur !== null && (cur > i || cur >= lesson.slides.length)) lesson.current = cur - 1 >= 0 ? cur - 1 : null;
    if (!lesson.slides.length) lesson.current = null;
    save();
  }

  const step = (by) => {
    const n = lesson.slides.length;
    if (!n) return;
    const cur = lesson.current;
    goTo(cur === null ? 0 : Math.max(0, Math.min(n - 1, cur + by)));
  };

  // ------------------------------------------------------------ files and links

  async function openFile(file) {
    if (file.size > L.MAX_FILE_BYTES) return message(`${file.name} is over ${L.MAX_FILE_BYTES / 1024 / 1024} MB: it is not a lesson.`);
    const { lesson: opened, error } = L.parseLesson(await file.text(), file.name);
    if (error) return message(error);
    replace(opened, `Opened ${file.name}: ${opened.slides.length} slides.${L.migrationNote(opened)}`);
  }

  async function copyLink() {
    const { url, error } = L.shareLink(lesson, location.origin);
    if (error) return message(error);
    let copied = false;
    try {
      await navigator.clipboard.writeText(url);
      copied = true;
    } catch (_) {
      /* shown below to copy by hand */
    }
    message(copied ? "Link copied. It opens this lesson:" : "Copy this link; it opens this lesson:", { link: url });
    $("lesson-link-text").select();
  }

  function openLink() {
    const params = new URLSearchParams(location.search);
    const data = params.get("lesson");
    if (data === null) return;
    params.delete("lesson");
    const query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
    const { lesson: opened, error } = L.fromLink(data);
    setPanel(true);
    if (error) return message(error);
    opened.current = null;
    replace(opened, `Opened the lesson in the link: ${opened.slides.length} slides.${L.migrationNote(opened)}`);
    if (opened.slides.length) goTo(0);
  }

  // ------------------------------------------------------------ live

  /** This page's view for the students: the current slide's title while on its page; never its notes. */
  function liveView() {
    const slide = lesson.current === null ? null : lesson.slides[lesson.current];
    const { fields, note } = extra();
    if (note && note !== liveNote) message(`Live: ${note}`);
    liveNote = note;
    return { page, title: slide && slide.page === page ? slide.title : "", hash: view(), ...fields };
  }
  let liveNote = "";

  function sendView() {
    if (sender) sender.send(liveView());
  }

  function refused(why) {
    message(`The students did not get this view: ${why}.`);
  }

  function endLive(why) {
    session = null;
    sender = null;
    show();
    message(why);
  }

  async function startLive() {
    $("live-start").disabled = true;
    try {
      session = await goLive();
      sender = createSender(session, endLive, refused);
      sendView();
    } catch (e) {
      message(`Could not go live: ${e.message}.`);
    } finally {
      $("live-start").disabled = false;
    }
    show();
  }

  // ------------------------------------------------------------ wiring

  on("lesson-toggle", "click", () => setPanel($("lesson-panel").hidden));
  on("lesson-close", "click", () => (setPanel(false), $("lesson-toggle").focus()));
  on("lesson-add", "click", add);
  on("lesson-save", "click", () => download(new Blob([L.lessonJson(lesson)], { type: "application/json" }), `${(lesson.title || "lesson").replace(/[^\w.-]+/g, "-").slice(0, 60)}.json`));
  on("lesson-open-file", "click", () => $("lesson-file").click());
  onFile("lesson-file", openFile);
  on("lesson-link", "click", copyLink);
  on("lesson-new", "click", () => replace(L.emptyLesson(), "A new, empty lesson."));
  on("lesson-restore", "click", () => {
    const previous = L.loadPrevious();
    replace(previous, `Brought back the previous lesson: ${previous.slides.length} slides.`);
  });
  on("lesson-name", "input", () => {
    lesson.title = $("lesson-name").value.slice(0, L.MAX_TITLE);
    L.store(lesson);
  });
  on("slide-title", "input", () => {
    lesson.slides[lesson.current].title = $("slide-title").value.slice(0, L.MAX_TITLE);
    save();
    sendView();
  });
  on("slide-notes", "input", () => {
    lesson.slides[lesson.current].notes = $("slide-notes").value.slice(0, L.MAX_NOTES);
    L.store(lesson);
  });
  on("slide-update", "click", () => {
    const { title, notes } = lesson.slides[lesson.current];
    const { fields, note } = extra();
    lesson.slides[lesson.current] = { page, hash: view(), title, notes, ...fields };
    message(note);
    save();
  });
  on("slide-prev", "click", () => step(-1));
  on("slide-next", "click", () => step(1));
  slides.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.go !== undefined) goTo(Number(b.dataset.go));
    else if (b.dataset.move) move(...b.dataset.move.split(":").map(Number));
    else if (b.dataset.delete !== undefined) remove(Number(b.dataset.delete));
  });
  on("live-start", "click", startLive);
  on("live-stop", "click", () => {
    stopLive();
    endLive("");
  });
  document.addEventListener("keydown", (e) => {
    const key = pageKey(e);
    if ((key !== "PageDown" && key !== "PageUp") || !lesson.slides.length) return;
    e.preventDefault();
    step(key === "PageDown" ? 1 : -1);
  });
  window.addEventListener("storage", (e) => {
    if (e.key !== L.STORE_KEY) return;
    lesson = L.loadStored(); // another tab changed the lesson
    show();
  });

  setPanel(sessionStorage.getItem(PANEL) === "open");
  show();
  openLink();
  const pending = sessionStorage.getItem(SHOW); // a slide of this page, presented from the other one
  sessionStorage.removeItem(SHOW);
  const slide = pending !== null && Number(pending) === lesson.current ? lesson.slides[lesson.current] : null;
  if (slide && slide.page === page) showSlide(slide);
  else sendView();
  return { changed: sendView };
}
