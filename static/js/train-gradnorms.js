/* Gradient health: the L2 norm of each layer's gradient per step (the API's grad_norms, input side
   first), on a log scale. A vanishing gradient shows as the first layers' lines far below the last's;
   an exploding one as lines that climb a decade a step. */

import { rgb } from "./canvas.js";
import { clipToPlot, framePlot, leftTick, niceTicks, stepTicks } from "./chart.js";
import { svgEl } from "./dom.js";

const DASHES = [[], [8, 4], [2, 3], [10, 3, 2, 3], [4, 4], [1, 2]];

/** Layer k's colour of `count`: from the theme's positive colour (input side) to its negative one
    (the score); both ends meet AAA contrast, and so does every mix of the two dark colours. */
function layerColour(k, count, c) {
  const a = rgb(c.pos);
  const b = rgb(c.neg);
  const t = count > 1 ? k / (count - 1) : 0;
  return `rgb(${a.map((v, i) => Math.round(v + (b[i] - v) * t)).join(",")})`;
}

function legendKey(count, c) {
  return `${count}${c.pos}${c.neg}`;
}

/** The legend: one entry per layer, its line drawn as on the chart. */
function drawLegend(legend, count, c) {
  const key = legendKey(count, c);
  if (legend.dataset.key === key) return;
  legend.dataset.key = key;
  legend.replaceChildren();
  const title = document.createElement("span");
  title.className = "tight-hide";
  title.textContent = "‖grad‖ per layer (log scale):";
  legend.append(title);
  for (let k = 0; k < count; k++) {
    const item = document.createElement("span");
    item.className = "series";
    item.dataset.layer = String(k + 1);
    const svg = svgEl("svg", { width: 28, height: 10, "aria-hidden": "true" });
    svg.append(svgEl("line", {
      x1: 1, y1: 5, x2: 27, y2: 5, stroke: layerColour(k, count, c), "stroke-width": 3,
      "stroke-dasharray": DASHES[k % DASHES.length].join(" ") || "none",
    }));
    const where = document.createElement("span");
    where.className = "tight-hide";
    where.textContent = k === 0 ? " (inputs)" : k === count - 1 ? " (score)" : "";
    item.append(svg, ` layer ${k + 1}`, where);
    legend.append(item);
  }
}

/** The norms of `hist`'s entries (those without grad_norms, from older runs, are skipped). */
export function drawGradNorms(canvas, legend, hist, until, c) {
  const plot = framePlot(canvas, c, c.fontPx * 3.2, c.fontPx * 1.6);
  const { ctx, pad, pw, ph } = plot;
  const rows = hist.filter((m) => Array.isArray(m.grad_norms) && m.grad_norms.length);
  const count = rows.length ? rows[rows.length - 1].grad_norms.length : 0;
  canvas.dataset.series = String(count);
  drawLegend(legend, count, c);
  if (!rows.length) return;
  const logs = rows.flatMap((m) => m.grad_norms.filter((v) => v > 0 && Number.isFinite(v)).map(Math.log10));
  if (!logs.length) return;
  let lo = Math.floor(Math.min(...logs));
  let hi = Math.ceil(Math.max(...logs));
  if (hi - lo < 2) [lo, hi] = [lo - 1, hi + 1];
  const s0 = rows[0].step;
  const s1 = Math.max(rows[rows.length - 1].step, s0 + 10, until || 0);
  const X = (s) => pad.l + ((s - s0) / (s1 - s0)) * pw;
  const Y = (lg) => pad.t + ph - ((lg - lo) / (hi - lo)) * ph;
  ctx.fillStyle = c.muted;
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  const every = Math.ceil((hi - lo) / Math.max(2, Math.floor(ph / (c.fontPx * 1.6))));
  for (let t = lo; t <= hi; t += every) leftTick(ctx, c, plot, Y(t), `1e${t}`);
  stepTicks(ctx, plot, niceTicks(s0, s1, Math.max(2, Math.floor(pw / (c.fontPx * 5)))), X);
  clipToPlot(ctx, plot);
  ctx.lineWidth = c.projector ? 3.5 : 2;
  for (let k = 0; k < count; k++) {
    ctx.strokeStyle = layerColour(k, count, c);
    ctx.fillStyle = ctx.strokeStyle;
    ctx.setLineDash(DASHES[k % DASHES.length].map((d) => (c.projector ? d * 1.5 : d)));
    ctx.beginPath();
    let started = false;
    let last = null;
    for (const m of rows) {
      const v = m.grad_norms[k];
      if (!(v > 0 && Number.isFinite(v))) {
        started = false;
        continue;
      }
      const x = X(m.step);
      const y = Y(Math.log10(v));
      if (started) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      started = true;
      last = [x, y];
    }
    ctx.stroke();
    if (last) {
      ctx.beginPath();
      ctx.arc(last[0], last[1], c.projector ? 5 : 3.5, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.restore();
}
