/* The boundary as an editor of the class's own points: click to add one (the class button's class;
   Shift: the other), click a point to remove it, Clear, paste or import CSV. `page` gives what the
   controller owns: points() (the points on show), view() (the boundary's view, or null), colours(),
   and setPoints(points) (continue the run on them). */

import { $, on, onFile } from "./dom.js";
import { clickPoints, parseCsv } from "./train-points.js";

export function setUpPointsEditor(page) {
  let label = 1; // the class a plain click adds

  function showClass() {
    $("point-class").setAttribute("aria-pressed", String(label < 0));
    $("point-class-name").textContent = label > 0 ? "+1 ●" : "−1 ■";
  }

  on("point-class", "click", () => {
    label = -label;
    showClass();
  });

  on("boundary", "click", (e) => {
    const b = page.view();
    if (!b) return;
    const canvas = $("boundary");
    const r = canvas.getBoundingClientRect();
    const cls = e.shiftKey ? -label : label;
    const next = clickPoints(page.points(), b, canvas.clientWidth, canvas.clientHeight, e.clientX - r.left, e.clientY - r.top, cls, page.colours());
    page.setPoints(next.points);
  });

  on("points-clear", "click", () => page.setPoints([]));

  const csvError = (text) => {
    $("csv-error").textContent = text;
    $("csv-error").hidden = !text;
  };

  on("points-paste", "click", () => {
    csvError("");
    $("csv-dialog").showModal();
    $("csv-text").focus();
  });

  on("csv-use", "click", () => {
    const { points, error } = parseCsv($("csv-text").value);
    if (error) return csvError(`Not read: ${error}.`);
    $("csv-dialog").close();
    page.setPoints(points);
  });

  on("points-import", "click", () => $("points-file").click());
  onFile("points-file", async (file) => {
    const { points, error } = parseCsv(await file.text());
    if (error) return page.message(`Import ${file.name}: not read: ${error}. The points are unchanged.`);
    page.setPoints(points);
  });

  showClass();
}
