/* Exports of the graph page: the picture as SVG or PNG, and the program as micrograd or PyTorch
   code (written by the server: POST /api/export). */

import { ApiError, errorDetail, postJson } from "./api.js";
import { $, download } from "./dom.js";

const PNG_SCALE = 2;
// the step's marks, drawn by the page's CSS: written into the exported picture's own styles
const MARKED = ".is-current *, .carry, .carry *, .is-pending *, .is-selected *";
const MARK_STYLES = ["stroke", "stroke-width", "stroke-dasharray", "fill", "font-style"];

/**
 * The picture as it is on screen (the step's grads and marks, the folded statements), whole:
 * `base` is its extent ({x, y, w, h}, the viewBox the server drew it with).
 */
export function snapshotSvg(live, base) {
  const copy = live.cloneNode(true);
  const from = live.querySelectorAll(MARKED);
  const to = copy.querySelectorAll(MARKED);
  from.forEach((el, i) => {
    const cs = getComputedStyle(el);
    to[i].setAttribute("style", MARK_STYLES.map((p) => `${p}:${cs.getPropertyValue(p)}`).join(";"));
  });
  if (base) copy.setAttribute("viewBox", `${base.x} ${base.y} ${base.w} ${base.h}`);
  for (const el of copy.querySelectorAll("[tabindex]")) el.removeAttribute("tabindex");
  return new XMLSerializer().serializeToString(copy);
}

/** The server's SVG, standalone: no DOCTYPE or external references, pixel size set; or null. */
function standaloneSvg(svgText) {
  const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
  const svg = doc.documentElement;
  if (svg.nodeName !== "svg") return null;
  for (const n of svg.querySelectorAll("[href], [*|href]")) {
    const ref = n.getAttribute("href") || n.getAttributeNS("http://www.w3.org/1999/xlink", "href") || "";
    if (!ref.startsWith("#")) {
      n.removeAttribute("href");
      n.removeAttributeNS("http://www.w3.org/1999/xlink", "href");
    }
  }
  svg.querySelectorAll("script, foreignObject").forEach((n) => n.remove());
  const vb = (svg.getAttribute("viewBox") || "0 0 100 100").split(/[\s,]+/).map(Number);
  const w = Math.ceil((vb[2] * 4) / 3);
  const hgt = Math.ceil((vb[3] * 4) / 3);
  svg.setAttribute("width", String(w));
  svg.setAttribute("height", String(hgt));
  svg.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  return { text: new XMLSerializer().serializeToString(svg), width: w, height: hgt };
}

/** Download the picture as SVG; `toast` says why not. */
export function exportSvg(svgText, toast) {
  const s = svgText && standaloneSvg(svgText);
  if (!s) return toast("Nothing to export yet.");
  download(new Blob([s.text], { type: "image/svg+xml" }), "chainrule-graph.svg");
}

/** Download the picture as PNG, on the page's graph background; `toast` says why not. */
export function exportPng(svgText, toast) {
  const s = svgText && standaloneSvg(svgText);
  if (!s) return toast("Nothing to export yet.");
  const img = new Image();
  const url = URL.createObjectURL(new Blob([s.text], { type: "image/svg+xml" }));
  img.onload = () => {
    const canvas = document.createElement("canvas");
    canvas.width = s.width * PNG_SCALE;
    canvas.height = s.height * PNG_SCALE;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = getComputedStyle(document.body).getPropertyValue("--graph-bg").trim() || "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    URL.revokeObjectURL(url);
    canvas.toBlob((blob) => {
      if (blob) download(blob, "chainrule-graph.png");
      else toast("The PNG could not be made.");
    }, "image/png");
  };
  img.onerror = () => {
    URL.revokeObjectURL(url);
    toast("The PNG could not be made.");
  };
  img.src = url;
}

const CODE_TEXT = {
  micrograd: ["micrograd code", "Runs with micrograd from PyPI and prints the same grads."],
  pytorch: ["PyTorch code", "Runs with PyTorch (float64) and prints the same grads."],
};

/** Copy text to the clipboard; the code dialog says whether it worked. */
export async function copyText(text) {
  const copied = $("code-copied");
  try {
    await navigator.clipboard.writeText(text);
    copied.textContent = "Copied to the clipboard.";
  } catch (_) {
    copied.textContent = "Selected: press Ctrl+C to copy.";
  }
}

/** Ask the server for the program as `target` code ("micrograd" or "pytorch"), show it and copy it. */
export async function showCode(source, values, target, toast) {
  let code;
  try {
    ({ code } = await postJson("/api/export", { source, values, target }));
  } catch (err) {
    const why = err instanceof ApiError ? errorDetail(err.status, err.body).message : err.message;
    return toast(`Cannot export this program: ${why}`);
  }
  const text = $("code-text");
  const dialog = $("code-dialog");
  [$("code-title").textContent, $("code-note").textContent] = CODE_TEXT[target];
  text.value = code;
  text.dataset.target = target;
  $("code-copied").textContent = "";
  dialog.showModal();
  text.focus();
  text.select();
  text.scrollTop = 0;
  copyText(code);
}

/**
 * Wire the Export menu: the picture (`svg()`: the server's SVG text or null), the code (`program()`:
 * {source, values}), and the link to this view (`link()`: its URL hash, put in the address bar).
 */
export function setUpExports({ svg, program, link, toast }) {
  const on = (id, fn) => $(id).addEventListener("click", fn);
  on("export-svg", () => exportSvg(svg(), toast));
  on("export-png", () => exportPng(svg(), toast));
  on("export-micrograd", () => showCode(program().source, program().values, "micrograd", toast));
  on("export-pytorch", () => showCode(program().source, program().values, "pytorch", toast));
  on("code-copy", () => {
    $("code-text").select();
    copyText($("code-text").value);
  });
  on("copy-link", async () => {
    history.replaceState(null, "", link());
    try {
      await navigator.clipboard.writeText(location.href);
      toast("Link copied: it opens this exact view.");
    } catch (_) {
      toast("The link is in the address bar.");
    }
  });
  const menu = $("export-menu");
  menu.addEventListener("click", (e) => {
    if (e.target.closest("div button")) menu.open = false;
  });
  document.addEventListener("click", (e) => {
    if (menu.open && !menu.contains(e.target)) menu.open = false;
  });
}
