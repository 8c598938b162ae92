/* The program editor: its line-number gutter, and the error box under it (where, what, and a
   one-click fix for names without a value). */

import { $, h } from "./dom.js";

/** Number the gutter's lines, marking the line with the error. */
export function syncGutter() {
  const source = $("source");
  const box = $("error-box");
  const lines = source.value.split("\n").length;
  const bad = box.hidden ? 0 : Number(box.dataset.line || 0);
  const frag = document.createDocumentFragment();
  for (let i = 1; i <= lines; i++) frag.append(h("span", { class: i === bad ? "bad" : null, text: String(i) }), "\n");
  const gutter = $("gutter");
  gutter.replaceChildren(frag);
  gutter.scrollTop = source.scrollTop;
}

/** Put text into the editor (keepCursor: where the cursor was, as a slider rewrites a number). */
export function setEditorText(text, keepCursor = false) {
  const source = $("source");
  if (source.value !== text) {
    const { selectionStart, selectionEnd } = source;
    source.value = text;
    if (keepCursor) source.setSelectionRange(selectionStart, selectionEnd);
  }
  syncGutter();
}

/** Show an error ({message, line, column}) of the program `text` under the editor. */
export function showError(detail, text) {
  const message = (detail && detail.message) || "Something went wrong.";
  const line = detail && Number.isInteger(detail.line) ? detail.line : null;
  const column = detail && Number.isInteger(detail.column) ? detail.column : null;
  const box = $("error-box");
  const code = $("error-line");
  $("error-message").textContent = message;
  if (line) {
    $("error-where").textContent = `Line ${line}, column ${column || 1}`;
    code.textContent = (text.split("\n")[line - 1] || "").replace(/\t/g, " ");
    $("error-caret").textContent = " ".repeat(Math.max(0, (column || 1) - 1)) + "^";
    box.dataset.line = String(line);
    box.dataset.column = String(column || 1);
    code.parentElement.hidden = false;
  } else {
    $("error-where").textContent = "The program could not be drawn";
    code.textContent = "";
    $("error-caret").textContent = "";
    code.parentElement.hidden = true;
    delete box.dataset.line;
    delete box.dataset.column;
  }
  // names without a value: offer to put them in the values map (then they get sliders); the
  // server names one as "'x' has no value", several as "...: 'x' (line 1, column 2), 'y' (...)"
  const one = message.match(/^'([A-Za-z_]\w*)' has no value/);
  const several = /names have no value/.test(message) && !/ more;/.test(message);
  const missing = one ? [one[1]] : several ? [...message.matchAll(/'([A-Za-z_]\w*)' \(line/g)].map((m) => m[1]) : [];
  const fix = $("error-fix");
  fix.hidden = missing.length === 0;
  fix.textContent = missing.length ? `Give ${missing.join(", ")} the value 1.0` : "";
  fix.dataset.names = missing.join(" ");
  box.hidden = false;
  $("source").setAttribute("aria-invalid", "true");
  syncGutter();
  if (line) revealError(text, line, column || 1);
}

/** Scroll the quoted line and the editor so that the error's column is in view. */
function revealError(text, line, column) {
  const source = $("source");
  const pre = $("error-line").parentElement;
  const charPx = (el) => {
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = getComputedStyle(el).font;
    return ctx.measureText("0").width;
  };
  const x = (column - 1) * charPx(pre);
  pre.scrollLeft = Math.max(0, x - pre.clientWidth / 2);
  const sx = (column - 1) * charPx(source);
  const lineHeight = parseFloat(getComputedStyle(source).lineHeight) || 20;
  if (sx < source.scrollLeft || sx > source.scrollLeft + source.clientWidth - 40) {
    source.scrollLeft = Math.max(0, sx - source.clientWidth / 2);
  }
  const y = (line - 1) * lineHeight;
  if (y < source.scrollTop || y > source.scrollTop + source.clientHeight - 2 * lineHeight) {
    source.scrollTop = Math.max(0, y - source.clientHeight / 2);
  }
  if (text.length) $("gutter").scrollTop = source.scrollTop;
}

/** Hide the error box. */
export function clearError() {
  const box = $("error-box");
  if (box.hidden) return;
  box.hidden = true;
  $("source").removeAttribute("aria-invalid");
  syncGutter();
}
