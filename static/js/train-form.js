/* The training page's settings form: the config it says, the config it shows, the errors the
   API found in it (next to their fields), and the page's messages. */

import { $ } from "./dom.js";

export const TOO_HIGH_LR = 10; // the "learning rate too high" toggle (as the lr-too-high preset)

export const FIELD_IDS = [
  "dataset", "samples", "noise", "data-seed", "layers", "activation", "seed", "loss", "reduction",
  "optimizer", "lr", "schedule", "lr-end", "decay", "l2", "batch", "fzg", "too-high",
];

/** A number field's value: a number, null when empty (if allowed), else the raw text for the API to judge. */
function numberOf(id, emptyIsNull = false) {
  const raw = $(id).value.trim();
  if (raw === "") return emptyIsNull ? null : raw;
  const x = Number(raw);
  return Number.isFinite(x) ? x : raw;
}

export function layersOf(text) {
  const parts = text.split(/[\s,;[\]]+/).filter(Boolean);
  return parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** The config the form says; `base` (the last config) gives the fields the form does not show (Adam's
    betas...), `points` the points of dataset "custom". */
export function configFromForm(base, points) {
  base = base || {};
  const custom = $("dataset").value === "custom";
  return {
    dataset: {
      name: $("dataset").value,
      n_samples: numberOf("samples"),
      noise: numberOf("noise"),
      seed: numberOf("data-seed"),
      ...(custom ? { points } : {}),
    },
    layers: layersOf($("layers").value),
    activation: $("activation").value,
    loss: $("loss").value,
    reduction: $("reduction").value,
    l2: numberOf("l2"),
    optimizer: {
      ...(base.optimizer || {}),
      name: $("optimizer").value,
      lr: numberOf("lr"),
      schedule: $("schedule").value,
      lr_end: numberOf("lr-end"),
      decay_steps: numberOf("decay"),
    },
    batch_size: numberOf("batch", true),
    seed: numberOf("seed"),
    forget_zero_grad: $("fzg").checked,
  };
}

/** Show a config in the form. */
export function formFromConfig(c) {
  $("dataset").value = c.dataset.name;
  $("samples").value = c.dataset.n_samples;
  $("noise").value = c.dataset.noise;
  $("data-seed").value = c.dataset.seed;
  $("layers").value = c.layers.join(", ");
  $("activation").value = c.activation;
  $("loss").value = c.loss;
  $("reduction").value = c.reduction;
  $("l2").value = c.l2;
  $("optimizer").value = c.optimizer.name;
  $("lr").value = c.optimizer.lr;
  $("schedule").value = c.optimizer.schedule;
  $("lr-end").value = c.optimizer.lr_end;
  $("decay").value = c.optimizer.decay_steps;
  $("batch").value = c.batch_size === null ? "" : c.batch_size;
  $("seed").value = c.seed;
  $("fzg").checked = !!c.forget_zero_grad;
  $("too-high").checked = c.optimizer.lr === TOO_HIGH_LR && c.optimizer.schedule === "constant";
  syncFormVisibility();
}

/**
 * Keep the "learning rate too high" toggle and the lr fields in step after `field` changed. `saved`:
 * the lr and schedule from before the toggle went on; returns what to keep for when it goes off.
 */
export function tieTooHigh(field, saved) {
  if (field === "too-high") {
    if ($("too-high").checked) {
      const keep = { lr: $("lr").value, schedule: $("schedule").value };
      $("lr").value = TOO_HIGH_LR;
      $("schedule").value = "constant";
      return keep;
    }
    const s = saved || { lr: "0.1", schedule: "constant" };
    $("lr").value = s.lr;
    $("schedule").value = s.schedule;
    return null;
  }
  if (field === "lr" || field === "schedule") {
    $("too-high").checked = Number($("lr").value) === TOO_HIGH_LR && $("schedule").value === "constant";
  }
  return saved;
}

/** Show the fields the form's choices use, and disable those the dataset fixes. */
export function syncFormVisibility() {
  const linear = $("schedule").value === "linear";
  for (const div of document.querySelectorAll("[data-when=linear]")) div.hidden = !linear;
  const dataset = $("dataset").value;
  const fixed = { lecture: "the lecture's four samples are fixed", custom: "your points are the data" }[dataset];
  for (const id of ["samples", "noise", "data-seed"]) {
    $(id).disabled = !!fixed;
    $(id).title = fixed || "";
  }
  showScheduleNote();
}

let scheduleTexts = {}; // GET /api/train/presets' `schedules`: what each schedule does, in words

/** What each schedule does (the server's words), shown under the schedule field. */
export function setScheduleTexts(texts) {
  scheduleTexts = texts && typeof texts === "object" ? texts : {};
  showScheduleNote();
}

function showScheduleNote() {
  const text = scheduleTexts[$("schedule").value];
  $("schedule-note").textContent = text || "";
  $("schedule-note").hidden = !text;
}

// ---------------------------------------------------------------- errors next to their fields

// The API names a bad field by its loc after ["body", "state"]; this maps it to a control.
const LOC_FIELDS = [
  [["config", "dataset", "name"], "dataset"],
  [["config", "dataset", "n_samples"], "samples"],
  [["config", "dataset", "noise"], "noise"],
  [["config", "dataset", "seed"], "data-seed"],
  [["config", "dataset", "points"], "dataset"],
  [["config", "dataset"], "dataset"],
  [["config", "layers"], "layers"],
  [["config", "activation"], "activation"],
  [["config", "loss"], "loss"],
  [["config", "reduction"], "reduction"],
  [["config", "l2"], "l2"],
  [["config", "optimizer", "lr_end"], "lr-end"],
  [["config", "optimizer", "lr"], "lr"],
  [["config", "optimizer", "schedule"], "schedule"],
  [["config", "optimizer", "decay_steps"], "decay"],
  [["config", "optimizer"], "optimizer"],
  [["config", "batch_size"], "batch"],
  [["config", "seed"], "seed"],
  [["config", "forget_zero_grad"], "fzg"],
];

export function clearErrors() {
  for (const p of document.querySelectorAll(".settings .field-error")) p.remove();
  for (const c of document.querySelectorAll(".settings [aria-invalid]")) c.removeAttribute("aria-invalid");
  $("err-general").hidden = true;
  $("err-general").textContent = "";
}

function showFieldError(field, text) {
  const ctl = document.querySelector(`.ctl[data-field="${field}"]`);
  const input = $(field);
  if (!ctl || !input) return false;
  let p = ctl.querySelector(".field-error");
  if (!p) {
    p = document.createElement("p");
    p.className = "field-error";
    p.id = `err-${field}`;
    p.setAttribute("role", "alert");
    ctl.append(p);
  }
  p.textContent = p.textContent ? `${p.textContent} ${text}` : text;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", p.id);
  if (ctl.hidden) ctl.hidden = false;
  return true;
}

export function showGeneralError(text) {
  const box = $("err-general");
  box.textContent = box.hidden || !box.textContent ? text : `${box.textContent}\n${text}`;
  box.hidden = false;
}

/** Puts an API error where it belongs; `where` says what was being done. `inForm`: false when the
    request was not the form's (an imported file): every error then goes to the general line. */
export function showApiError(status, body, where, inForm = true) {
  const detail = body && body.detail;
  if (Array.isArray(detail)) {
    for (const d of detail) {
      const loc = (d.loc || []).filter((k) => k !== "body" && k !== "state");
      const hit = inForm && LOC_FIELDS.find(([path]) => path.every((k, i) => loc[i] === k));
      if (!(hit && showFieldError(hit[1], d.msg))) {
        showGeneralError(`${where}: ${loc.join(".") || "request"}: ${d.msg}`);
      }
    }
    return;
  }
  const message = detail && (detail.message || (typeof detail === "string" ? detail : null));
  showGeneralError(`${where}: ${message || `the server answered ${status}`}`);
}

/** An API error as one line of text: each invalid field (its loc after the state) and why. */
export function apiErrorText(status, body) {
  const detail = body && body.detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => `${(d.loc || []).filter((k) => k !== "body" && k !== "state").join(".") || "the request"}: ${d.msg}`)
      .join("; ");
  }
  const message = detail && (detail.message || (typeof detail === "string" ? detail : null));
  return message || `the server answered ${status}`;
}

/** A message over the charts ("warn" or "info"). */
export function showMessage(text, kind = "warn") {
  $("message").textContent = text;
  $("message").dataset.kind = kind;
  $("message").hidden = false;
}

export function hideMessage() {
  $("message").hidden = true;
  $("message").textContent = "";
}

/** A config (from a link) with `preset`'s values where it says nothing: for the form only. */
export function withDefaults(c, preset) {
  const d = preset && preset.state.config;
  if (!d) return { dataset: {}, optimizer: {}, layers: [], ...c };
  return { ...d, ...c, dataset: { ...d.dataset, ...c.dataset }, optimizer: { ...d.optimizer, ...c.optimizer } };
}
