/* A lesson: an ordered list of slides, each a page's view (its URL hash, and for a training slide
   the run's state, for a graph slide the camera) with a title and notes.
   The JSON file, its checks, the copy kept in localStorage and the share link (docs/lessons.md).
   Everything here is data: titles and notes reach the page only as text. */

export const VERSION = 2; // 2: slides may carry a run ("run") or a camera ("camera"); 1 opens as 2
export const PAGES = { graph: "/", train: "/train" }; // a slide's page and where it lives
export const MAX_SLIDES = 200;
export const MAX_TITLE = 200; // characters
export const MAX_NOTES = 10000;
export const MAX_HASH = 16000; // a page's URL hash, "#..." (a view is at most 64 KiB on the live API)
export const MAX_VIEW_BYTES = 64 * 1024; // a slide as a live view, JSON in UTF-8 (the server's live_max_view_bytes)
export const MAX_FILE_BYTES = 16 * 1024 * 1024; // 200 slides of at most 64 KiB, with room
export const LINK_MAX_CHARS = 8000; // a longer share link is refused: save a file instead
const STORE = "chainrule.lesson"; // localStorage: the lesson being built, and the current slide
const PREVIOUS = "chainrule.lesson.previous"; // the lesson a link or a file replaced

/** A new, empty lesson. */
export const emptyLesson = () => ({ version: VERSION, title: "", slides: [], current: null, from: VERSION });

const kind = (x) => (x === null ? "null" : Array.isArray(x) ? "a list" : typeof x);

/** A slide checked field by field; throws an Error naming the field (`where` is e.g. "slides[2]"). */
export function checkSlide(s, where = "the slide") {
  if (!s || typeof s !== "object" || Array.isArray(s)) throw new Error(`${where} must be an object, not ${kind(s)}`);
  if (!Object.hasOwn(PAGES, s.page)) throw new Error(`${where}.page must be "graph" or "train", not ${JSON.stringify(s.page)?.slice(0, 40)}`);
  if (typeof s.hash !== "string") throw new Error(`${where}.hash must be a string (the page's URL hash), not ${kind(s.hash)}`);
  if (s.hash.length > MAX_HASH) throw new Error(`${where}.hash is longer than ${MAX_HASH} characters`);
  if (s.hash && !s.hash.startsWith("#")) throw new Error(`${where}.hash must start with "#"`);
  for (const [field, max] of [["title", MAX_TITLE], ["notes", MAX_NOTES]]) {
    const v = s[field];
    if (v !== undefined && typeof v !== "string") throw new Error(`${where}.${field} must be text, not ${kind(v)}`);
    if (v && v.length > max) throw new Error(`${where}.${field} is longer than ${max} characters`);
  }
  const slide = { page: s.page, hash: s.hash, title: s.title || "", notes: s.notes || "" };
  if (s.run !== undefined && s.run !== null) slide.run = checkRun(s.run, `${where}.run`, s.page);
  if (s.camera !== undefined && s.camera !== null) slide.camera = checkCamera(s.camera, `${where}.camera`, s.page);
  const bytes = viewBytes(slide);
  if (bytes > MAX_VIEW_BYTES) throw new Error(`${where} is ${kib(bytes)} KiB, over the ${kib(MAX_VIEW_BYTES)} KiB a slide may be`);
  return slide;
}

const kib = (bytes) => Math.ceil(bytes / 1024);
const isObject = (x) => Boolean(x) && typeof x === "object" && !Array.isArray(x);

/** A training slide's run: the training page's state document (what Export saves); the API judges the rest. */
function checkRun(run, where, page) {
  if (page !== "train") throw new Error(`${where} belongs on a training slide only`);
  if (!isObject(run) || !isObject(run.config)) throw new Error(`${where} must be a run's state (an object with "config"), not ${kind(run)}`);
  return run;
}

/** A graph slide's camera: the region of the drawing in view, {x, y, w, h} in the drawing's units. */
function checkCamera(c, where, page) {
  if (page !== "graph") throw new Error(`${where} belongs on a graph slide only`);
  if (!isObject(c) || !["x", "y", "w", "h"].every((k) => typeof c[k] === "number" && Number.isFinite(c[k]))) {
    throw new Error(`${where} must be {"x", "y", "w", "h"}, four numbers`);
  }
  if (!(c.w > 0 && c.h > 0)) throw new Error(`${where}.w and .h must be above 0`);
  return { x: c.x, y: c.y, w: c.w, h: c.h };
}

/** The size of a slide as a live view ({page, title, hash, run?, camera?}): JSON bytes in UTF-8. */
export function viewBytes({ page, title, hash, run, camera }) {
  return new TextEncoder().encode(JSON.stringify({ page, title, hash, run, camera })).length;
}

/** A lesson from a parsed JSON value; throws an Error saying what is wrong. */
export function checkLesson(doc) {
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new Error(`a lesson is a JSON object {"version": 2, "slides": [...]}, not ${kind(doc)}`);
  if (doc.version === undefined) throw new Error('it has no "version" (a lesson file starts {"version": 2, "slides": [...]})');
  if (doc.version !== VERSION && doc.version !== 1) {
    const newer = Number.isInteger(doc.version) && doc.version > VERSION;
    throw new Error(`its version is ${JSON.stringify(doc.version)?.slice(0, 20)}: ${newer ? "made by a newer chainrule; this one" : "this chainrule"} opens versions 1 and ${VERSION}`);
  }
  if (doc.title !== undefined && typeof doc.title !== "string") throw new Error(`title must be text, not ${kind(doc.title)}`);
  if (doc.title && doc.title.length > MAX_TITLE) throw new Error(`title is longer than ${MAX_TITLE} characters`);
  if (!Array.isArray(doc.slides)) throw new Error(`"slides" must be a list of slides, not ${kind(doc.slides)}`);
  if (doc.slides.length > MAX_SLIDES) throw new Error(`it has ${doc.slides.length} slides; at most ${MAX_SLIDES}`);
  const slides = doc.slides.map((s, i) => checkSlide(s, `slides[${i}]`));
  const current = Number.isInteger(doc.current) && doc.current >= 0 && doc.current < slides.length ? doc.current : null;
  return { version: VERSION, title: doc.title || "", slides, current, from: doc.version };
}

/** What opening a lesson of an earlier version means, for the message that says it was opened ("" for this version). */
export function migrationNote(lesson) {
  if (lesson.from !== 1) return "";
  return " It is a version 1 lesson (an earlier chainrule): its training slides hold the settings only, so each starts a fresh run; Update slide to this view on a run to keep that run, then Save.";
}

/** The lesson in a file's text: {lesson} or {error: a sentence naming the file and the fault}. */
export function parseLesson(text, name = "the file") {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { error: `${name} is not JSON (${e.message}).` };
  }
  try {
    return { lesson: checkLesson(doc) };
  } catch (e) {
    return { error: `${name} is not a chainrule lesson: ${e.message}.` };
  }
}

/** The file's text: the schema's fields only (not the current slide). */
export function lessonJson(lesson) {
  const slides = lesson.slides.map(({ page, hash, title, notes, run, camera }) => ({ page, title, notes, hash, run, camera }));
  return JSON.stringify({ version: VERSION, title: lesson.title, slides }, null, 2) + "\n";
}

/** The lesson kept in this browser (an empty one when there is none or it is unreadable). */
export function loadStored(key = STORE) {
  try {
    const text = localStorage.getItem(key);
    return text ? checkLesson(JSON.parse(text)) : emptyLesson();
  } catch (_) {
    return emptyLesson();
  }
}

/** Keep the lesson in this browser; false when the browser refuses (full, or storage off). */
export function store(lesson, key = STORE) {
  try {
    localStorage.setItem(key, JSON.stringify(lesson));
    return true;
  } catch (_) {
    return false;
  }
}

/** Keep the lesson about to be replaced (when it has slides), so it can be brought back. */
export function keepPrevious(lesson) {
  if (lesson.slides.length) store(lesson, PREVIOUS);
}

export const loadPrevious = () => loadStored(PREVIOUS);
export const STORE_KEY = STORE;

// ---------------------------------------------------------------- share links: /?lesson=<base64url of the JSON>

function toBase64Url(text) {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(data) {
  const bin = atob(data.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** The share link for a lesson, or {error} when it is too long for a link. */
export function shareLink(lesson, origin) {
  const url = `${origin}/?lesson=${toBase64Url(lessonJson(lesson))}`;
  if (url.length > LINK_MAX_CHARS) {
    return { error: `This lesson is too big for a link (${url.length} characters; at most ${LINK_MAX_CHARS}): save it as a file instead.` };
  }
  return { url };
}

/** The lesson a share link's `lesson` parameter holds: {lesson} or {error}. */
export function fromLink(data) {
  let text;
  try {
    text = fromBase64Url(data);
  } catch (_) {
    return { error: "The lesson link is damaged (it is not the text chainrule writes); ask for it again." };
  }
  return parseLesson(text, "The lesson in the link");
}
