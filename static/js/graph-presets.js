/* The graph page's examples: the lecture's programs, and two that show a pitfall. */

// the tanh neuron's inputs, weights and sum, shared by its two presets
const NEURON = `x1 = 2.0
x2 = 0.0
w1 = -3.0
w2 = 1.0
b = 6.8813735870195432
x1w1 = x1*w1
x2w2 = x2*w2
x1w1x2w2 = x1w1 + x2w2
n = x1w1x2w2 + b
`;

export const PRESETS = [
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
${NEURON}o = tanh(n)
`,
  },
  {
    id: "neuron-exp",
    name: "The neuron, tanh through exp",
    source: `# the same neuron; tanh(n) = (e^2n - 1)/(e^2n + 1)
${NEURON}e = exp(2*n)
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
