/* Small DOM helpers both pages use: find, build, wait, save. */

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** An HTML element: attributes ("class", "text" or any attribute; null/false skipped) and children. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with these attributes. */
export function svgEl(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  return el;
}

/** `fn` called `ms` after the last call; `.cancel()` drops a pending call. */
export function debounce(fn, ms) {
  let t = 0;
  const wrapped = (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(t);
  return wrapped;
}

/** Resolves after `ms`, or at once when `signal` (optional) is aborted. */
export const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const wake = () => (clearTimeout(timer), resolve());
    if (signal && signal.aborted) wake();
    else if (signal) signal.addEventListener("abort", wake, { once: true });
  });

/** Save a blob as a file. */
export function download(blob, filename) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

const TOAST_MS = 3000;

/** Show a short message in `box` (a live region) for a few seconds. */
export function toast(box, msg) {
  box.textContent = msg;
  box.classList.add("show");
  clearTimeout(Number(box.dataset.timer));
  box.dataset.timer = String(setTimeout(() => box.classList.remove("show"), TOAST_MS));
}

/** Listen to `type` events on the element with this id. */
export function on(id, type, fn) {
  document.getElementById(id).addEventListener(type, fn);
}

/** `fn(file)` for each file chosen in the file input with this id (emptied again: the same file may be chosen twice). */
export function onFile(id, fn) {
  on(id, "change", () => {
    const input = document.getElementById(id);
    const file = input.files[0];
    input.value = "";
    if (file) fn(file);
  });
}
