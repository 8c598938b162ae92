/* The training page's view in the URL's hash: the config (each field by a short name), the preset,
   the speed, "Stop at" and the theme. */

import { layersOf } from "./train-form.js";
import { pointsFromUrl, pointsToUrl } from "./train-points.js";
import { THEMES } from "./themes.js";

const SPEEDS = ["auto", 1, 2, 5, 10, 25];

const HASH_KEYS = {
  dataset: ["dataset", "name"],
  samples: ["dataset", "n_samples"],
  noise: ["dataset", "noise"],
  dseed: ["dataset", "seed"],
  activation: ["activation"],
  loss: ["loss"],
  reduction: ["reduction"],
  l2: ["l2"],
  opt: ["optimizer", "name"],
  lr: ["optimizer", "lr"],
  schedule: ["optimizer", "schedule"],
  lr_end: ["optimizer", "lr_end"],
  decay: ["optimizer", "decay_steps"],
  beta1: ["optimizer", "beta1"],
  beta2: ["optimizer", "beta2"],
  eps: ["optimizer", "eps"],
  seed: ["seed"],
};

/** The hash for a view: {config, presetName, speed, until, theme}. */
export function hashOf({ config: c, presetName, speed, until, theme }) {
  const p = new URLSearchParams();
  if (presetName) p.set("preset", presetName);
  for (const [key, path] of Object.entries(HASH_KEYS)) {
    const v = path.reduce((o, k) => (o ? o[k] : undefined), c);
    if (v !== undefined && v !== null) p.set(key, String(v));
  }
  const points = c.dataset && c.dataset.name === "custom" && Array.isArray(c.dataset.points) ? pointsToUrl(c.dataset.points) : null;
  if (points) p.set("pts", points); // only while short: a long list travels in the exported file
  p.set("layers", (c.layers || []).join(","));
  p.set("batch", c.batch_size === null || c.batch_size === undefined ? "full" : String(c.batch_size));
  p.set("fzg", c.forget_zero_grad ? "1" : "0");
  p.set("speed", String(speed));
  if (until) p.set("until", String(until));
  p.set("theme", theme);
  return "#" + p.toString();
}

/**
 * What a hash says: {theme, speed} (null when it names none or a bad one), until (undefined when
 * absent), and config with presetName (config null when the hash holds no config).
 */
export function readHash(hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ""));
  const theme = p.get("theme");
  const speed = p.get("speed") === "auto" ? "auto" : Number(p.get("speed"));
  const view = {
    theme: THEMES.includes(theme) ? theme : null,
    speed: SPEEDS.includes(speed) ? speed : null,
    until: p.has("until") ? (/^\d+$/.test(p.get("until")) ? Number(p.get("until")) : null) : undefined,
    config: null,
    presetName: "",
  };
  if (!p.has("dataset")) return view;
  const c = { dataset: {}, optimizer: {} };
  for (const [key, path] of Object.entries(HASH_KEYS)) {
    if (!p.has(key)) continue;
    const raw = p.get(key);
    const x = Number(raw);
    const value = raw !== "" && Number.isFinite(x) ? x : raw;
    if (path.length === 2) c[path[0]][path[1]] = value;
    else c[path[0]] = value;
  }
  if (p.has("pts")) c.dataset.points = pointsFromUrl(p.get("pts"));
  if (p.has("layers")) c.layers = layersOf(p.get("layers"));
  if (p.has("batch")) c.batch_size = p.get("batch") === "full" ? null : Number(p.get("batch")) || p.get("batch");
  if (p.has("fzg")) c.forget_zero_grad = p.get("fzg") === "1";
  return { ...view, config: c, presetName: p.get("preset") || "" };
}
