/* Keyboard shortcuts: when a key belongs to a text field rather than to the page. */

/** True when the focus is in a field that takes keys itself (a checkbox or a file input does not). */
export function typingIn(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
  return target.tagName === "INPUT" && !["checkbox", "radio", "button", "file"].includes(target.type);
}

/**
 * The key of a keydown the page's shortcuts should take (a single character in lower case), or
 * null when it is not the page's: a modifier is held, a field takes the key, or a dialog is open.
 */
export function pageKey(e) {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || typingIn(e.target)) return null;
  if (document.querySelector("dialog[open]")) return null;
  return e.key.length === 1 ? e.key.toLowerCase() : e.key;
}

/** Run the action `actions[key]`, if there is one, instead of the browser's own; true if it ran. */
export function runShortcut(e, key, actions) {
  const action = actions[key];
  if (!action) return false;
  e.preventDefault();
  action();
  return true;
}
