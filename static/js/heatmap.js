/* The decision boundary: a heatmap of the model's score over the plane, with the samples on it. */

import { fitCanvasBox, rgb } from "./canvas.js";

let heatCanvas = null; // the scores at one pixel a cell, scaled up onto the page's canvas

/**
 * Where the boundary's view `b` ({x_min, x_max, y_min, y_max}) sits in a w x h canvas: the largest
 * rectangle of the view's own shape (one unit is as long across as up: shapes stay undistorted),
 * centred; `sx`, `sy` map data to canvas pixels and `toData` maps back.
 */
export function boundaryFrame(b, w, h) {
  const dx = b.x_max - b.x_min || 1;
  const dy = b.y_max - b.y_min || 1;
  const scale = Math.min(w / dx, h / dy);
  const left = (w - dx * scale) / 2;
  const top = (h - dy * scale) / 2;
  return {
    left,
    top,
    width: dx * scale,
    height: dy * scale,
    scale,
    sx: (x) => left + (x - b.x_min) * scale,
    sy: (y) => top + (b.y_max - y) * scale,
    toData: (px, py) => [b.x_min + (px - left) / scale, b.y_max - (py - top) / scale],
  };
}

/**
 * `scores` (an n x n grid, row 0 at y_min) onto `canvas` at one pixel a cell: the colour says the
 * sign, the strength |tanh(score)| up to `strength`.
 */
export function paintScores(canvas, scores, c, strength) {
  const n = scores.length;
  canvas.width = n;
  canvas.height = n;
  const hctx = canvas.getContext("2d");
  const img = hctx.createImageData(n, n);
  const pos = rgb(c.pos);
  const neg = rgb(c.neg);
  const bg = rgb(c.surface);
  for (let i = 0; i < n; i++) {
    const row = scores[i];
    for (let j = 0; j < n; j++) {
      const s = row[j];
      const t = Math.min(1, Math.abs(Math.tanh(s))) * strength;
      const col = s > 0 ? pos : neg;
      const k = 4 * ((n - 1 - i) * n + j); // row 0 is y_min: the bottom of the picture
      img.data[k] = bg[0] + (col[0] - bg[0]) * t;
      img.data[k + 1] = bg[1] + (col[1] - bg[1]) * t;
      img.data[k + 2] = bg[2] + (col[2] - bg[2]) * t;
      img.data[k + 3] = 255;
    }
  }
  hctx.putImageData(img, 0, 0);
  return canvas;
}

/** The model's score over the plane (colour: sign, strength: |tanh(score)|), the samples on it
    (circle: +1, square: -1, ringed when misclassified) and the boundary where the score crosses 0. */
export function drawBoundary(canvas, b, p, c) {
  const { ctx, w, h } = fitCanvasBox(canvas);
  if (!b) return;
  const f = boundaryFrame(b, w, h);
  ctx.fillStyle = c.surface2;
  ctx.fillRect(0, 0, w, h);
  const n = b.size;
  heatCanvas = paintScores(heatCanvas || document.createElement("canvas"), b.scores, c, c.projector ? 0.45 : 0.55);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(heatCanvas, 0, 0, n, n, f.left, f.top, f.width, f.height);
  // the boundary itself: where the score crosses 0 (a dotted outline of the sign change)
  ctx.fillStyle = c.text;
  const cw = f.width / (n - 1);
  const ch = f.height / (n - 1);
  const dot = c.projector ? 3 : 2;
  for (let i = 0; i < n - 1; i++) {
    for (let j = 0; j < n - 1; j++) {
      const s = b.scores[i][j] > 0;
      if (s !== b.scores[i][j + 1] > 0 || s !== b.scores[i + 1][j] > 0) {
        ctx.fillRect(f.left + j * cw + cw / 2 - dot / 2, f.top + f.height - (i * ch + ch / 2) - dot / 2, dot, dot);
      }
    }
  }
  if (p) drawSamples(ctx, f, p, c);
}

/** The point's radius on the boundary (clicks within it and a little more pick the point). */
export const pointRadius = (c) => (c.projector ? 6.5 : 4.5);

function drawSamples(ctx, f, p, c) {
  const r = pointRadius(c);
  ctx.lineWidth = c.projector ? 2 : 1.2;
  for (let i = 0; i < p.x.length; i++) {
    const [x, y] = p.x[i];
    const X = f.sx(x);
    const Y = f.sy(y);
    const t = p.target[i];
    ctx.fillStyle = t > 0 ? c.pos : c.neg;
    ctx.strokeStyle = c.surface;
    ctx.beginPath();
    if (t > 0) ctx.arc(X, Y, r, 0, 2 * Math.PI);
    else ctx.rect(X - r, Y - r, 2 * r, 2 * r);
    ctx.fill();
    ctx.stroke();
    if (Math.sign(p.score[i]) !== Math.sign(t)) {
      ctx.strokeStyle = c.text;
      ctx.lineWidth = c.projector ? 2.5 : 1.5;
      ctx.beginPath();
      ctx.arc(X, Y, r + 3, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.lineWidth = c.projector ? 2 : 1.2;
    }
  }
}
