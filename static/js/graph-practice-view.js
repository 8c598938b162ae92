/* Practice mode's words and marks: the question, the verdict, the hint, the working of a value's
   data, and the data hidden in the drawing while the forward variant asks for it. */

import { formatNumber as fmt } from "./format.js";

/** The operation that makes `n`, written with `texts` for its inputs ("e + c", "tanh(n)", "x**2"). */
function exprWith(n, texts) {
  const op = n.op;
  if (op.startsWith("**") && op.length > 2) return `${texts[0]}${op}`;
  if (op === "neg") return `-${texts[0]}`;
  if (texts.length === 2) return `${texts[0]} ${op} ${texts[1]}`;
  return `${op}(${texts.join(", ")})`;
}

/** The operation that makes `n`, in its inputs' names. */
const exprOf = (graph, n) => exprWith(n, n.inputs.map((i) => graph.names.get(i)));

/** A folded box's summary (its statement's short formula), or null when `n` is not a box. */
const boxSummary = (graph, n) => {
  const group = graph.within && graph.within.has(n.id) && graph.groups.find((g) => g.output === n.id);
  return group ? group.summary : null;
};

/** What value `n` is made by, as shown: its operation, or a folded box's summary. */
const madeOf = (graph, n) => (boxSummary(graph, n) ? `${boxSummary(graph, n)}, folded` : exprOf(graph, n));

/** The question for value `id`, which has `uses` uses on screen. */
export function question(graph, id, ask, uses) {
  const name = graph.names.get(id);
  const n = graph.byId.get(id);
  if (ask === "data") return `What is ${name}'s data?${n.label ? ` (${name} = ${madeOf(graph, n)})` : ""}`;
  const out = graph.names.get(graph.output);
  if (id === graph.output) return `What is ${name}.grad (∂${out}/∂${out})? Backward starts here.`;
  return `What is ${name}.grad (∂${out}/∂${name})?${uses > 1 ? ` ${name} is used ${uses} times.` : ""}`;
}

/** The hint for a wrong grad (a mistake from gradMistake over `terms`): which factor to check, not the answer. */
export function gradHint(graph, id, mistake, terms) {
  const name = graph.names.get(id);
  const out = graph.names.get(graph.output);
  if (mistake.kind === "start") return `Hint: how much does ${out} change when ${out} itself changes by a little?`;
  if (mistake.kind === "sum") {
    const users = terms.map((t) => graph.names.get(t.parent.id));
    return `Hint: ${name} is used by ${users.join(" and ")}: its grad adds one term per use (grad +=), upstream grad × local derivative for each.`;
  }
  const p = mistake.use.parent;
  const pn = graph.names.get(p.id);
  const where = graph.within && graph.within.has(p.id) ? `${pn}'s box` : `${pn}'s node`;
  const local = mistake.use.through ? `∂${pn}/∂${name} through ${pn}'s box` : `∂${pn}/∂${name}`;
  if (mistake.kind === "upstream") {
    return `Hint: check the upstream grad. Multiply ${local} by ${pn}.grad (on ${where}), the grad flowing down into ${name}.`;
  }
  if (mistake.use.through) {
    return `Hint: check the local derivative ${local} (${pn} = ${boxSummary(graph, p)}): the chain rule through each operation inside it. The upstream grad is ${pn}.grad, on ${where}.`;
  }
  return `Hint: check the local derivative ${local}, for ${pn} = ${exprOf(graph, p)}. The upstream grad is ${pn}.grad, on ${where}.`;
}

/** The working of a grad whose `terms` go through a folded box: "x.grad = h.grad × ∂h/∂x (through h's box) = ...". */
export function boxWorking(graph, id, terms) {
  const name = graph.names.get(id);
  const symbols = terms.map((t) => {
    const pn = graph.names.get(t.parent.id);
    return `${pn}.grad × ∂${pn}/∂${name}${t.through ? ` (through ${pn}'s box)` : ""}`;
  });
  const num = (x) => (!Number.isFinite(x) ? "?" : x < 0 ? `(${fmt(x)})` : fmt(x));
  const numbers = terms.map((t) => `${num(t.upstream)} × ${num(t.local)}`);
  return `${name}.grad = ${symbols.join(" + ")} = ${numbers.join(" + ")} = ${fmt(graph.byId.get(id).grad)}`;
}

/** The hint for a wrong data: where to look. */
export function dataHint(graph, id) {
  const n = graph.byId.get(id);
  if (boxSummary(graph, n)) {
    return `Hint: work through the box. ${graph.names.get(id)} = ${boxSummary(graph, n)}: take the data flowing into it and the numbers given inside it, one operation at a time.`;
  }
  const ins = [...new Set(n.inputs.map((i) => graph.names.get(i)))].join(" and ");
  return `Hint: check the operation. ${graph.names.get(id)} = ${exprOf(graph, n)}: take the data of ${ins} (on their nodes) and apply it.`;
}

/** The working of a value's data: "d = e + c = -6.0000 + 10.0000 = 4.0000" (a folded box: its summary). */
export function dataWorking(graph, id) {
  const n = graph.byId.get(id);
  if (boxSummary(graph, n)) return `${graph.names.get(id)} = ${boxSummary(graph, n)} = ${fmt(n.data)} (open the box for each step)`;
  const numbers = n.inputs.map((i) => graph.byId.get(i).data).map((x) => (x < 0 ? `(${fmt(x)})` : fmt(x)));
  return `${graph.names.get(id)} = ${exprOf(graph, n)} = ${exprWith(n, numbers)} = ${fmt(n.data)}`;
}

/**
 * Hide the data of the values in `hidden` (ids) in the drawing, show the others; a value's text
 * and its spoken label both say "data ?".
 */
export function hideData(svg, graph, hidden) {
  for (const g of svg.querySelectorAll("g[data-node][role=button]")) {
    const id = g.dataset.node;
    for (const t of g.querySelectorAll("text")) {
      if (!t.dataset.data && /^\s*data\b/.test(t.textContent)) t.dataset.data = t.textContent;
      if (!t.dataset.data) continue;
      t.textContent = hidden.has(id) ? "data ?" : t.dataset.data;
      t.classList.toggle("data-pending", hidden.has(id));
    }
    if (hidden.has(id)) g.setAttribute("aria-label", `${graph.names.get(id)}: data not yet known, grad not yet known`);
  }
}

/** The score line: right first time, right after a hint, shown, out of how many. */
export function scoreText(score, total) {
  const extra = [];
  if (score.later) extra.push(`${score.later} after a hint`);
  if (score.shown) extra.push(`${score.shown} shown`);
  return `Score: ${score.first} of ${total} right first time${extra.length ? ` (${extra.join(", ")})` : ""}.`;
}
