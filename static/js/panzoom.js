/* Pan and zoom of an SVG inside a viewport, by rewriting the SVG's viewBox: the wheel zooms at the
   cursor, a drag pans, and a caller can fit the picture, zoom to readable type, or pan smoothly to
   show some elements. createPanZoom() returns the view (its state) with the functions that move it. */

const PAD = 1.08; // room around a fitted picture
const MAX_BLOW_UP = 2.2; // never blow a tiny picture up past 2.2x its natural size (user units are points)
const PAN_MS = 350;
const EDGE_PX = 20; // the camera leaves at most this much room past a picture's edge (screen px)

/**
 * viewport: the element the picture is seen through; container: the element holding the <svg>.
 * onResize(refit): called after the viewport changes size, unless the person has zoomed or panned
 * (and refitOnResize() was not asked for): the page fits the picture again. bottomInset(): the
 * screen px at the viewport's foot that controls cover, which the camera keeps a picture's end above.
 */
export function createPanZoom(viewport, container, onResize, bottomInset = () => 0) {
  // onApply: called after every change of view (an overview follows it)
  // moved: the person has zoomed or panned since the last fit (then nothing re-fits on its own)
  // onMove: called after the person (or the page for them) fits, zooms or pans
  const view = { ready: false, base: null, cx: 0, cy: 0, scale: 1, moved: false };
  // the viewport's size, kept up to date by a ResizeObserver: reading it from the DOM right
  // after inserting a new SVG would force an extra layout on every redraw
  let size = null;
  let refit = false;
  let animation = 0;
  const svg = () => container.querySelector("svg");

  function viewportSize() {
    if (!size) size = { w: viewport.clientWidth, h: viewport.clientHeight };
    return { w: Math.max(size.w, 50), h: Math.max(size.h, 50) };
  }

  function apply() {
    const s = svg();
    if (!s || !view.ready) return;
    const { w, h } = viewportSize();
    const vw = w * view.scale;
    const vh = h * view.scale;
    s.setAttribute("viewBox", `${view.cx - vw / 2} ${view.cy - vh / 2} ${vw} ${vh}`);
    if (view.onApply) view.onApply();
  }

  /** Take a freshly inserted <svg>: its own viewBox is the picture's extent. */
  function adopt(s) {
    const vb = (s.getAttribute("viewBox") || "").split(/[\s,]+/).map(Number);
    if (vb.length === 4 && vb.every(Number.isFinite)) view.base = { x: vb[0], y: vb[1], w: vb[2], h: vb[3] };
    else {
      const box = s.getBBox();
      view.base = { x: box.x, y: box.y, w: box.width, h: box.height };
    }
    s.removeAttribute("width");
    s.removeAttribute("height");
    s.setAttribute("preserveAspectRatio", "xMidYMid meet");
  }

  /** The whole picture in view. */
  function fit() {
    if (!view.base) return;
    const { w, h } = viewportSize();
    const b = view.base;
    view.scale = Math.max((b.w * PAD) / w, (b.h * PAD) / h, 0.75 / MAX_BLOW_UP);
    view.cx = b.x + b.w / 2;
    view.cy = b.y + b.h / 2;
    view.ready = true;
    view.moved = false;
    apply();
    moved();
  }

  const moved = () => view.onMove && view.onMove();

  /** The part of the picture in view: {x, y, w, h} in user units. */
  function region() {
    const { w, h } = viewportSize();
    return { x: view.cx - (w * view.scale) / 2, y: view.cy - (h * view.scale) / 2, w: w * view.scale, h: h * view.scale };
  }

  /** Show all of this part of the picture ({x, y, w, h} in user units), centred, as large as the viewport allows. */
  function showRegion(r) {
    const { w, h } = viewportSize();
    cancelAnimationFrame(animation);
    view.cx = r.x + r.w / 2;
    view.cy = r.y + r.h / 2;
    view.scale = Math.max(r.w / w, r.h / h);
    view.ready = true;
    view.moved = true;
    apply();
  }

  /** The union of these elements' boxes (by element id) in user units, or null. */
  function userRect(elementIds) {
    const s = svg();
    if (!s) return null;
    const vr = viewport.getBoundingClientRect();
    const ox = vr.left + vr.width / 2;
    const oy = vr.top + vr.height / 2;
    let box = null;
    for (const id of elementIds) {
      const n = s.getElementById(id);
      if (!n) continue;
      const r = n.getBoundingClientRect();
      const u = {
        x1: view.cx + (r.left - ox) * view.scale,
        x2: view.cx + (r.right - ox) * view.scale,
        y1: view.cy + (r.top - oy) * view.scale,
        y2: view.cy + (r.bottom - oy) * view.scale,
      };
      box = box
        ? { x1: Math.min(box.x1, u.x1), x2: Math.max(box.x2, u.x2), y1: Math.min(box.y1, u.y1), y2: Math.max(box.y2, u.y2) }
        : u;
    }
    return box;
  }

  /**
   * The centre (cx, cy) moved, along each axis, so that a picture larger than the view fills it (no
   * empty room past one edge while the other is cut off) and a smaller one is centred: where the
   * camera goes on its own. The person's own pans and zooms go anywhere.
   */
  function within(cx, cy) {
    const b = view.base;
    if (!b) return { cx, cy };
    const { w, h } = viewportSize();
    const s = view.scale;
    const bottom = Math.max(EDGE_PX, bottomInset());
    const along = (c, start, length, span, low, high) =>
      length + low + high <= span
        ? start + length / 2
        : Math.min(Math.max(c, start - low + span / 2), start + length + high - span / 2);
    return {
      cx: along(cx, b.x, b.w, w * s, EDGE_PX * s, EDGE_PX * s),
      cy: along(cy, b.y, b.h, h * s, EDGE_PX * s, bottom * s),
    };
  }

  /**
   * Fit the whole picture, unless type of `fontUnits` user units would be smaller than `minTextPx`:
   * then zoom to that size and show the focus elements (`atRightEnd`: their right end, where a
   * graph's output is).
   */
  function autoFit(fontUnits, minTextPx, focusIds, atRightEnd) {
    fit();
    const readable = fontUnits / minTextPx;
    if (view.scale <= readable) return;
    view.scale = readable;
    apply();
    const r = userRect(focusIds);
    if (!r) return;
    const { w, h } = viewportSize();
    const b = view.base;
    const cx = atRightEnd ? r.x2 + EDGE_PX * view.scale - (w * view.scale) / 2 : (r.x1 + r.x2) / 2;
    const cy = b.h <= h * view.scale ? b.y + b.h / 2 : (r.y1 + r.y2) / 2;
    ({ cx: view.cx, cy: view.cy } = within(cx, cy));
    apply();
  }

  /**
   * Pan (smoothly) so that these elements are on screen, if they are not already; when all of them
   * cannot be, the first `mustIds` (or the first element) alone.
   */
  function ensureVisible(elementIds, mustIds = elementIds.slice(0, 1)) {
    let r = userRect(elementIds);
    if (!r || !view.ready) return;
    const { w, h } = viewportSize();
    const margin = 30 * view.scale;
    const vw = w * view.scale;
    const vh = h * view.scale;
    if (r.x2 - r.x1 + 2 * margin > vw || r.y2 - r.y1 + 2 * margin > vh) r = userRect(mustIds) || r;
    const inside =
      r.x1 - margin >= view.cx - vw / 2 && r.x2 + margin <= view.cx + vw / 2 &&
      r.y1 - margin >= view.cy - vh / 2 && r.y2 + margin <= view.cy + vh / 2;
    if (inside) return;
    const { cx: tx, cy: ty } = within((r.x1 + r.x2) / 2, (r.y1 + r.y2) / 2);
    cancelAnimationFrame(animation);
    if (matchMedia("(prefers-reduced-motion: reduce)").matches) {
      view.cx = tx;
      view.cy = ty;
      apply();
      return;
    }
    const from = { x: view.cx, y: view.cy };
    const t0 = performance.now();
    const tick = (now) => {
      const t = Math.min(1, (now - t0) / PAN_MS);
      const e = t * (2 - t);
      view.cx = from.x + (tx - from.x) * e;
      view.cy = from.y + (ty - from.y) * e;
      apply();
      if (t < 1) animation = requestAnimationFrame(tick);
    };
    animation = requestAnimationFrame(tick);
  }

  /** Zoom by `factor` (> 1: closer), keeping the point under (clientX, clientY) put (default: the middle). */
  function zoomBy(factor, clientX, clientY) {
    if (!view.ready) return;
    const r = viewport.getBoundingClientRect();
    const px = clientX === undefined ? r.width / 2 : clientX - r.left;
    const py = clientY === undefined ? r.height / 2 : clientY - r.top;
    const ux = view.cx + (px - r.width / 2) * view.scale;
    const uy = view.cy + (py - r.height / 2) * view.scale;
    const base = view.base ? Math.max(view.base.w / r.width, view.base.h / r.height) : 1;
    const scale = Math.min(Math.max(view.scale / factor, 0.02), Math.max(base * 4, 2));
    view.cx = ux - (px - r.width / 2) * scale;
    view.cy = uy - (py - r.height / 2) * scale;
    view.scale = scale;
    view.moved = true;
    apply();
    moved();
  }

  /** Move the view by screen pixels. */
  function panBy(dxPx, dyPx) {
    cancelAnimationFrame(animation);
    view.cx += dxPx * view.scale;
    view.cy += dyPx * view.scale;
    view.moved = true;
    apply();
    moved();
  }

  viewport.addEventListener(
    "wheel",
    (e) => {
      if (!view.ready) return;
      e.preventDefault();
      const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      zoomBy(Math.exp(-dy * 0.0015), e.clientX, e.clientY);
    },
    { passive: false }
  );
  let drag = null;
  viewport.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 || e.target.closest("button")) return;
    drag = { id: e.pointerId, x: e.clientX, y: e.clientY, moved: false };
  });
  viewport.addEventListener("pointermove", (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) {
      drag.moved = true;
      viewport.setPointerCapture(e.pointerId);
      viewport.classList.add("dragging");
    }
    drag.x = e.clientX;
    drag.y = e.clientY;
    panBy(-dx, -dy);
  });
  const end = (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    if (drag.moved) {
      viewport.classList.remove("dragging");
      // swallow the click that ends a drag
      const stop = (ev) => ev.stopPropagation();
      window.addEventListener("click", stop, { capture: true, once: true });
      setTimeout(() => window.removeEventListener("click", stop, { capture: true }), 0);
    }
    drag = null;
  };
  viewport.addEventListener("pointerup", end);
  viewport.addEventListener("pointercancel", end);
  new ResizeObserver((entries) => {
    const r = entries[entries.length - 1].contentRect;
    size = { w: r.width, h: r.height };
    const again = (refit || !view.moved) && view.ready;
    refit = false;
    if (again) onResize(true);
    else apply();
  }).observe(viewport);

  return {
    view,
    adopt,
    apply,
    fit,
    autoFit,
    ensureVisible,
    zoomBy,
    panBy,
    region,
    showRegion,
    /** Fit again after the viewport's next change of size (it gets or gives back room). */
    refitOnResize: () => (refit = true),
  };
}
