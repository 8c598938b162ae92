/* The node inspector: one value's data and grad, the rule that sends its grad into its inputs
   (the API's local-derivative formulas), and the terms its own grad is the sum of. */

import { h } from "./dom.js";
import { formatNumber as fmt } from "./format.js";
import { formulaFor, gradTerms, signClass } from "./graph-model.js";
import { leafControls, syncLeafControls } from "./graph-leaves.js";

/**
 * The inspected input leaf's own field and slider (handy with the editor hidden). `current` is
 * what the last call returned ({label, controls} or null); returns what is shown now.
 */
export function renderInspectorLeaf(box, n, current, onEdit) {
  if (!n || n.role !== "input" || !n.label) {
    box.replaceChildren();
    return null;
  }
  if (current && current.label === n.label) {
    syncLeafControls(current.controls, n.data);
    return current;
  }
  const controls = leafControls(n.label, n.data, "inspect", onEdit);
  box.replaceChildren(controls.row);
  return { label: n.label, controls };
}

/** Fill `box` with value `id` of the graph (null: a hint); `shown`: ids whose grad is known. */
export function renderInspector(box, graph, id, clicked, shown) {
  if (!id) {
    box.replaceChildren(h("p", { class: "muted", text: "Click a node (or Tab to it and press Enter) to see how its grad is made." }));
    return;
  }
  const n = graph.byId.get(id);
  const name = graph.names.get(n.id);
  const gradText = (i) => (shown.has(i) ? fmt(graph.byId.get(i).grad) : "?");
  const opText = n.op || (n.role === "constant" ? "constant" : "leaf");
  const fact = (term, value, attrs) => h("div", {}, h("dt", { text: term }), h("dd", { class: "mono", ...attrs, text: value }));
  const known = shown.has(n.id);
  const rows = h(
    "dl",
    { class: "facts" },
    fact("value", name),
    fact("op", opText),
    fact("data", fmt(n.data), { title: String(n.data) }),
    fact("grad", gradText(n.id), { class: `mono ${known ? signClass(n.grad) : ""}`, title: known ? String(n.grad) : null }),
    fact("role", n.role)
  );
  const parts = [rows];
  if (!clicked) parts.unshift(h("p", { class: "small muted", text: "Click any node to inspect it." }));
  if (n.inputs.length) {
    parts.push(h("h3", { text: "Into its inputs (chain rule)" }));
    const list = h("ol", { class: "terms" });
    n.inputs.forEach((cid, i) => {
      const cname = graph.names.get(cid);
      list.append(
        h(
          "li",
          {},
          h("div", { class: "mono" }, `∂${name}/∂${cname} = ${formulaFor(graph, n, i)} = `, h("strong", { text: fmt(n.local[i]) })),
          h(
            "div",
            { class: "mono product" },
            `${name}.grad × ${fmt(n.local[i])} = ${known ? fmt(n.grad) : "?"} × ${fmt(n.local[i])} = `,
            h("strong", { class: known ? signClass(n.grad * n.local[i]) : "", text: known ? fmt(n.grad * n.local[i]) : "?" }),
            h("span", { class: "muted", text: `  → added to ${cname}.grad` })
          )
        )
      );
    });
    parts.push(list);
  }
  const terms = gradTerms(graph, n.id);
  if (terms.length) {
    parts.push(h("h3", { text: `Where ${name}.grad comes from` }));
    const list = h("ul", { class: "terms" });
    for (const t of terms) {
      const pn = graph.names.get(t.parent.id);
      const upKnown = shown.has(t.parent.id);
      list.append(
        h(
          "li",
          { class: "mono" },
          `${pn}.grad × ∂${pn}/∂${name} = ${upKnown ? fmt(t.upstream) : "?"} × ${fmt(t.local)} = `,
          h("strong", { text: upKnown ? fmt(t.value) : "?" })
        )
      );
    }
    parts.push(list);
    if (terms.length > 1)
      parts.push(h("p", { class: "small muted", text: `${terms.length} edges leave ${name}: their contributions add up (grad += …).` }));
  } else if (n.id === graph.output) {
    parts.push(h("p", { class: "small muted", text: `The output: backward starts with ${name}.grad = 1.` }));
  }
  box.replaceChildren(...parts);
}
