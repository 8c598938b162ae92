/* What both pages share: the themes, which one the T and P keys (and the Projector button) move to,
   when a key belongs to a text field rather than to the page's shortcuts, numbers as program
   literals, and downloads.
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
    /** Put a theme on the page and on the top bar's theme select and Projector button. */
    showTheme(theme) {
      document.documentElement.dataset.theme = theme;
      document.getElementById("theme").value = theme;
      document.getElementById("toggle-projector").setAttribute("aria-pressed", String(theme === "projector"));
    },
    /** The theme for a first visit: the system's light or dark. */
    preferredTheme: () => (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"),
    /** True when the focus is in a field that takes keys itself (a checkbox or a file input does not). */
    typingIn(target) {
      if (!(target instanceof HTMLElement)) return false;
      if (target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
      return target.tagName === "INPUT" && !["checkbox", "radio", "button", "file"].includes(target.type);
    },
    /** A number as a literal in a program: full precision, always with a decimal point. */
    literal(x) {
      let s = String(Object.is(x, -0) ? 0 : x);
      if (/^-?\d+$/.test(s)) s += ".0";
      return s;
    },
    /** Save a blob as a file. */
    download(blob, filename) {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    },
  };
})();
