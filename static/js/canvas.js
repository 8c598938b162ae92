/* What the training page's canvases share: a canvas sized to its box, and the theme's colours. */

/** A canvas whose CSS box the layout sizes (both sides): sized to it at the device's pixel ratio;
    its 2-D context, cleared, and its size in CSS pixels. */
export function fitCanvasBox(canvas) {
  const w = Math.max(60, Math.floor(canvas.clientWidth));
  const hgt = Math.max(60, Math.floor(canvas.clientHeight));
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(hgt * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(hgt * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, hgt);
  return { ctx, w, h: hgt };
}

/** "#rrggbb" as [r, g, b] (grey for anything else). */
export function rgb(hex) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? [1, 2, 3].map((i) => parseInt(m[i], 16)) : [128, 128, 128];
}

/** The theme's colours and type for drawing, read from the page's CSS once a frame. */
export function canvasColours(projector) {
  const root = getComputedStyle(document.documentElement);
  const cssVar = (name) => root.getPropertyValue(name).trim();
  const fontPx = parseFloat(root.fontSize);
  const textPx = projector ? Math.round(fontPx) : Math.max(12, Math.round(fontPx * 0.8));
  return {
    pos: cssVar("--pos"),
    neg: cssVar("--neg"),
    text: cssVar("--text"),
    muted: cssVar("--muted"),
    border: cssVar("--border"),
    surface: cssVar("--surface"),
    surface2: cssVar("--surface-2"),
    fontPx: textPx,
    font: `${textPx}px ${cssVar("--font") || "sans-serif"}`,
    projector,
  };
}
