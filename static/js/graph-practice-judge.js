/* Practice mode's judge: what to ask next, whether an answer is right, and which factor of the
   chain rule a wrong one got wrong. No maths of its own: every number comes from the graph API
   (a value's `data` and `grad`, each use's upstream `p.grad` and local derivative `p.local[i]`;
   a use through a folded box: graph-practice-fold.js). */

// An answer is right within 1% of the true value, or within 0.005 of it (two decimals are enough).
export const REL_TOL = 0.01;
export const ABS_TOL = 0.005;
export const TOLERANCE_TEXT = "Right within 1% (or within 0.005).";

/** True when `x` is `target` within the stated tolerance. */
export const close = (x, target) => Math.abs(x - target) <= Math.max(ABS_TOL, REL_TOL * Math.abs(target));

/** A typed answer as a number (a Unicode minus and a decimal comma allowed), or null. */
export function parseAnswer(text) {
  const s = text.trim().replace(/^[−–]/, "-").replace(",", ".");
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return null;
  return Number(s);
}

/** Given away without asking: a constant's grad (nobody works that one out). */
export const givenAway = (graph, id, ask) => ask === "grad" && graph.byId.get(id).role === "constant";

/**
 * Every value asked for in the whole graph, in order: for "grad" all but the constants in backward
 * order; for "data" every operation's result in topological order (the leaves are given).
 */
export function askOrder(graph, ask) {
  if (ask === "grad") return graph.backward_order.filter((id) => !givenAway(graph, id, ask));
  return graph.nodes.filter((n) => n.inputs.length > 0).map((n) => n.id);
}

/**
 * Why `x` is not the grad of `id`, whose `terms` are its uses on screen, as {kind, use}: "start"
 * (the output: d out / d out), "sum" (the value has several uses and the answer is only some of
 * their terms), "upstream" (the answer is the local derivative alone, or times the consumer's data
 * instead of its grad) or "local" (the upstream grad is on screen, so the local derivative is the
 * factor to check). `use` is the term {parent, index, through} the hint is about.
 */
export function gradMistake(graph, id, x, terms) {
  if (id === graph.output) return { kind: "start", use: null };
  if (terms.length > 1) {
    // some of the uses' terms but not all: a forgotten "+="
    for (let mask = 1; mask < (1 << terms.length) - 1; mask++) {
      const part = terms.reduce((sum, t, i) => (mask & (1 << i) ? sum + t.value : sum), 0);
      if (close(x, part)) return { kind: "sum", use: null };
    }
  }
  const total = terms.reduce((sum, t) => sum + t.value, 0);
  for (const t of terms) {
    const mine = x - (total - t.value); // this use's term, if the others are right
    if (close(mine, t.local) || close(mine, t.local * t.parent.data)) return { kind: "upstream", use: t };
  }
  const worst = terms.find((t) => t.local !== 0) || terms[0];
  return { kind: "local", use: worst };
}
