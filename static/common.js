/* What both pages share: the themes, and which one the T and P keys (and the Projector button) move to.
   Loaded (deferred) before the page's own script. */
"use strict";

window.chainruleCommon = (() => {
  const THEMES = ["light", "dark", "projector"];
  return {
    THEMES,
    /** The theme T moves to: the next in the list. */
    nextTheme: (theme) => THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length],
    /** The theme P moves to: projector, or back from it to the theme used before. */
    projectorToggled: (theme, lastTheme) => (theme === "projector" ? lastTheme : "projector"),
    /** The theme for a first visit: the system's light or dark. */
    preferredTheme: () => (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"),
  };
})();
