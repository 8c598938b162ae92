/* Data with more than two inputs (the lecture's four samples): target against score, per sample. */

import { fitCanvasBox } from "./canvas.js";
import { formatStat as fmt } from "./format.js";

/** Each sample's target (hollow bar) and score (filled bar), and the same as a table in `tbody`. */
export function drawPredictions(canvas, tbody, p, c) {
  const { ctx, w, h } = fitCanvasBox(canvas);
  const rows = [];
  if (p) {
    for (let i = 0; i < p.x.length; i++) {
      rows.push(
        `<tr><th scope="row">${i + 1}</th><td class="mono nowrap">[${p.x[i].map((v) => fmt(v, 1)).join(", ")}]</td>` +
          `<td class="mono">${fmt(p.target[i], 1)}</td><td class="mono ${p.score[i] >= 0 ? "pos" : "neg"}">${fmt(p.score[i])}</td></tr>`
      );
    }
  }
  tbody.innerHTML = rows.join(""); // numbers only: nothing user-made goes into this HTML
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
