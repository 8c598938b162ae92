/* Numbers as the pages show them: one module, so the graph and the training page agree. */

/**
 * A number for reading: `decimals` places, or `significant` digits with an exponent when it is
 * very large (>= 1e5) or very small (< 1e-4); `missing` for null, undefined or not finite.
 * The graph page shows "n/a" for a missing number, the training page "–".
 */
export function formatNumber(x, { decimals = 4, significant = 4, missing = "n/a" } = {}) {
  if (x === null || x === undefined || !Number.isFinite(x)) return missing;
  const a = Math.abs(x);
  if (a >= 1e5 || (a > 0 && a < 1e-4)) {
    return x.toExponential(significant - 1).replace(/\.?0+e/, "e").replace("e+", "e");
  }
  const s = x.toFixed(decimals);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** More digits, for the gradient check. */
export function formatLong(x) {
  if (x === null || x === undefined) return "n/a";
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e6 || a < 1e-4 ? x.toExponential(9) : x.toPrecision(12);
}

/** A fraction as a whole percentage. */
export const formatPercent = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : "–");

/** A number as a literal in a program: full precision, always with a decimal point. */
export function literal(x) {
  let s = String(Object.is(x, -0) ? 0 : x);
  if (/^-?\d+$/.test(s)) s += ".0";
  return s;
}

/** A number as the training page shows it: "–" when missing, 3 significant digits in exponent form. */
export const formatStat = (x, decimals = 4) => formatNumber(x, { decimals, significant: 3, missing: "–" });
