/* The graph API's answer (POST /api/graph), indexed for the page: values by id, who consumes
   each value, a readable name for every value, and what is known at a step of backward. */

import { formatNumber as fmt } from "./format.js";

const MAX_NAME_CHARS = 28; // longer expression names are cut short with "…"

/** The answer plus byId, consumers (id -> [{id, index}]), names (id -> text) and order. */
export function indexGraph(data) {
  const byId = new Map(data.nodes.map((n) => [n.id, n]));
  const consumers = new Map(data.nodes.map((n) => [n.id, []]));
  for (const n of data.nodes) n.inputs.forEach((c, i) => consumers.get(c).push({ id: n.id, index: i }));
  const names = new Map();
  // a readable name for every value: its label, its number, or its expression
  for (const n of data.nodes) {
    let name = n.label;
    if (!name && n.role === "constant") name = fmt(n.data).replace(/\.?0+$/, "") || "0";
    if (!name) name = `(${exprName(n, names)})`;
    if (name.length > MAX_NAME_CHARS) name = `(${name.slice(1, MAX_NAME_CHARS - 3)}…)`;
    names.set(n.id, name);
  }
  return { ...data, byId, consumers, names, order: data.backward_order };
}

function exprName(n, names) {
  const ins = n.inputs.map((i) => names.get(i).replace(/^\((.*)\)$/, "$1"));
  const op = n.op;
  if (op.startsWith("**") && op.length > 2) return `${ins[0]}${op}`;
  if (op === "neg") return `-${ins[0]}`;
  if (ins.length === 2) return `${ins[0]}${op}${ins[1]}`;
  return `${op}(${ins.join(", ")})`;
}

/** The graph's shape (not its numbers): an unchanged shape keeps the view where it is. */
export const structureKey = (data) => data.nodes.map((n) => `${n.id}:${n.op}:${n.inputs.join(",")}`).join("|");

/** Ids whose grad is known at `step` (null: all of them). */
export function revealed(graph, step) {
  if (!graph) return new Set();
  if (step === null) return new Set(graph.nodes.map((n) => n.id));
  const known = new Set(graph.order.slice(0, step));
  // a folded statement's values get their grads with its output's
  for (const [output, members] of graph.within || []) if (known.has(output)) members.forEach((m) => known.add(m));
  return known;
}

/** The value whose grad the step `step` has just set, or null. */
export function stepNode(graph, step) {
  if (!graph || step === null || step === 0) return null;
  return graph.order[step - 1];
}

/** The terms that make up a value's grad: one per edge to a consumer. */
export function gradTerms(graph, id) {
  return graph.consumers.get(id).map(({ id: pid, index }) => {
    const p = graph.byId.get(pid);
    return { parent: p, index, upstream: p.grad, local: p.local[index], value: p.grad * p.local[index] };
  });
}

/** A rule's formula (the API's `derivatives`, in the op's operands a, b, k) in this value's input names. */
export function formulaFor(graph, n, i) {
  const f = (n.derivatives && n.derivatives[i]) || "";
  const ins = n.inputs.map((id) => graph.names.get(id));
  const wrap = (s) => (/^[\w.#-]+$/.test(s) ? s : `(${s})`);
  const k = n.op.startsWith("**") && n.op.length > 2 ? n.op.slice(2) : null;
  return f.replace(/\b[abk]\b/g, (m) => {
    if (m === "a" && ins[0] !== undefined) return wrap(ins[0]);
    if (m === "b" && ins[1] !== undefined) return wrap(ins[1]);
    if (m === "k" && k !== null) return k;
    return m;
  });
}

/** "pos", "neg" or "zero": the class that colours a number by its sign. */
export const signClass = (x) => (x > 0 ? "pos" : x < 0 ? "neg" : "zero");

/** The input leaves' labels: the program's `name = number` leaves in source order, then the others. */
export function leafLabels(graph) {
  const seen = [];
  for (const n of graph.nodes) if (n.role === "input" && n.label && !seen.includes(n.label)) seen.push(n.label);
  const where = new Map();
  graph.literals.forEach((lit, k) => where.has(lit.name) || where.set(lit.name, k));
  return seen.sort((x, y) => (where.get(x) ?? -1) - (where.get(y) ?? -1));
}

/**
 * The program with the number of `name`'s first `name = number` statement replaced by `text`, at
 * the place the API said (`literals`, for this very `source`), and the literals moved to match;
 * null when the program has no such statement.
 */
export function rewriteLiteral(source, literals, name, text) {
  const lit = literals.find((l) => l.name === name);
  if (!lit) return null;
  const breaks = /\r\n|\r|\n/g; // the lines as the server counts them
  let start = 0;
  for (let line = 1; line < lit.line; line++) {
    if (!breaks.exec(source)) return null;
    start = breaks.lastIndex;
  }
  const rewritten = source.slice(0, start + lit.column - 1) + text + source.slice(start + lit.end_column - 1);
  const delta = text.length - (lit.end_column - lit.column);
  const moved = literals.map((l) => {
    if (l === lit) return { ...l, end_column: l.end_column + delta };
    if (l.line === lit.line && l.column > lit.column) return { ...l, column: l.column + delta, end_column: l.end_column + delta };
    return l;
  });
  return { source: rewritten, literals: moved };
}
