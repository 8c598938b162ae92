/* Practice on a folded graph: what is on screen. A folded statement is one box (its output's id);
   the values inside it are hidden until it is opened, so the questions are about the values drawn
   (the boxes' boundary values), and a grad that flows through a box flows through all of it:
   upstream the box's grad, local derivative ∂box/∂input through every operation inside. */

import { formatNumber as fmt } from "./format.js";
import { gradTerms } from "./graph-model.js";

const boxes = new WeakMap(); // graph -> Map(hidden id -> its box's output id)

/** For each value hidden in a folded box, the id of the box (its statement's output). */
export function boxOf(graph) {
  let map = boxes.get(graph);
  if (!map) {
    map = new Map();
    for (const [output, members] of graph.within || []) for (const m of members) if (m !== output) map.set(m, output);
    boxes.set(graph, map);
  }
  return map;
}

/** The value drawn for `id`: itself, or the folded box it is inside. */
export const drawnAs = (graph, id) => boxOf(graph).get(id) ?? id;

/** True when `id` is a folded box. */
export const isBox = (graph, id) => Boolean(graph.within && graph.within.has(id));

/** The statement group whose output is `id`. */
export const groupOf = (graph, id) => (graph.groups || []).find((g) => g.output === id);

/** The values a box's operations take from outside it (as drawn). */
function boxInputs(graph, id) {
  const members = new Set(graph.within.get(id));
  const ins = [...members].flatMap((m) => graph.byId.get(m).inputs);
  return ins.filter((i) => !members.has(i)).map((i) => drawnAs(graph, i));
}

/**
 * The terms of a drawn value's grad, one per use on screen: a use inside a folded box is the box
 * (`through`: upstream the box's grad, local ∂box/∂value through everything inside, the sum of the
 * terms of the uses inside it divided by the box's grad).
 */
export function visibleTerms(graph, id) {
  const terms = [];
  const through = new Map();
  for (const t of gradTerms(graph, id)) {
    const box = boxOf(graph).get(t.parent.id);
    if (!box) {
      terms.push(t);
      continue;
    }
    if (!through.has(box)) {
      const parent = graph.byId.get(box);
      const term = { parent, index: -1, upstream: parent.grad, value: 0, through: true };
      through.set(box, term);
      terms.push(term);
    }
    through.get(box).value += t.value;
  }
  // a box used both inside and by its own output's operation: one use, all through the box
  const merged = [];
  for (const t of terms) {
    if (!t.through && through.has(t.parent.id)) through.get(t.parent.id).value += t.value;
    else merged.push(t);
  }
  for (const t of through.values()) t.local = t.upstream !== 0 ? t.value / t.upstream : NaN;
  return merged;
}

/**
 * Whether value `id` can be asked now, given the values `known`: for a grad, every use on screen
 * has its grad (backward); for data, every value flowing in has its data (forward).
 */
export function ready(graph, id, ask, known) {
  if (ask === "grad") return graph.consumers.get(id).every((c) => known.has(drawnAs(graph, c.id)));
  const ins = isBox(graph, id) ? boxInputs(graph, id) : graph.byId.get(id).inputs.map((i) => drawnAs(graph, i));
  return ins.every((i) => known.has(i));
}

/** A number as the page writes it, without trailing zeros (-0.4000 -> -0.4). */
const short = (x) => fmt(x).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");

/** The numbers inside the folded boxes a question needs, which the boxes do not show: "In L's box: f = -2." */
export function givens(graph, id, ask) {
  const around = ask === "grad" ? graph.consumers.get(id).map((c) => drawnAs(graph, c.id)) : [id];
  const parts = [];
  for (const box of new Set(around.filter((b) => isBox(graph, b)))) {
    const leaves = graph.within.get(box).map((m) => graph.byId.get(m));
    const given = leaves.filter((n) => n.inputs.length === 0 && n.role !== "constant");
    const numbers = given.map((n) => `${graph.names.get(n.id)} = ${short(n.data)}`);
    if (given.length) parts.push(`In ${graph.names.get(box)}'s box: ${numbers.join(", ")}.`);
  }
  return parts.join(" ");
}

/** The values not yet `known` inside folded boxes, as {count, boxes: names}. */
export function leftInside(graph, asked, known) {
  const names = new Set();
  let count = 0;
  for (const id of asked) {
    const box = boxOf(graph).get(id);
    if (box && !known.has(id)) {
      count += 1;
      names.add(graph.names.get(box));
    }
  }
  return { count, boxes: [...names] };
}
