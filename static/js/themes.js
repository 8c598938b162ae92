/* The themes both pages share, and which one the T and P keys (and the Projector button) move to. */

export const THEMES = ["light", "dark", "projector"];

/** The theme T moves to: the next in the list. */
export const nextTheme = (theme) => THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];

/** The theme P moves to: projector, or back from it to the theme used before. */
export const projectorToggled = (theme, lastTheme) => (theme === "projector" ? lastTheme : "projector");

/** Put a theme on the page and on the top bar's theme select and Projector button. */
export function showTheme(theme) {
  document.documentElement.dataset.theme = theme;
  document.getElementById("theme").value = theme;
  document.getElementById("toggle-projector").setAttribute("aria-pressed", String(theme === "projector"));
}

/** The theme for a first visit: the system's light or dark. */
export const preferredTheme = () => (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
