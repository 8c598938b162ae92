/* Statements folded into one box each (the API's `groups`, drawn folded when asked for in `fold`):
   which statements fold, the steps of a folded graph (one per box: a group's grad arrives with its
   output's), and the frames and boxes made into buttons that fold or unfold their statement. */

/**
 * Index the folds of a drawn graph: `graph.order` keeps only the values on the picture, and
 * `graph.within` says, for each folded box, the values inside it (their grads arrive with its own).
 */
export function indexFolds(graph, svg) {
  graph.within = new Map();
  for (const g of graph.groups || []) {
    if (graph.folded.includes(g.statement)) graph.within.set(g.output, g.members);
  }
  if (graph.within.size) graph.order = graph.order.filter((id) => svg.getElementById(`node-${id}`));
}

/** The frames of unfolded statements and the folded boxes: buttons that fold and unfold them. */
export function prepareGroups(svg, graph) {
  for (const frame of svg.querySelectorAll("g.cluster.group")) {
    const k = Number(frame.id.replace("group-", ""));
    const group = (graph.groups || []).find((g) => g.statement === k);
    if (!group) continue;
    frame.dataset.group = String(k);
    frame.setAttribute("tabindex", "0");
    frame.setAttribute("role", "button");
    frame.setAttribute("aria-expanded", "true");
    frame.setAttribute("aria-label", `statement ${group.name} = ${group.summary}: press Enter to fold it into one box`);
  }
  for (const g of graph.groups || []) {
    if (!graph.folded.includes(g.statement)) continue;
    const box = svg.getElementById(`node-${g.output}`);
    if (!box) continue;
    box.dataset.group = String(g.statement);
    box.setAttribute("aria-expanded", "false");
  }
}

/** The statements to fold after a click (or Enter) on statement `k`'s frame or box. */
export function toggledFold(graph, k) {
  const folded = new Set(graph.folded);
  if (folded.has(k)) folded.delete(k);
  else folded.add(k);
  return [...folded].sort((a, b) => a - b);
}

/** G: fold every statement, or unfold them all when all are folded. */
export function allToggled(graph) {
  const all = (graph.groups || []).map((g) => g.statement);
  return all.every((k) => graph.folded.includes(k)) ? [] : all;
}
