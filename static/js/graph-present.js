/* The graph page's presentation: the theme (projector mode is a presentation: the editor folds
   away, E brings it back), the editor shown or folded, and the details panel in projector mode. */

import { $ } from "./dom.js";
import { THEMES, nextTheme, projectorToggled, showTheme } from "./themes.js";

/**
 * state: the page's state (theme, editor); redraw(): draw the graph again (the projector theme lays
 * out at a different size); writeHash(): put the view in the URL.
 */
export function createPresentation(state, { redraw, writeHash }) {
  let lastTheme = "light"; // the theme P returns to

  function applyTheme(theme, again = true) {
    if (!THEMES.includes(theme)) return;
    if (theme !== "projector") lastTheme = theme;
    state.theme = theme;
    showTheme(theme);
    if (again) redraw();
    writeHash();
  }

  /** P, T and the theme menu: entering projector mode folds the editor away, leaving it brings it back. */
  function switchTheme(theme) {
    const was = state.theme;
    applyTheme(theme);
    if ((theme === "projector") !== (was === "projector")) setEditor(theme !== "projector");
  }

  /** The node inspector and gradient check: a panel over the graph in projector mode. */
  function showDetails(open) {
    document.body.classList.toggle("details-open", open);
    $("toggle-details").setAttribute("aria-expanded", String(open));
  }

  /** The editor shown or folded away (the graph re-fits to its new room unless zoomed or panned). */
  function setEditor(visible) {
    state.editor = visible;
    document.body.classList.toggle("editor-hidden", !visible);
    const btn = $("toggle-editor");
    btn.setAttribute("aria-pressed", String(!visible));
    btn.textContent = visible ? "Hide editor" : "Show editor";
    writeHash();
  }

  return {
    applyTheme,
    setEditor,
    showDetails,
    toggleProjector: () => switchTheme(projectorToggled(state.theme, lastTheme)),
    nextTheme: () => switchTheme(nextTheme(state.theme)),
    switchTheme,
    toggleDetails: () => showDetails(!document.body.classList.contains("details-open")),
  };
}
