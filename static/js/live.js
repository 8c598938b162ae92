/* Live lessons in the browser (the API: docs/api.md "Live lessons"). The presenter goes live and
   sends each view; a follower listens to the lesson's event stream. A view is data:
   {page: "graph" | "train", title: text, hash: "#<the page's URL hash>", run?, camera?} (a slide
   without its notes, docs/lessons.md); checkView says whether one
   received can be shown. The key stays in this tab (sessionStorage) and is sent only to PUT. */

import { MAX_TITLE, checkSlide } from "./lesson.js";

const SESSION = "chainrule.live"; // sessionStorage: {code, key, follow} while this tab is live
const SEND_DELAY_MS = 150; // a burst of changes is sent as its last view
const RETRY_MS = 2000;

/** The lesson this tab presents ({code, key, follow}), or null. */
export function liveSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION) || "null");
    return s && typeof s.code === "string" && typeof s.key === "string" ? s : null;
  } catch (_) {
    return null;
  }
}

/** Go live: POST /api/live. Resolves to {code, key, follow}, or throws an Error with the server's reason. */
export async function goLive() {
  const res = await fetch("/api/live", { method: "POST", headers: { Accept: "application/json" } });
  const body = await res.json().catch(() => null);
  if (res.status !== 201 || !body) {
    const why = body && body.detail && body.detail.message;
    throw new Error(why || `the server answered ${res.status}`);
  }
  const session = { code: body.code, key: body.key, follow: body.follow };
  sessionStorage.setItem(SESSION, JSON.stringify(session));
  return session;
}

export const stopLive = () => sessionStorage.removeItem(SESSION);

/** The QR code's address: the follow address with this page's origin, for students' phones. */
export const qrUrl = (code) => `/api/live/${encodeURIComponent(code)}/qr.svg?base=${encodeURIComponent(location.origin)}`;

/**
 * A sender of views for the live session: `send(view)` PUTs it (the last of a burst; the same
 * view twice is sent once). `onEnd(message)` is called when the server no longer takes views,
 * `onRefused(reason)` when it refuses one (413: too big).
 */
export function createSender(session, onEnd, onRefused = () => {}) {
  let timer = 0;
  let pending = null;
  let sent = "";
  async function flush() {
    const body = pending;
    pending = null;
    if (body === null || body === sent) return;
    sent = body;
    let res;
    try {
      res = await fetch(`/api/live/${encodeURIComponent(session.code)}`, {
        method: "PUT",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${session.key}` },
        body,
      });
    } catch (_) {
      sent = ""; // not sent: the next change tries again
      return;
    }
    if (res.status === 404 || res.status === 401) {
      stopLive();
      onEnd(res.status === 404 ? "The live lesson has ended (no view for too long)." : "This tab no longer holds the lesson's key.");
    } else if (res.status === 413 || res.status === 422) {
      const body = await res.json().catch(() => null);
      const why = body && body.detail && body.detail.message;
      onRefused(why || `the server refused it (HTTP ${res.status})`);
    } else if (!res.ok) sent = "";
  }
  return {
    send(view) {
      pending = JSON.stringify(view);
      clearTimeout(timer);
      timer = setTimeout(flush, SEND_DELAY_MS);
    },
  };
}

/** The view checked (as a slide is): {page, title, hash, run?, camera?}, or null when it is not one this app can show. */
export function checkView(view) {
  if (!view || typeof view !== "object" || Array.isArray(view)) return null;
  const title = typeof view.title === "string" ? view.title.slice(0, MAX_TITLE) : "";
  try {
    const { notes: _none, ...checked } = checkSlide({ ...view, title, notes: "" });
    return checked;
  } catch (_) {
    return null;
  }
}

/**
 * Follow lesson `code`: `onView(view, seq)` for the latest view at once and each new one (views
 * that fail checkView come as null); `onStatus(text, ended)` says how the connection is.
 * The stream reconnects by itself; after an HTTP error this asks why before trying again.
 */
export function follow(code, onView, onStatus) {
  let lastSeq = 0;
  let source = null;
  async function afterClose() {
    let wait = RETRY_MS;
    try {
      const r = await fetch(`/api/live/${encodeURIComponent(code)}`, { cache: "no-store" });
      if (r.status === 404) return onStatus("This live lesson has ended (or the code is wrong).", true);
      if (r.status === 429 || r.status === 503) {
        const body = await r.json().catch(() => null);
        onStatus((body && body.detail && body.detail.message) || "The server is busy; trying again…", false);
        wait = Math.max(RETRY_MS, 1000 * Number(r.headers.get("Retry-After") || 0));
      } else onStatus("Reconnecting…", false);
    } catch (_) {
      onStatus("Reconnecting…", false);
    }
    setTimeout(connect, wait);
  }
  function connect() {
    source = new EventSource(`/api/live/${encodeURIComponent(code)}/events`);
    source.addEventListener("open", () => onStatus("Live", false));
    source.addEventListener("view", (event) => {
      const seq = Number(event.lastEventId);
      if (seq && seq <= lastSeq) return; // the same view again after a reconnection
      lastSeq = seq;
      let view = null;
      try {
        view = JSON.parse(event.data);
      } catch (_) {
        /* not JSON: reported as a view this page cannot show */
      }
      onView(checkView(view), seq);
    });
    source.addEventListener("end", () => {
      source.close();
      onStatus("This live lesson has ended.", true);
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) afterClose();
      else onStatus("Reconnecting…", false);
    });
  }
  connect();
  return { close: () => source && source.close() };
}
