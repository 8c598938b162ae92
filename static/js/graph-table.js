/* Too big to draw, still useful: the program's values as a table (label, op, data, grad), sortable
   by any column and searchable, shown beside the error when the server will not draw the graph. */

import { post } from "./api.js";
import { $, h } from "./dom.js";
import { formatNumber as fmt } from "./format.js";
import { indexGraph } from "./graph-model.js";

const MAX_ROWS = 500; // rows in the page at once; the search finds the others
const COLUMNS = [
  ["label", "value", (n, names) => names.get(n.id)],
  ["op", "op", (n) => n.op || "leaf"],
  ["data", "data", (n) => n.data],
  ["grad", "grad", (n) => n.grad],
];

let rows = []; // [{ cells, node }] of the table on show
let sort = { column: 3, down: true }; // by |grad|, the biggest first: where a teacher looks

/** Show the values of `graph` (indexed: graph-model.js) in the table; `note` says why there is no picture. */
export function showTable(graph, note) {
  rows = graph.nodes.map((n) => ({ cells: COLUMNS.map(([, , get]) => get(n, graph.names)), node: n }));
  $("values-note").textContent = note;
  $("values-table").hidden = false;
  document.body.classList.add("showing-table");
  fill();
}

/**
 * The graph API's answer to `request` without its picture, shown as the table when `current()` still
 * says it is wanted (no newer request); `why`: the server's reason for not drawing it.
 */
export async function tableInstead(request, current, why) {
  try {
    const res = await post("/api/graph", { ...request, picture: false });
    const body = res.ok ? await res.json() : null;
    if (body && current()) showTable(indexGraph({ ...body, literals: body.literals || [] }), `Not drawn: ${why}`);
  } catch {
    // no answer: the error box already says what is wrong
  }
}

/** Back to the picture. */
export function hideTable() {
  if ($("values-table").hidden) return;
  $("values-table").hidden = true;
  document.body.classList.remove("showing-table");
  rows = [];
}

function fill() {
  const query = $("values-search").value.trim().toLowerCase();
  const { column, down } = sort;
  const key = (r) => (column >= 2 ? Math.abs(r.cells[column]) : String(r.cells[column]));
  const shown = rows
    .filter((r) => !query || String(r.cells[0]).toLowerCase().includes(query) || r.cells[1].includes(query))
    .sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      const order = x < y ? -1 : x > y ? 1 : 0;
      return down ? -order : order;
    });
  const body = $("values-body");
  body.replaceChildren(
    ...shown.slice(0, MAX_ROWS).map((r) =>
      h(
        "tr",
        {},
        h("th", { scope: "row", class: "mono", text: r.cells[0] }),
        h("td", { class: "mono", text: r.cells[1] }),
        h("td", { class: "mono", text: fmt(r.cells[2]) }),
        h("td", { class: "mono", text: fmt(r.cells[3]) })
      )
    )
  );
  const more = shown.length - MAX_ROWS;
  $("values-count").textContent =
    `${shown.length} of ${rows.length} values` + (more > 0 ? ` (the first ${MAX_ROWS} listed: search to find the others)` : "");
  document.querySelectorAll("#values-head th").forEach((th, i) => {
    th.setAttribute("aria-sort", i === column ? (down ? "descending" : "ascending") : "none");
  });
}

/** Wire the search field and the sort buttons in the column heads. */
export function setUpTable() {
  $("values-search").addEventListener("input", fill);
  document.querySelectorAll("#values-head button").forEach((button, i) => {
    button.addEventListener("click", () => {
      sort = { column: i, down: sort.column === i ? !sort.down : i >= 2 };
      fill();
    });
  });
}
