/* chainrule's graph page: edit a program, see its graph, step through backward.
   Plain JS, no dependencies, no inline handlers (the page runs under a strict CSP).
   Everything it fetches comes from this app: POST /api/graph (see docs/api.md). */
"use strict";

(() => {
  // ---------------------------------------------------------------- constants

  const PRESETS = [
    {
      id: "lecture",
      name: "Lecture: L = (a*b + c)*f",
      source: `# the lecture's first graph, one name per line
a = 2.0
b = -3.0
c = 10.0
f = -2.0
e = a*b
d = e + c
L = d*f
`,
    },
    {
      id: "neuron",
      name: "A tanh neuron",
      source: `# inputs x1, x2; weights w1, w2; bias b
x1 = 2.0
x2 = 0.0
w1 = -3.0
w2 = 1.0
b = 6.8813735870195432
x1w1 = x1*w1
x2w2 = x2*w2
x1w1x2w2 = x1w1 + x2w2
n = x1w1x2w2 + b
o = tanh(n)
`,
    },
    {
      id: "neuron-exp",
      name: "The neuron, tanh through exp",
      source: `# the same neuron; tanh(n) = (e^2n - 1)/(e^2n + 1)
x1 = 2.0
x2 = 0.0
w1 = -3.0
w2 = 1.0
b = 6.8813735870195432
x1w1 = x1*w1
x2w2 = x2*w2
x1w1x2w2 = x1w1 + x2w2
n = x1w1x2w2 + b
e = exp(2*n)
o = (e - 1)/(e + 1)
`,
    },
    {
      id: "a-plus-a",
      name: "The a + a bug: grads add up",
      source: `# b uses a twice, so two edges carry grad into a.
# With grad = (not +=) the second would overwrite the first:
# a.grad would be 1, but db/da = 2.
a = 3.0
b = a + a
`,
    },
    {
      id: "two-paths",
      name: "A value used on two paths",
      source: `# a and b each reach f along two paths; their grads are sums
a = -2.0
b = 3.0
d = a*b
e = a + b
f = d*e
`,
    },
    {
      id: "slope",
      name: "3x² - 4x + 5 at x = 3 (slope 14)",
      source: `# the derivative 6x - 4 is 14 at x = 3
x = 3.0
y = 3*x**2 - 4*x + 5
`,
    },
    {
      id: "readme",
      name: "micrograd's README example",
      source: `# micrograd's README (x += y written out as x = x + (y), the graph Python builds)
a = -4.0
b = 2.0
c = a + b
d = a*b + b**3
c = c + (c + 1)
c = c + (1 + c + (-a))
d = d + (d*2 + relu(b + a))
d = d + (3*d + relu(b - a))
e = c - d
f = e**2
g = f/2.0
g = g + 10.0/f
# g = 24.7041, a.grad = 138.8338, b.grad = 645.5773
`,
    },
  ];

  const { THEMES, nextTheme, projectorToggled, preferredTheme, typingIn, literal, download, showTheme } =
    window.chainruleCommon;
  const DEFAULT_H = 1e-5;
  const TYPE_DELAY_MS = 300; // debounce while typing
  const SLIDE_DELAY_MS = 60; // debounce while dragging a slider
  const PLAY_INTERVAL_MS = 1400;
  const HASH_DELAY_MS = 250;

  // ---------------------------------------------------------------- helpers

  const $ = (id) => document.getElementById(id);

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function debounce(fn, ms) {
    let t = 0;
    const wrapped = (...args) => {
      clearTimeout(t);
      t = setTimeout(() => fn(...args), ms);
    };
    wrapped.cancel = () => clearTimeout(t);
    return wrapped;
  }

  /** Numbers as the graph shows them: 4 decimals, exponent when very large or very small. */
  function fmt(x) {
    if (x === null || x === undefined || Number.isNaN(x)) return "n/a";
    const a = Math.abs(x);
    if (a >= 1e5 || (a > 0 && a < 1e-4)) {
      return x.toExponential(3).replace(/\.?0+e/, "e").replace("e+", "e");
    }
    const s = x.toFixed(4);
    return s === "-0.0000" ? "0.0000" : s;
  }

  /** More digits, for the gradient check. */
  function fmtLong(x) {
    if (x === null || x === undefined) return "n/a";
    if (x === 0) return "0";
    const a = Math.abs(x);
    return a >= 1e6 || a < 1e-4 ? x.toExponential(9) : x.toPrecision(12);
  }

  /** A number as it goes back into the program text: short, and always with a decimal point. */
  function sourceNumber(x, decimals) {
    return literal(decimals === undefined ? x : Number(x.toFixed(decimals)));
  }

  // ---------------------------------------------------------------- the expression language, client side
  // Only used to rewrite `name = number` lines and to export code; the server's parser is the judge.

  const TOKEN_RE = /[ \t\r\f\v]+|(#[^\n]*)|(\n)|((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*/()=;,])|(.)/gy;

  /** Tokens {kind, text, start, end}; kinds: num, name, op, sep (newline or ;), bad. */
  function tokenize(src) {
    const out = [];
    TOKEN_RE.lastIndex = 0;
    let m;
    while (TOKEN_RE.lastIndex < src.length && (m = TOKEN_RE.exec(src))) {
      const start = m.index;
      const end = TOKEN_RE.lastIndex;
      if (m[1] !== undefined) continue;
      else if (m[2] !== undefined) out.push({ kind: "sep", text: "\n", start, end });
      else if (m[3] !== undefined) out.push({ kind: "num", text: m[3], start, end });
      else if (m[4] !== undefined) out.push({ kind: "name", text: m[4], start, end });
      else if (m[5] !== undefined) out.push({ kind: m[5] === ";" ? "sep" : "op", text: m[5], start, end });
      else if (m[6] !== undefined) out.push({ kind: "bad", text: m[6], start, end });
    }
    return out;
  }

  /** Statements as token lists (empty ones dropped). */
  function statements(src) {
    const stmts = [];
    let cur = [];
    for (const t of tokenize(src)) {
      if (t.kind === "sep") {
        if (cur.length) stmts.push(cur);
        cur = [];
      } else cur.push(t);
    }
    if (cur.length) stmts.push(cur);
    return stmts;
  }

  /** `name = [+-]number` statements: {name, value, start, end} with the span of the number. */
  function literalAssignments(src) {
    const found = [];
    for (const s of statements(src)) {
      if (s.length < 3 || s[0].kind !== "name" || s[1].text !== "=") continue;
      const rest = s.slice(2);
      let sign = 1;
      let first = rest[0];
      if (rest.length === 2 && (rest[0].text === "-" || rest[0].text === "+")) {
        sign = rest[0].text === "-" ? -1 : 1;
        if (rest[1].kind !== "num") continue;
      } else if (rest.length !== 1 || rest[0].kind !== "num") continue;
      const num = rest[rest.length - 1];
      found.push({ name: s[0].text, value: sign * Number(num.text), start: first.start, end: num.end });
    }
    return found;
  }

  /** The program with the first `name = number` rewritten, or null when there is none. */
  function rewriteLiteral(src, name, value, decimals) {
    const hit = literalAssignments(src).find((a) => a.name === name);
    if (!hit) return null;
    return src.slice(0, hit.start) + sourceNumber(value, decimals) + src.slice(hit.end);
  }

  // A small Pratt parser, enough to re-print the program as Python.
  const BINARY = { "+": [10, "left"], "-": [10, "left"], "*": [20, "left"], "/": [20, "left"], "**": [40, "right"] };
  const UNARY_PREC = 30; // between * and **, as in Python: -a**2 is -(a**2)
  const FUNCTIONS = ["tanh", "exp", "log", "relu", "sigmoid"];

  function parseExpr(tokens) {
    let i = 0;
    const peek = () => tokens[i];
    const next = () => tokens[i++];
    function fail(msg) {
      throw new Error(msg);
    }
    function prefix() {
      const t = next();
      if (!t) fail("unexpected end");
      if (t.kind === "num") return { type: "num", text: t.text };
      if (t.kind === "name") {
        if (peek() && peek().text === "(") {
          next();
          const arg = expr(0);
          if (!peek() || next().text !== ")") fail("missing )");
          return { type: "call", fn: t.text, arg };
        }
        return { type: "name", name: t.text };
      }
      if (t.text === "(") {
        const e = expr(0);
        if (!peek() || next().text !== ")") fail("missing )");
        return e;
      }
      if (t.text === "-" || t.text === "+") return { type: "unary", op: t.text, arg: expr(UNARY_PREC) };
      return fail(`unexpected ${t.text}`);
    }
    function expr(minPrec) {
      let left = prefix();
      for (;;) {
        const t = peek();
        if (!t || !(t.text in BINARY) || t.kind !== "op") break;
        const [prec, assoc] = BINARY[t.text];
        if (prec < minPrec || (prec === minPrec && assoc === "left")) break;
        next();
        // ** takes a unary operand on its right (2**-1), like Python
        const right = t.text === "**" ? expr(UNARY_PREC) : expr(prec);
        left = { type: "bin", op: t.text, left, right };
      }
      return left;
    }
    const e = expr(0);
    if (i !== tokens.length) fail(`unexpected ${tokens[i].text}`);
    return e;
  }

  /** Whether the expression is a Value in Python (a name or a function call inside), not a number. */
  const makesValue = (n) =>
    n.type === "name" || n.type === "call" || (n.type === "unary" && makesValue(n.arg)) ||
    (n.type === "bin" && (makesValue(n.left) || makesValue(n.right)));

  function precOf(n) {
    if (n.type === "bin") return BINARY[n.op][0];
    if (n.type === "unary") return UNARY_PREC;
    return 100;
  }

  const PY_RESERVED = new Set(
    ("False None True and as assert async await break class continue def del elif else except finally for " +
      "from global if import in is lambda nonlocal not or pass raise return try while with yield " +
      "print math torch Value name leaf float int out").split(" ")
  );
  const pyName = (n) => (PY_RESERVED.has(n) || n.startsWith("_") ? `${n}_` : n);

  /** Print an expression tree as Python for `target` "micrograd" or "torch". */
  function printPy(node, target, used) {
    const p = (n) => printPy(n, target, used);
    const paren = (n, need) => (need ? `(${p(n)})` : p(n));
    switch (node.type) {
      case "num":
        return node.text;
      case "name":
        return pyName(node.name);
      case "unary": {
        const inner = node.arg;
        return node.op + paren(inner, precOf(inner) < UNARY_PREC || inner.type === "unary");
      }
      case "bin": {
        const [prec] = BINARY[node.op];
        if (node.op === "**") {
          if (target === "micrograd" && makesValue(node.right)) {
            used.add("pow");
            return `_pow(${p(node.left)}, ${p(node.right)})`;
          }
          return `${paren(node.left, precOf(node.left) <= prec)}**${paren(node.right, precOf(node.right) < prec)}`;
        }
        const sp = node.op === "+" || node.op === "-" ? " " : "";
        const right = paren(node.right, precOf(node.right) <= prec || node.right.type === "unary");
        return `${paren(node.left, precOf(node.left) < prec)}${sp}${node.op}${sp}${right}`;
      }
      case "call": {
        used.add(node.fn);
        let base;
        if (!makesValue(node.arg)) {
          // requires_grad: else a result made of constants alone (`tanh(1)`) has no grad to run backward() on
          base =
            target === "micrograd"
              ? `Value(${p(node.arg)})`
              : `torch.tensor(${p(node.arg)}, dtype=torch.float64, requires_grad=True)`;
        } else {
          base = paren(node.arg, node.arg.type !== "name" && node.arg.type !== "call");
        }
        return `${base}.${node.fn}()`;
      }
      default:
        throw new Error("unknown node");
    }
  }

  const MICROGRAD_OPS = {
    tanh: `_add_op("tanh", math.tanh, lambda x, t: 1 - t**2)`,
    exp: `_add_op("exp", math.exp, lambda x, e: e)`,
    log: `_add_op("log", math.log, lambda x, _: 1 / x)`,
    sigmoid: `_add_op("sigmoid", lambda x: 1 / (1 + math.exp(-x)), lambda x, s: s * (1 - s))`,
  };

  /**
   * The program as Python that builds the same graph and prints the same grads.
   * target: "micrograd" (PyPI micrograd 0.1.0) or "torch". values: numbers for names the program
   * uses but does not assign. graphLeaves: labels of the graph's input leaves (only those get a grad).
   */
  function exportCode(src, values, target, graphLeaves) {
    const stmts = statements(src);
    if (!stmts.length) throw new Error("the program is empty");
    const used = new Set();
    const assigned = new Set();
    const body = [];
    const leaves = []; // {label, py}
    const seenLeaf = new Map();
    const leafStmts = new Set(literalAssignments(src).map((a) => a.start));
    const literalOf = (v) => (target === "micrograd" ? `Value(${v})` : `torch.tensor(${v}, dtype=torch.float64, requires_grad=True)`);
    const assignCount = new Map();
    for (const s of stmts) {
      if (s.length > 2 && s[0].kind === "name" && s[1].text === "=") assignCount.set(s[0].text, (assignCount.get(s[0].text) || 0) + 1);
    }
    const free = [];
    let output = null;
    let outputLabel = null;
    stmts.forEach((s, k) => {
      const isAssign = s.length > 2 && s[0].kind === "name" && s[1].text === "=";
      const exprTokens = isAssign ? s.slice(2) : s;
      const tree = parseExpr(exprTokens);
      // names used before any assignment come from the values map
      (function collect(n) {
        if (n.type === "name" && !assigned.has(n.name) && !free.includes(n.name)) free.push(n.name);
        if (n.arg) collect(n.arg);
        if (n.left) collect(n.left);
        if (n.right) collect(n.right);
      })(tree);
      const last = k === stmts.length - 1;
      // a constant output would be a plain Python number: make it a Value so backward() works
      const expr = last && !makesValue(tree) ? literalOf(printPy(tree, target, used)) : printPy(tree, target, used);
      if (!isAssign) {
        body.push(`out = ${expr}`);
        output = outputLabel = "out";
        return;
      }
      const name = s[0].text;
      assigned.add(name);
      if (leafStmts.has(s[2].start)) {
        const num = sourceNumber(Number(exprTokens.map((t) => t.text).join("")));
        body.push(`${pyName(name)} = ${literalOf(num)}`);
        const n = (seenLeaf.get(name) || 0) + 1;
        seenLeaf.set(name, n);
        assignCount.set(name, assignCount.get(name) - 1);
        if (assignCount.get(name) > 0) {
          const alias = `${pyName(name)}_leaf${n}`;
          body.push(`${alias} = ${pyName(name)}  # ${name} is reassigned below; keep this leaf for its grad`);
          leaves.push({ label: name, py: alias });
        } else leaves.push({ label: name, py: pyName(name) });
      } else {
        assignCount.set(name, assignCount.get(name) - 1);
        body.push(`${pyName(name)} = ${expr}`);
      }
      if (last) {
        output = pyName(name);
        outputLabel = name;
      }
    });
    const head = [];
    for (const name of free) {
      const v = values && name in values ? values[name] : 0;
      head.push(`${pyName(name)} = ${literalOf(sourceNumber(Number(v)))}  # from the values panel`);
      leaves.unshift({ label: name, py: pyName(name) });
    }
    const shown = graphLeaves ? leaves.filter((l) => graphLeaves.has(l.label)) : leaves;
    const lines = [];
    if (target === "micrograd") {
      lines.push("# chainrule export: runs with micrograd from PyPI (pip install micrograd)");
      const extra = FUNCTIONS.filter((f) => f !== "relu" && used.has(f));
      if (extra.length || used.has("pow")) lines.push("import math", "");
      lines.push("from micrograd.engine import Value", "");
      if (extra.length) {
        lines.push(
          "",
          "# PyPI micrograd's Value has only relu; add the others the way the lecture does",
          "def _add_op(name, f, df):  # df(x, out) = d out / d x",
          "    def op(self):",
          "        out = Value(f(self.data), (self,), name)",
          "",
          "        def _backward():",
          "            self.grad += df(self.data, out.data) * out.grad",
          "",
          "        out._backward = _backward",
          "        return out",
          "",
          "    if not hasattr(Value, name):",
          "        setattr(Value, name, op)",
          "",
          "",
          ...extra.map((f) => MICROGRAD_OPS[f])
        );
      }
      if (used.has("pow")) {
        lines.push(
          "",
          "",
          "def _pow(a, b):  # a ** b with a Value exponent (micrograd's ** takes numbers only)",
          "    a = a if isinstance(a, Value) else Value(a)",
          "    b = b if isinstance(b, Value) else Value(b)",
          "    out = Value(a.data**b.data, (a, b), '**')",
          "",
          "    def _backward():",
          "        a.grad += b.data * a.data ** (b.data - 1) * out.grad",
          "        b.grad += (math.log(a.data) * out.data if a.data > 0 else 0.0) * out.grad",
          "",
          "    out._backward = _backward",
          "    return out"
        );
      }
      if (extra.length || used.has("pow")) lines.push("", "");
      lines.push(...head, ...body, "", `${output}.backward()`, `print("${outputLabel} =", ${output}.data)`);
      for (const l of shown) lines.push(`print("${l.label}.grad =", ${l.py}.grad)`);
    } else {
      lines.push("# chainrule export: the same graph in PyTorch (float64, like Python floats)", "import torch", "");
      lines.push(...head, ...body, "", `${output}.backward()`, `print("${outputLabel} =", ${output}.item())`);
      for (const l of shown) lines.push(`print("${l.label}.grad =", ${l.py}.grad.item())`);
    }
    return lines.join("\n") + "\n";
  }

  // ---------------------------------------------------------------- state

  const state = {
    source: "",
    values: {}, // numbers for names used but not assigned in the program
    theme: "light",
    step: null, // null: every grad shown; k: the first k nodes of backward_order revealed
    editor: true,
    h: DEFAULT_H,
    selected: null, // node id in the inspector
  };

  let graph = null; // last good API response, plus indexes (see indexGraph)
  let graphKey = ""; // structure of the drawn graph: unchanged structure keeps the view
  let requestSeq = 0;
  let inflight = null;
  let playTimer = 0;
  let lastTheme = "light"; // the theme P returns to

  // ---------------------------------------------------------------- elements

  const el = {
    source: $("source"),
    gutter: $("gutter"),
    errorBox: $("error-box"),
    errorWhere: $("error-where"),
    errorLine: $("error-line"),
    errorCaret: $("error-caret"),
    errorMessage: $("error-message"),
    preset: $("preset"),
    theme: $("theme"),
    graph: $("graph"),
    viewport: $("viewport"),
    status: $("status"),
    stepStatus: $("step-status"),
    narration: $("narration"),
    inspector: $("inspector"),
    leaves: $("leaves"),
    leavesEmpty: $("leaves-empty"),
    checksBody: $("checks-body"),
    h: $("h"),
    play: $("play"),
    toast: $("toast"),
    help: $("help"),
    codeDialog: $("code-dialog"),
    codeText: $("code-text"),
    codeTitle: $("code-title"),
    codeNote: $("code-note"),
    codeCopied: $("code-copied"),
  };

  // ---------------------------------------------------------------- URL hash (shareable view)

  function hashFromState() {
    const p = new URLSearchParams();
    p.set("src", state.source);
    if (Object.keys(state.values).length) p.set("values", JSON.stringify(state.values));
    p.set("theme", state.theme);
    if (state.step !== null) p.set("step", String(state.step));
    if (!state.editor) p.set("editor", "hidden");
    if (state.h !== DEFAULT_H) p.set("h", String(state.h));
    if (state.selected) p.set("node", state.selected);
    return "#" + p.toString();
  }

  const writeHash = debounce(() => {
    const hash = hashFromState();
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }, HASH_DELAY_MS);

  /** Read the hash into state; false when it holds no program. */
  function readHash() {
    const raw = location.hash.slice(1);
    if (!raw) return false;
    const p = new URLSearchParams(raw);
    if (!p.has("src")) return false;
    state.source = p.get("src");
    state.values = {};
    try {
      const v = JSON.parse(p.get("values") || "{}");
      for (const [k, x] of Object.entries(v)) if (typeof x === "number" && Number.isFinite(x)) state.values[k] = x;
    } catch (_) {
      /* a broken values map is ignored */
    }
    const theme = p.get("theme");
    if (THEMES.includes(theme)) state.theme = theme;
    const step = p.get("step");
    state.step = step !== null && /^\d+$/.test(step) ? Number(step) : null;
    state.editor = p.get("editor") !== "hidden";
    const hv = Number(p.get("h"));
    state.h = p.has("h") && hv > 0 && hv <= 1 ? hv : DEFAULT_H;
    state.selected = p.get("node");
    return true;
  }

  // ---------------------------------------------------------------- editor

  function syncGutter() {
    const lines = el.source.value.split("\n").length;
    const bad = el.errorBox.hidden ? 0 : Number(el.errorBox.dataset.line || 0);
    const frag = document.createDocumentFragment();
    for (let i = 1; i <= lines; i++) {
      const span = h("span", { class: i === bad ? "bad" : null, text: String(i) });
      frag.append(span, "\n");
    }
    el.gutter.replaceChildren(frag);
    el.gutter.scrollTop = el.source.scrollTop;
  }

  function setSource(text, opts = {}) {
    state.source = text;
    if (el.source.value !== text) {
      const { selectionStart, selectionEnd } = el.source;
      el.source.value = text;
      if (opts.keepCursor) el.source.setSelectionRange(selectionStart, selectionEnd);
    }
    syncGutter();
  }

  function showError(detail) {
    const message = (detail && detail.message) || "Something went wrong.";
    const line = detail && Number.isInteger(detail.line) ? detail.line : null;
    const column = detail && Number.isInteger(detail.column) ? detail.column : null;
    el.errorMessage.textContent = message;
    if (line) {
      const text = (state.source.split("\n")[line - 1] || "").replace(/\t/g, " ");
      el.errorWhere.textContent = `Line ${line}, column ${column || 1}`;
      el.errorLine.textContent = text;
      el.errorCaret.textContent = " ".repeat(Math.max(0, (column || 1) - 1)) + "^";
      el.errorBox.dataset.line = String(line);
      el.errorBox.dataset.column = String(column || 1);
      el.errorLine.parentElement.hidden = false;
    } else {
      el.errorWhere.textContent = "The program could not be drawn";
      el.errorLine.textContent = "";
      el.errorCaret.textContent = "";
      el.errorLine.parentElement.hidden = true;
      delete el.errorBox.dataset.line;
      delete el.errorBox.dataset.column;
    }
    // names without a value: offer to put them in the values map (then they get sliders)
    const missing = /no value/.test(message) ? [...message.matchAll(/'([A-Za-z_]\w*)' \(line/g)].map((m) => m[1]) : [];
    const fix = $("error-fix");
    fix.hidden = missing.length === 0;
    fix.textContent = `Give ${missing.join(", ")} the value 1.0`;
    fix.dataset.names = missing.join(" ");
    el.errorBox.hidden = false;
    el.source.setAttribute("aria-invalid", "true");
    syncGutter();
  }

  function clearError() {
    if (el.errorBox.hidden) return;
    el.errorBox.hidden = true;
    el.source.removeAttribute("aria-invalid");
    syncGutter();
  }

  // ---------------------------------------------------------------- talking to the API

  const renderSoon = debounce(() => render(), TYPE_DELAY_MS);
  const renderAfterSlide = debounce(() => render(), SLIDE_DELAY_MS);

  async function render() {
    renderSoon.cancel();
    renderAfterSlide.cancel();
    const seq = ++requestSeq;
    if (inflight) inflight.abort();
    const ctrl = new AbortController();
    inflight = ctrl;
    document.body.classList.add("busy");
    el.status.textContent = "drawing…";
    let res;
    let body;
    try {
      res = await fetch("/api/graph", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ source: state.source, values: state.values, h: state.h, theme: state.theme }),
        signal: ctrl.signal,
      });
      body = await res.json().catch(() => null);
    } catch (err) {
      if (err.name === "AbortError") return;
      if (seq !== requestSeq) return;
      finishRequest();
      showError({ message: `The server did not answer (${err.message}).` });
      el.status.textContent = "no answer";
      return;
    }
    if (seq !== requestSeq) return;
    finishRequest();
    if (res.ok && body && body.svg) {
      clearError();
      drawGraph(body);
      el.status.textContent = `${body.nodes.length} values`;
      return;
    }
    el.status.textContent = "error: last good graph kept";
    const detail = body && body.detail;
    if (detail && typeof detail === "object" && !Array.isArray(detail)) showError(detail);
    else if (Array.isArray(detail)) showError({ message: detail.map((d) => d.msg).join("; ") });
    else showError({ message: typeof detail === "string" ? detail : `The server answered ${res.status}.` });
  }

  function finishRequest() {
    inflight = null;
    document.body.classList.remove("busy");
  }

  // ---------------------------------------------------------------- the graph

  function indexGraph(data) {
    const byId = new Map(data.nodes.map((n) => [n.id, n]));
    const consumers = new Map(data.nodes.map((n) => [n.id, []]));
    for (const n of data.nodes) n.inputs.forEach((c, i) => consumers.get(c).push({ id: n.id, index: i }));
    const names = new Map();
    // a readable name for every value: its label, its number, or its expression
    for (const n of data.nodes) {
      let name = n.label;
      if (!name && n.role === "constant") name = fmt(n.data).replace(/\.?0+$/, "") || "0";
      if (!name) name = `(${exprName(n, names)})`;
      if (name.length > 28) name = `#${n.id}`;
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

  function structureKey(data) {
    return data.nodes.map((n) => `${n.id}:${n.op}:${n.inputs.join(",")}`).join("|");
  }

  function drawGraph(data) {
    const prevKey = graphKey;
    graph = indexGraph(data);
    graphKey = structureKey(data);
    el.graph.innerHTML = data.svg; // server-made SVG (ids and classes per the contract)
    const svg = el.graph.querySelector("svg");
    if (!svg) return;
    prepareSvg(svg);
    if (prevKey !== graphKey || !view.ready) autoFit();
    else applyView();
    if (state.step !== null) state.step = Math.min(state.step, graph.order.length);
    if (state.selected && !graph.byId.has(state.selected)) state.selected = null;
    buildLeaves();
    buildChecks();
    applyStep();
    writeHash();
  }

  function prepareSvg(svg) {
    const vb = (svg.getAttribute("viewBox") || "").split(/[\s,]+/).map(Number);
    if (vb.length === 4 && vb.every(Number.isFinite)) view.base = { x: vb[0], y: vb[1], w: vb[2], h: vb[3] };
    else {
      const box = svg.getBBox();
      view.base = { x: box.x, y: box.y, w: box.width, h: box.height };
    }
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "Computation graph of the program");
    svg.querySelectorAll("title").forEach((t) => t.remove()); // graphviz's titles are internal names
    for (const g of svg.querySelectorAll('g[id^="node-"]')) {
      const id = g.id.slice(5);
      const n = graph.byId.get(id);
      if (!n) continue;
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.dataset.node = id;
      for (const t of g.querySelectorAll("text")) {
        if (/^\s*grad\b/.test(t.textContent)) {
          t.classList.add("grad-text");
          t.dataset.grad = t.textContent;
        }
      }
    }
    for (const g of svg.querySelectorAll('g[id^="op-"]')) g.dataset.node = g.id.slice(3);
  }

  // ---------------------------------------------------------------- pan and zoom

  const view = { ready: false, base: null, cx: 0, cy: 0, scale: 1 };

  // the viewport's size, kept up to date by a ResizeObserver: reading it from the DOM right
  // after inserting a new SVG would force an extra layout on every redraw
  let vpSize = null;
  let refitOnResize = false;

  function viewportSize() {
    if (!vpSize) vpSize = { w: el.viewport.clientWidth, h: el.viewport.clientHeight };
    return { w: Math.max(vpSize.w, 50), h: Math.max(vpSize.h, 50) };
  }

  function fit() {
    if (!view.base) return;
    const { w, h: vh } = viewportSize();
    const b = view.base;
    const pad = 1.08;
    // never blow a tiny graph up past 2.2x its natural size (user units are points)
    view.scale = Math.max((b.w * pad) / w, (b.h * pad) / vh, 0.75 / 2.2);
    view.cx = b.x + b.w / 2;
    view.cy = b.y + b.h / 2;
    view.ready = true;
    applyView();
  }

  const MIN_TEXT_PX = { light: 9, dark: 9, projector: 24 }; // smallest type autoFit accepts (projector: the brief's 24 px)

  function fontUnits() {
    const t = el.graph.querySelector("svg g.value text");
    return (t && Number(t.getAttribute("font-size"))) || 12;
  }

  /** Fit the whole graph, unless its type would be unreadable: then zoom to a readable
      size and show the output's end, where backward starts (the steps pan from there). */
  function autoFit() {
    fit();
    if (!graph) return;
    const readable = fontUnits() / MIN_TEXT_PX[state.theme];
    if (view.scale <= readable) return;
    view.scale = readable;
    applyView();
    const focus = currentStepNode() || graph.output;
    const r = userRect([focus]);
    if (!r) return;
    const { w, h: vh } = viewportSize();
    const b = view.base;
    view.cx = focus === graph.output ? r.x2 + 20 * view.scale - (w * view.scale) / 2 : (r.x1 + r.x2) / 2;
    view.cy = b.h <= vh * view.scale ? b.y + b.h / 2 : (r.y1 + r.y2) / 2;
    applyView();
  }

  /** The union of the elements' boxes (ids of values) in user units, or null. */
  function userRect(ids) {
    const svg = el.graph.querySelector("svg");
    if (!svg) return null;
    const vr = el.viewport.getBoundingClientRect();
    const ox = vr.left + vr.width / 2;
    const oy = vr.top + vr.height / 2;
    let box = null;
    for (const id of ids) {
      for (const elId of [`node-${id}`, `op-${id}`]) {
        const n = svg.getElementById(elId);
        if (!n) continue;
        const r = n.getBoundingClientRect();
        const u = {
          x1: view.cx + (r.left - ox) * view.scale,
          x2: view.cx + (r.right - ox) * view.scale,
          y1: view.cy + (r.top - oy) * view.scale,
          y2: view.cy + (r.bottom - oy) * view.scale,
        };
        box = box
          ? { x1: Math.min(box.x1, u.x1), x2: Math.max(box.x2, u.x2), y1: Math.min(box.y1, u.y1), y2: Math.max(box.y2, u.y2) }
          : u;
      }
    }
    return box;
  }

  let panAnimation = 0;

  /** Pan (smoothly) so that these values are on screen, if they are not already. */
  function ensureVisible(ids) {
    const r = userRect(ids);
    if (!r || !view.ready) return;
    const { w, h: vh } = viewportSize();
    const margin = 30 * view.scale;
    const vw = w * view.scale;
    const vhh = vh * view.scale;
    const inside =
      r.x1 - margin >= view.cx - vw / 2 && r.x2 + margin <= view.cx + vw / 2 &&
      r.y1 - margin >= view.cy - vhh / 2 && r.y2 + margin <= view.cy + vhh / 2;
    if (inside) return;
    const tx = (r.x1 + r.x2) / 2;
    const ty = (r.y1 + r.y2) / 2;
    cancelAnimationFrame(panAnimation);
    if (matchMedia("(prefers-reduced-motion: reduce)").matches) {
      view.cx = tx;
      view.cy = ty;
      applyView();
      return;
    }
    const from = { x: view.cx, y: view.cy };
    const t0 = performance.now();
    const tick = (now) => {
      const t = Math.min(1, (now - t0) / 350);
      const e = t * (2 - t);
      view.cx = from.x + (tx - from.x) * e;
      view.cy = from.y + (ty - from.y) * e;
      applyView();
      if (t < 1) panAnimation = requestAnimationFrame(tick);
    };
    panAnimation = requestAnimationFrame(tick);
  }

  function applyView() {
    const svg = el.graph.querySelector("svg");
    if (!svg || !view.ready) return;
    const { w, h: vh } = viewportSize();
    const vw = w * view.scale;
    const vhh = vh * view.scale;
    svg.setAttribute("viewBox", `${view.cx - vw / 2} ${view.cy - vhh / 2} ${vw} ${vhh}`);
  }

  function zoomBy(factor, clientX, clientY) {
    if (!view.ready) return;
    const r = el.viewport.getBoundingClientRect();
    const px = clientX === undefined ? r.width / 2 : clientX - r.left;
    const py = clientY === undefined ? r.height / 2 : clientY - r.top;
    // the point under the cursor stays put
    const ux = view.cx + (px - r.width / 2) * view.scale;
    const uy = view.cy + (py - r.height / 2) * view.scale;
    const base = view.base ? Math.max(view.base.w / r.width, view.base.h / r.height) : 1;
    const scale = Math.min(Math.max(view.scale / factor, 0.02), Math.max(base * 4, 2));
    view.cx = ux - (px - r.width / 2) * scale;
    view.cy = uy - (py - r.height / 2) * scale;
    view.scale = scale;
    applyView();
  }

  function panBy(dxPx, dyPx) {
    view.cx += dxPx * view.scale;
    view.cy += dyPx * view.scale;
    applyView();
  }

  function setupPanZoom() {
    el.viewport.addEventListener(
      "wheel",
      (e) => {
        if (!view.ready) return;
        e.preventDefault();
        const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
        zoomBy(Math.exp(-dy * 0.0015), e.clientX, e.clientY);
      },
      { passive: false }
    );
    let drag = null;
    el.viewport.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || e.target.closest("button")) return;
      drag = { id: e.pointerId, x: e.clientX, y: e.clientY, moved: false };
    });
    el.viewport.addEventListener("pointermove", (e) => {
      if (!drag || e.pointerId !== drag.id) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) {
        drag.moved = true;
        el.viewport.setPointerCapture(e.pointerId);
        el.viewport.classList.add("dragging");
      }
      drag.x = e.clientX;
      drag.y = e.clientY;
      panBy(-dx, -dy);
    });
    const end = (e) => {
      if (!drag || e.pointerId !== drag.id) return;
      if (drag.moved) {
        el.viewport.classList.remove("dragging");
        // swallow the click that ends a drag
        const stop = (ev) => ev.stopPropagation();
        window.addEventListener("click", stop, { capture: true, once: true });
        setTimeout(() => window.removeEventListener("click", stop, { capture: true }), 0);
      }
      drag = null;
    };
    el.viewport.addEventListener("pointerup", end);
    el.viewport.addEventListener("pointercancel", end);
    new ResizeObserver((entries) => {
      const r = entries[entries.length - 1].contentRect;
      vpSize = { w: r.width, h: r.height };
      if (refitOnResize && view.ready) autoFit();
      else applyView();
      refitOnResize = false;
    }).observe(el.viewport);
    $("zoom-in").addEventListener("click", () => zoomBy(1.25));
    $("zoom-out").addEventListener("click", () => zoomBy(0.8));
    $("fit").addEventListener("click", fit);
  }

  // ---------------------------------------------------------------- stepping through backward

  function revealed() {
    if (!graph) return new Set();
    const k = state.step === null ? graph.order.length : state.step;
    return new Set(graph.order.slice(0, k));
  }

  function currentStepNode() {
    if (!graph || state.step === null || state.step === 0) return null;
    return graph.order[state.step - 1];
  }

  /** The terms that make up a node's grad: one per edge to a consumer. */
  function gradTerms(id) {
    return graph.consumers.get(id).map(({ id: pid, index }) => {
      const p = graph.byId.get(pid);
      return { parent: p, index, upstream: p.grad, local: p.local[index], value: p.grad * p.local[index] };
    });
  }

  function applyStep() {
    if (!graph) return;
    const svg = el.graph.querySelector("svg");
    const shown = revealed();
    const current = currentStepNode();
    const stepping = state.step !== null;
    document.body.classList.toggle("stepping", stepping);
    if (svg) {
      svg.querySelectorAll(".is-current, .carry, .is-pending, .is-selected").forEach((n) =>
        n.classList.remove("is-current", "carry", "is-pending", "is-selected")
      );
      for (const t of svg.querySelectorAll("text.grad-text")) {
        const id = t.closest("g[data-node]").dataset.node;
        const on = shown.has(id);
        t.textContent = on ? t.dataset.grad : "grad ?";
        t.closest("g").classList.toggle("is-pending", !on);
      }
      if (current) {
        mark(svg, `node-${current}`, "is-current");
        for (const { id: pid, index } of graph.consumers.get(current)) {
          mark(svg, `edge-${current}-${pid}-${index}`, "carry");
          mark(svg, `opedge-${pid}`, "carry");
          mark(svg, `op-${pid}`, "carry");
        }
      }
      if (state.selected) mark(svg, `node-${state.selected}`, "is-selected");
      for (const g of svg.querySelectorAll("g[data-node][role=button]")) {
        const n = graph.byId.get(g.dataset.node);
        const grad = shown.has(n.id) ? fmt(n.grad) : "not yet known";
        g.setAttribute("aria-label", `${graph.names.get(n.id)}: data ${fmt(n.data)}, grad ${grad}`);
      }
    }
    const total = graph.order.length;
    el.stepStatus.textContent = stepping ? `step ${state.step} of ${total}` : "all grads shown";
    $("step-back").disabled = !stepping || state.step === 0;
    $("step-next").disabled = stepping && state.step >= total;
    $("step-end").disabled = !stepping;
    if (current) ensureVisible([current, ...graph.consumers.get(current).map((c) => c.id)]);
    narrate(current);
    renderInspector();
    renderChecksVisibility();
    writeHash();
  }

  function mark(svg, id, cls) {
    const n = svg.getElementById ? svg.getElementById(id) : svg.querySelector(`#${CSS.escape(id)}`);
    if (n) n.classList.add(cls);
  }

  function narrate(current) {
    const box = el.narration;
    box.replaceChildren();
    if (state.step === null) {
      box.append(h("span", { class: "muted", text: "Step through backward (→) to see each grad arrive, one node at a time." }));
      return;
    }
    if (state.step === 0) {
      box.append(
        h("strong", { text: "Grads hidden. " }),
        h("span", { text: "Backward starts at the output: press → to set its grad to 1." })
      );
      return;
    }
    const n = graph.byId.get(current);
    const name = graph.names.get(n.id);
    if (n.id === graph.output) {
      box.append(h("strong", { text: `${name}.grad = 1` }), h("span", { text: `  (d${name}/d${name} = 1: backward starts here)` }));
      return;
    }
    const terms = gradTerms(n.id);
    const parts = [h("strong", { class: "mono", text: `${name}.grad` }), " = "];
    terms.forEach((t, i) => {
      if (i) parts.push(" + ");
      const pn = graph.names.get(t.parent.id);
      parts.push(
        h("span", { class: "term mono" }, `${pn}.grad × ∂${pn}/∂${name}`),
        h("span", { class: "mono muted" }, ` (${fmt(t.upstream)} × ${fmt(t.local)}; ∂${pn}/∂${name} = ${formulaFor(t.parent, t.index)})`)
      );
    });
    parts.push(" = ", h("strong", { class: `mono ${signClass(n.grad)}`, text: fmt(n.grad) }));
    if (terms.length > 1) parts.push(h("span", { class: "muted", text: `  ·  ${terms.length} paths add up (grad +=)` }));
    box.append(...parts);
  }

  function signClass(x) {
    return x > 0 ? "pos" : x < 0 ? "neg" : "zero";
  }

  function setStep(k) {
    if (!graph) return;
    const total = graph.order.length;
    state.step = k === null ? null : Math.max(0, Math.min(total, k));
    if (state.step !== null && state.step >= total) stopPlay();
    const cur = currentStepNode();
    if (cur) state.selected = cur;
    applyStep();
  }

  function stepNext() {
    if (!graph) return;
    if (state.step === null) setStep(1);
    else setStep(state.step + 1);
  }

  function stepBack() {
    if (!graph || state.step === null) return;
    setStep(state.step - 1);
  }

  function togglePlay() {
    if (playTimer) return stopPlay();
    if (!graph) return;
    if (state.step === null || state.step >= graph.order.length) setStep(0);
    playTimer = setInterval(() => {
      if (!graph || state.step === null || state.step >= graph.order.length) return stopPlay();
      stepNext();
    }, PLAY_INTERVAL_MS);
    el.play.setAttribute("aria-pressed", "true");
    el.play.textContent = "❚❚ Pause";
    stepNext();
  }

  function stopPlay() {
    clearInterval(playTimer);
    playTimer = 0;
    el.play.setAttribute("aria-pressed", "false");
    el.play.textContent = "▶ Play";
  }

  // ---------------------------------------------------------------- inspector

  /** A rule's formula with its generic inputs (a, b, k) replaced by this node's inputs. */
  function formulaFor(n, i) {
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

  let inspectorLeaf = null; // {label, controls}: the inspected input leaf's own field and slider

  /** An input leaf can be edited right in the inspector (handy with the editor hidden). */
  function renderInspectorLeaf(n) {
    const box = $("inspector-leaf");
    if (!n || n.role !== "input" || !n.label) {
      inspectorLeaf = null;
      box.replaceChildren();
      return;
    }
    if (inspectorLeaf && inspectorLeaf.label === n.label) {
      syncLeafControls(inspectorLeaf.controls, n.data);
      return;
    }
    const controls = leafControls(n.label, n.data, "inspect");
    inspectorLeaf = { label: n.label, controls };
    box.replaceChildren(controls.row);
  }

  function renderInspector() {
    const box = $("inspector-body");
    // the clicked node, else the step's node, else the output
    const id = [state.selected, currentStepNode(), graph && graph.output].find((x) => x && graph.byId.has(x));
    if (!id) {
      renderInspectorLeaf(null);
      box.replaceChildren(h("p", { class: "muted", text: "Click a node (or Tab to it and press Enter) to see how its grad is made." }));
      return;
    }
    const n = graph.byId.get(id);
    renderInspectorLeaf(n);
    const shown = revealed();
    const name = graph.names.get(n.id);
    const gradText = (id) => (shown.has(id) ? fmt(graph.byId.get(id).grad) : "?");
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
    if (!state.selected) parts.unshift(h("p", { class: "small muted", text: "Click any node to inspect it." }));
    if (n.inputs.length) {
      parts.push(h("h3", { text: "Into its inputs (chain rule)" }));
      const list = h("ol", { class: "terms" });
      n.inputs.forEach((cid, i) => {
        const cname = graph.names.get(cid);
        list.append(
          h(
            "li",
            {},
            h("div", { class: "mono" }, `∂${name}/∂${cname} = ${formulaFor(n, i)} = `, h("strong", { text: fmt(n.local[i]) })),
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
    const terms = gradTerms(n.id);
    if (terms.length) {
      parts.push(h("h3", { text: `Where ${name}.grad comes from` }));
      const list = h("ul", { class: "terms" });
      for (const t of terms) {
        const pn = graph.names.get(t.parent.id);
        const known = shown.has(t.parent.id);
        list.append(
          h(
            "li",
            { class: "mono" },
            `${pn}.grad × ∂${pn}/∂${name} = ${known ? fmt(t.upstream) : "?"} × ${fmt(t.local)} = `,
            h("strong", { text: known ? fmt(t.value) : "?" })
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

  function selectNode(id, focusInspector) {
    state.selected = id;
    applyStep();
    if (focusInspector) $("inspector-title").scrollIntoView({ block: "nearest" });
  }

  // ---------------------------------------------------------------- leaves: edit values in place

  const leafRows = new Map(); // label -> {row, num, range}

  /** The input leaves' labels, in the order the program assigns them (values-map names first). */
  function leafLabels() {
    const seen = [];
    for (const n of graph.nodes) if (n.role === "input" && n.label && !seen.includes(n.label)) seen.push(n.label);
    const where = new Map();
    for (const a of literalAssignments(state.source)) if (!where.has(a.name)) where.set(a.name, a.start);
    return seen.sort((x, y) => (where.get(x) ?? -1) - (where.get(y) ?? -1));
  }

  function sliderRange(v) {
    const span = Math.max(4, Math.abs(v) * 2);
    const decimals = Math.max(0, 2 - Math.floor(Math.log10(span)));
    return { min: v - span, max: v + span, step: 10 ** -decimals, decimals };
  }

  function setRange(range, v) {
    const r = sliderRange(v);
    range.min = String(r.min);
    range.max = String(r.max);
    range.step = String(r.step);
    range.dataset.decimals = String(r.decimals);
    range.value = String(v);
  }

  function buildLeaves() {
    const labels = leafLabels();
    const byLabel = new Map();
    for (const n of graph.nodes) if (n.role === "input" && !byLabel.has(n.label)) byLabel.set(n.label, n);
    const same = labels.length === leafRows.size && labels.every((l) => leafRows.has(l));
    if (!same) {
      leafRows.clear();
      el.leaves.replaceChildren();
      for (const label of labels) {
        const { row, num, range } = leafControls(label, byLabel.get(label).data, "leaf");
        leafRows.set(label, { row, num, range });
        el.leaves.append(row);
      }
    } else {
      for (const label of labels) syncLeafControls(leafRows.get(label), byLabel.get(label).data);
    }
    el.leavesEmpty.hidden = labels.length > 0;
  }

  /** A number field and a slider for one input leaf; `prefix` makes the field's id. */
  function leafControls(label, v, prefix) {
    const num = h("input", { type: "number", step: "any", class: "num", "aria-label": `${label} value` });
    const range = h("input", { type: "range", "aria-label": `${label} slider` });
    num.value = String(v);
    setRange(range, v);
    const row = h("div", { class: "leaf" }, h("label", { class: "leaf-name mono", text: label }), num, range);
    row.querySelector("label").htmlFor = num.id = `${prefix}-${label}`;
    num.addEventListener("input", () => {
      const x = Number(num.value);
      if (num.value === "" || !Number.isFinite(x)) return;
      if (x < Number(range.min) || x > Number(range.max)) setRange(range, x);
      else range.value = String(x);
      editLeaf(label, x);
    });
    num.addEventListener("change", () => setRange(range, Number(num.value) || 0));
    range.addEventListener("input", () => {
      const x = Number(Number(range.value).toFixed(Number(range.dataset.decimals)));
      num.value = String(x);
      editLeaf(label, x, Number(range.dataset.decimals));
    });
    return { row, num, range };
  }

  /** Keep a leaf's controls in step with the graph, unless someone is using them. */
  function syncLeafControls({ row, num, range }, v) {
    if (row.contains(document.activeElement)) return;
    if (Number(num.value) !== v) {
      num.value = String(v);
      setRange(range, v);
    }
  }

  function editLeaf(label, x, decimals) {
    const rewritten = rewriteLiteral(state.source, label, x, decimals);
    if (rewritten !== null) setSource(rewritten, { keepCursor: true });
    else state.values = { ...state.values, [label]: x };
    markCustom();
    renderAfterSlide();
  }

  // ---------------------------------------------------------------- gradient check

  function buildChecks() {
    el.checksBody.replaceChildren();
    for (const c of graph.checks) {
      const agree = c.agree;
      el.checksBody.append(
        h(
          "tr",
          { class: agree ? "agree" : "disagree" },
          h("th", { scope: "row", class: "mono", text: c.label }),
          h("td", { class: "mono grad-cell", title: String(c.analytic), text: fmtLong(c.analytic) }),
          h("td", { class: "mono", title: c.numeric === null ? "no estimate" : String(c.numeric), text: fmtLong(c.numeric) }),
          h("td", { class: "verdict", "aria-label": agree ? "agree" : "disagree", text: agree ? "✓" : "✗" })
        )
      );
    }
    if (!graph.checks.length) el.checksBody.append(h("tr", {}, h("td", { colspan: "4", class: "muted", text: "No labeled leaves." })));
  }

  function renderChecksVisibility() {
    // while stepping, a leaf's backprop grad stays hidden until its step
    const shown = revealed();
    const rows = el.checksBody.querySelectorAll("tr");
    graph.checks.forEach((c, i) => {
      const cell = rows[i] && rows[i].querySelector(".grad-cell");
      if (cell) cell.textContent = shown.has(c.id) ? fmtLong(c.analytic) : "?";
    });
  }

  function setH(v) {
    if (!(v > 0 && v <= 1)) {
      el.h.setCustomValidity("h must be above 0 and at most 1");
      el.h.reportValidity();
      return;
    }
    el.h.setCustomValidity("");
    state.h = v;
    el.h.value = String(v);
    render();
  }

  // ---------------------------------------------------------------- themes and layout

  function applyTheme(theme, rerender = true) {
    if (!THEMES.includes(theme)) return;
    if (theme !== "projector") lastTheme = theme;
    state.theme = theme;
    showTheme(theme);
    if (rerender && graph) {
      view.ready = false; // the projector theme lays out at a different size
      render();
    }
    writeHash();
  }

  function setEditor(visible) {
    state.editor = visible;
    document.body.classList.toggle("editor-hidden", !visible);
    const btn = $("toggle-editor");
    btn.setAttribute("aria-pressed", String(!visible));
    btn.textContent = visible ? "Hide editor" : "Show editor";
    refitOnResize = true; // the graph gets (or gives back) the editor's room: fit it again
    writeHash();
  }

  function markCustom() {
    el.preset.value = "";
  }

  function loadPreset(id) {
    const p = PRESETS.find((x) => x.id === id);
    if (!p) return;
    stopPlay();
    state.values = {};
    state.step = null;
    state.selected = null;
    setSource(p.source);
    el.preset.value = id;
    render();
  }

  // ---------------------------------------------------------------- export

  /** The server SVG, standalone: no DOCTYPE or external references, pixel size set. */
  function standaloneSvg() {
    if (!graph) return null;
    const doc = new DOMParser().parseFromString(graph.svg, "image/svg+xml");
    const svg = doc.documentElement;
    if (svg.nodeName !== "svg") return null;
    for (const n of svg.querySelectorAll("[href], [*|href]")) {
      const ref = n.getAttribute("href") || n.getAttributeNS("http://www.w3.org/1999/xlink", "href") || "";
      if (!ref.startsWith("#")) {
        n.removeAttribute("href");
        n.removeAttributeNS("http://www.w3.org/1999/xlink", "href");
      }
    }
    svg.querySelectorAll("script, foreignObject").forEach((n) => n.remove());
    const vb = (svg.getAttribute("viewBox") || "0 0 100 100").split(/[\s,]+/).map(Number);
    const w = Math.ceil((vb[2] * 4) / 3);
    const hgt = Math.ceil((vb[3] * 4) / 3);
    svg.setAttribute("width", String(w));
    svg.setAttribute("height", String(hgt));
    svg.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    return { text: new XMLSerializer().serializeToString(svg), width: w, height: hgt };
  }

  function exportSvg() {
    const s = standaloneSvg();
    if (!s) return toast("Nothing to export yet.");
    download(new Blob([s.text], { type: "image/svg+xml" }), "chainrule-graph.svg");
  }

  function exportPng() {
    const s = standaloneSvg();
    if (!s) return toast("Nothing to export yet.");
    const scale = 2;
    const img = new Image();
    const url = URL.createObjectURL(new Blob([s.text], { type: "image/svg+xml" }));
    img.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = s.width * scale;
      canvas.height = s.height * scale;
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = getComputedStyle(document.body).getPropertyValue("--graph-bg").trim() || "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(url);
      canvas.toBlob((blob) => {
        if (blob) download(blob, "chainrule-graph.png");
        else toast("The PNG could not be made.");
      }, "image/png");
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      toast("The PNG could not be made.");
    };
    img.src = url;
  }

  function showCode(target) {
    let text;
    try {
      const leaves = graph ? new Set(graph.checks.map((c) => c.label)) : null;
      text = exportCode(state.source, state.values, target, leaves);
    } catch (err) {
      return toast(`Cannot export this program: ${err.message}`);
    }
    el.codeTitle.textContent = target === "micrograd" ? "micrograd code" : "PyTorch code";
    el.codeNote.textContent =
      target === "micrograd"
        ? "Runs with micrograd from PyPI and prints the same grads."
        : "Runs with PyTorch (float64) and prints the same grads.";
    el.codeText.value = text;
    el.codeText.dataset.target = target;
    el.codeCopied.textContent = "";
    el.codeDialog.showModal();
    el.codeText.focus();
    el.codeText.select();
    el.codeText.scrollTop = 0;
    copyText(text);
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      el.codeCopied.textContent = "Copied to the clipboard.";
    } catch (_) {
      el.codeCopied.textContent = "Selected: press Ctrl+C to copy.";
    }
  }

  async function copyLink() {
    writeHash.cancel();
    const hash = hashFromState();
    history.replaceState(null, "", hash);
    try {
      await navigator.clipboard.writeText(location.href);
      toast("Link copied: it opens this exact view.");
    } catch (_) {
      toast("The link is in the address bar.");
    }
  }

  let toastTimer = 0;
  function toast(msg) {
    el.toast.textContent = msg;
    el.toast.classList.add("show");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => el.toast.classList.remove("show"), 3000);
  }

  // ---------------------------------------------------------------- keyboard

  function onKey(e) {
    if (e.target === el.source && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      render();
      return;
    }
    if (e.target === el.source && e.key === "Escape") {
      el.source.blur();
      el.viewport.focus();
      return;
    }
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || typingIn(e.target)) return;
    if (document.querySelector("dialog[open]")) return;
    const onButton = e.target instanceof HTMLElement && e.target.closest("button, [role=button], a");
    const key = e.key;
    const actions = {
      ArrowRight: stepNext,
      ArrowLeft: stepBack,
      Home: () => setStep(0),
      End: () => setStep(null),
      "+": () => zoomBy(1.25),
      "=": () => zoomBy(1.25),
      "-": () => zoomBy(0.8),
      _: () => zoomBy(0.8),
      0: fit,
      f: fit,
      w: () => panBy(0, -60),
      a: () => panBy(-60, 0),
      s: () => panBy(0, 60),
      d: () => panBy(60, 0),
      p: () => applyTheme(projectorToggled(state.theme, lastTheme)),
      t: () => applyTheme(nextTheme(state.theme)),
      e: () => setEditor(!state.editor),
      "?": () => el.help.showModal(),
    };
    if (key === " " && !onButton) {
      e.preventDefault();
      togglePlay();
      return;
    }
    if ((key === "Enter" || key === " ") && e.target.dataset && e.target.dataset.node) {
      e.preventDefault();
      selectNode(e.target.dataset.node, true);
      return;
    }
    const fn = actions[key.length === 1 ? key.toLowerCase() : key];
    if (fn) {
      e.preventDefault();
      fn();
    }
  }

  // ---------------------------------------------------------------- wiring

  function init() {
    for (const p of PRESETS) el.preset.append(h("option", { value: p.id, text: p.name }));
    const fromHash = readHash();
    if (!fromHash) {
      state.theme = preferredTheme();
      state.source = PRESETS[0].source;
      el.preset.value = PRESETS[0].id;
    } else {
      const p = PRESETS.find((x) => x.source === state.source);
      el.preset.value = p ? p.id : "";
    }
    setSource(state.source);
    applyTheme(state.theme, false);
    el.h.value = String(state.h);
    setEditor(state.editor);

    el.source.addEventListener("input", () => {
      state.source = el.source.value;
      syncGutter();
      markCustom();
      writeHash();
      renderSoon();
    });
    el.source.addEventListener("scroll", () => (el.gutter.scrollTop = el.source.scrollTop));
    el.preset.addEventListener("change", () => loadPreset(el.preset.value));
    el.theme.addEventListener("change", () => applyTheme(el.theme.value));
    $("toggle-projector").addEventListener("click", () =>
      applyTheme(projectorToggled(state.theme, lastTheme))
    );
    $("toggle-editor").addEventListener("click", () => setEditor(!state.editor));
    $("step-start").addEventListener("click", () => setStep(0));
    $("step-back").addEventListener("click", stepBack);
    $("step-next").addEventListener("click", stepNext);
    $("step-end").addEventListener("click", () => setStep(null));
    el.play.addEventListener("click", togglePlay);
    el.graph.addEventListener("click", (e) => {
      const g = e.target.closest("g[data-node]");
      if (g) selectNode(g.dataset.node, false);
    });
    // double-click an input leaf: straight to its value field in the inspector
    el.graph.addEventListener("dblclick", (e) => {
      const g = e.target.closest("g[data-node]");
      const n = g && graph && graph.byId.get(g.dataset.node);
      if (!n || n.role !== "input") return;
      selectNode(n.id, true);
      const field = $(`inspect-${n.label}`);
      if (field) field.select();
    });
    el.h.addEventListener("change", () => setH(Number(el.h.value)));
    $("h-bigger").addEventListener("click", () => setH(Math.min(1, Number((state.h * 10).toPrecision(6)))));
    $("h-smaller").addEventListener("click", () => setH(Number((state.h / 10).toPrecision(6))));
    $("export-svg").addEventListener("click", exportSvg);
    $("export-png").addEventListener("click", exportPng);
    $("export-micrograd").addEventListener("click", () => showCode("micrograd"));
    $("export-pytorch").addEventListener("click", () => showCode("torch"));
    $("code-copy").addEventListener("click", () => {
      el.codeText.select();
      copyText(el.codeText.value);
    });
    $("copy-link").addEventListener("click", copyLink);
    $("error-fix").addEventListener("click", (e) => {
      const names = e.currentTarget.dataset.names.split(" ").filter(Boolean);
      state.values = { ...state.values, ...Object.fromEntries(names.map((n) => [n, 1])) };
      render();
    });
    const menu = $("export-menu");
    menu.addEventListener("click", (e) => {
      if (e.target.closest("div button")) menu.open = false;
    });
    document.addEventListener("click", (e) => {
      if (menu.open && !menu.contains(e.target)) menu.open = false;
    });
    $("help-open").addEventListener("click", () => el.help.showModal());
    document.addEventListener("keydown", onKey);
    window.addEventListener("hashchange", () => {
      if (location.hash === hashFromState()) return;
      if (readHash()) {
        stopPlay();
        setSource(state.source);
        applyTheme(state.theme, false);
        el.h.value = String(state.h);
        setEditor(state.editor);
        render();
      }
    });
    setupPanZoom();
    render();
  }

  // exposed for the browser tests and the curious (read-only helpers, no state)
  window.chainrule = { exportCode, literalAssignments, rewriteLiteral, presets: PRESETS.map((p) => ({ ...p })) };

  init();
})();
