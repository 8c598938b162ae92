/* The training chart: loss and accuracy against the step. */

import { fitCanvasBox } from "./canvas.js";
import { formatStat as fmt } from "./format.js";

/** Round tick values from lo to hi, about `count` of them. */
export function niceTicks(lo, hi, count) {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The canvas fitted to its box, its font set, and its plot area framed: `left` and `right` px of
    room for the axes' labels, a line of them below. */
export function framePlot(canvas, c, left, right) {
  const { ctx, w, h } = fitCanvasBox(canvas);
  ctx.font = c.font;
  const pad = { l: left, r: right, t: c.fontPx * 0.7, b: c.fontPx * 1.9 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  ctx.strokeStyle = c.border;
  ctx.lineWidth = 1;
  ctx.strokeRect(pad.l, pad.t, pw, ph);
  return { ctx, pad, pw, ph };
}

/** A tick of the left axis: its `label` beside the plot at height `y`, and a grid line across. */
export function leftTick(ctx, c, { pad, pw }, y, label) {
  ctx.fillText(label, pad.l - 5, y);
  ctx.strokeStyle = c.border;
  ctx.beginPath();
  ctx.moveTo(pad.l, y);
  ctx.lineTo(pad.l + pw, y);
  ctx.stroke();
}

/** The step axis: each of `steps` written under the plot at X(step). */
export function stepTicks(ctx, { pad, ph }, steps, X) {
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of steps) ctx.fillText(String(t), X(t), pad.t + ph + 4);
}

/** Lines drawn from now on stay inside the plot area, with round joins (until ctx.restore()). */
export function clipToPlot(ctx, { pad, pw, ph }) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(pad.l, pad.t, pw, ph);
  ctx.clip();
  ctx.lineJoin = "round";
}

/** The loss (solid, left axis; log scale when it spans more than 200x) and the accuracy (dashed,
    right axis) of each step in `hist`, the x axis running to step `until` at least. `scaleNote`: the
    element that says "(log scale)". */
export function drawChart(canvas, hist, until, c, scaleNote) {
  const plot = framePlot(canvas, c, c.fontPx * 3.6, c.fontPx * 3);
  const { ctx, pad, pw, ph } = plot;
  if (!hist.length) return;
  const s0 = hist[0].step;
  const s1 = Math.max(hist[hist.length - 1].step, s0 + 10, until || 0);
  const losses = hist.map((m) => m.loss);
  const maxL = Math.max(...losses);
  const minL = Math.min(...losses);
  const log = minL > 0 && maxL / minL > 200;
  scaleNote.textContent = log ? "(log scale)" : "";
  const f = log ? Math.log10 : (v) => v;
  const lo = log ? Math.floor(f(minL)) : 0;
  const hi = log ? Math.ceil(f(maxL)) : maxL > 0 ? maxL * 1.05 : 1;
  const X = (s) => pad.l + ((s - s0) / (s1 - s0)) * pw;
  const YL = (v) => pad.t + ph - ((f(v) - lo) / (hi - lo || 1)) * ph;
  const YA = (a) => pad.t + ph - a * ph;
  // axes labels
  ctx.fillStyle = c.muted;
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  const room = Math.max(2, Math.min(5, Math.floor(ph / (c.fontPx * 1.6)))); // ticks that fit the height
  const lticks = log ? Array.from({ length: hi - lo + 1 }, (_, i) => lo + i) : niceTicks(0, hi, room);
  for (const t of lticks) {
    const y = log ? pad.t + ph - ((t - lo) / (hi - lo || 1)) * ph : YL(t);
    leftTick(ctx, c, plot, y, log ? `1e${t}` : fmt(t, t < 1 ? 2 : 1).replace(/\.?0+$/, "") || "0");
  }
  ctx.textAlign = "left";
  for (const a of [0, 0.5, 1]) ctx.fillText(`${a * 100}%`, pad.l + pw + 5, YA(a));
  stepTicks(ctx, plot, niceTicks(s0, s1, Math.max(2, Math.min(5, Math.floor(pw / (c.fontPx * 4))))), X);
  // the lines: loss solid blue, accuracy dashed vermillion
  clipToPlot(ctx, plot);
  ctx.lineWidth = c.projector ? 4 : 2.2;
  ctx.strokeStyle = c.pos;
  ctx.beginPath();
  hist.forEach((m, i) => (i ? ctx.lineTo(X(m.step), YL(m.loss)) : ctx.moveTo(X(m.step), YL(m.loss))));
  ctx.stroke();
  ctx.setLineDash(c.projector ? [10, 6] : [6, 4]);
  ctx.strokeStyle = c.neg;
  ctx.beginPath();
  hist.forEach((m, i) => (i ? ctx.lineTo(X(m.step), YA(m.accuracy)) : ctx.moveTo(X(m.step), YA(m.accuracy))));
  ctx.stroke();
  ctx.restore();
  // the latest values as dots (also the only mark while there is one point)
  const m = hist[hist.length - 1];
  const r = c.projector ? 6 : 4;
  ctx.fillStyle = c.pos;
  ctx.beginPath();
  ctx.arc(X(m.step), YL(m.loss), r, 0, 2 * Math.PI);
  ctx.fill();
  ctx.fillStyle = c.neg;
  ctx.fillRect(X(m.step) - r, YA(m.accuracy) - r, 2 * r, 2 * r);
}
