// The follow page: shows the teacher's latest view and each new one as it comes
// (GET /api/live/<code>/events). A view is data: it only ever reaches the page as text
// (textContent) or as query parameters of the graph API's picture, never as HTML.

const THEMES = ["light", "dark", "projector"];
const RETRY_MS = 2000;

const $ = (id) => document.getElementById(id);
const code = $("follow").dataset.code;
let lastSeq = 0;
let source = null;

function status(text) {
  $("follow-status").textContent = text;
}

/** The URL hash a page keeps its state in, as URLSearchParams ("#src=..." or "src=..."). */
function hashParams(view) {
  return new URLSearchParams(typeof view.hash === "string" ? view.hash.replace(/^#/, "") : "");
}

function showGraph(params) {
  const query = new URLSearchParams({ source: params.get("src") || "" });
  if (params.has("values")) query.set("values", params.get("values"));
  const theme = params.get("theme");
  if (THEMES.includes(theme)) query.set("theme", theme);
  $("view-image").src = "/api/graph.svg?" + query.toString();
  $("view-image").alt = "The teacher's graph of: " + (params.get("src") || "");
  $("view-source").textContent = params.get("src") || "";
  $("view-graph").hidden = false;
}

function showSummary(params, extra) {
  const list = $("view-summary");
  list.replaceChildren();
  const rows = [...params.entries()];
  if (extra && typeof extra === "object") rows.push(...Object.entries(extra));
  for (const [name, value] of rows) {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = name;
    dd.textContent = typeof value === "string" ? value : JSON.stringify(value);
    list.append(dt, dd);
  }
  list.hidden = false;
}

function render(view) {
  for (const id of ["view-graph", "view-summary", "view-raw", "view-open"]) $(id).hidden = true;
  const params = hashParams(view);
  const theme = params.get("theme");
  if (THEMES.includes(theme)) document.documentElement.dataset.theme = theme;
  $("view-title").textContent = typeof view.title === "string" && view.title ? view.title : "The teacher's view";
  const page = view.page === "train" ? "/train" : "/";
  if (view.page === "graph" && params.has("src")) showGraph(params);
  else if (view.page === "train") showSummary(params, view.summary);
  else {
    $("view-raw").textContent = JSON.stringify(view, null, 2);
    $("view-raw").hidden = false;
    return;
  }
  const open = new URL(page, location.origin);
  open.hash = params.toString();
  $("view-open").href = open.pathname + open.hash;
  $("view-open").hidden = false;
}

async function afterClose() {
  // EventSource gives up on an HTTP error: ask why, then try again unless the lesson is gone
  let wait = RETRY_MS;
  try {
    const r = await fetch(`/api/live/${code}`, { cache: "no-store" });
    if (r.status === 404) {
      status("This live lesson has ended (or the code is wrong).");
      return;
    }
    if (r.status === 429 || r.status === 503) {
      const body = await r.json().catch(() => null);
      status((body && body.detail && body.detail.message) || "The server is busy; trying again…");
      wait = Math.max(RETRY_MS, 1000 * Number(r.headers.get("Retry-After") || 0));
    } else status("Reconnecting…");
  } catch (_) {
    status("Reconnecting…");
  }
  setTimeout(connect, wait);
}

function connect() {
  source = new EventSource(`/api/live/${code}/events`);
  source.addEventListener("open", () => status("Live: following the teacher"));
  source.addEventListener("view", (event) => {
    const seq = Number(event.lastEventId);
    if (seq && seq <= lastSeq) return; // the same view again after a reconnection
    lastSeq = seq;
    let view;
    try {
      view = JSON.parse(event.data);
    } catch (_) {
      return;
    }
    if (view && typeof view === "object" && !Array.isArray(view)) render(view);
  });
  source.addEventListener("end", () => {
    source.close();
    status("This live lesson has ended.");
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) afterClose();
    else status("Reconnecting…");
  });
}

$("view-image").addEventListener("error", () => {
  $("view-source").textContent = "The graph could not be drawn. Its program:\n" + $("view-source").textContent;
});

connect();
