/* Talking to this app's HTTP API (docs/api.md): JSON POSTs, their errors, and what an error says. */

import { sleep } from "./dom.js";

/** An answer that is not 2xx: its status and its JSON body (null when it had none). */
export class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/**
 * A JSON POST. `signal` can abort it; with `busyRetries`, a busy server (503) is asked again after
 * its Retry-After (at most 5 s), that many times. Resolves to the Response, whatever its status.
 */
export async function post(url, body, { signal, busyRetries = 0 } = {}) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      signal,
    });
    if (res.status !== 503 || attempt >= busyRetries) return res;
    const wait = Math.min(Number(res.headers.get("Retry-After")) || 1, 5);
    await sleep(wait * 1000, signal);
  }
}

/** The ApiError for a response that is not 2xx. */
export async function apiError(res) {
  let data = null;
  try {
    data = await res.json();
  } catch (_) {
    /* not JSON: reported by status */
  }
  return new ApiError(res.status, data);
}

/** A JSON POST that resolves to the answer's JSON, or throws an ApiError. */
export async function postJson(url, body, options) {
  const res = await post(url, body, options);
  if (!res.ok) throw await apiError(res);
  return res.json();
}

/**
 * What an error body says, as {message, line, column} (line and column only for an error in a
 * program): the API's own message, FastAPI's list of invalid fields joined, or the status.
 */
export function errorDetail(status, body) {
  const detail = body && body.detail;
  if (detail && typeof detail === "object" && !Array.isArray(detail)) return detail;
  if (Array.isArray(detail)) return { message: detail.map((d) => d.msg).join("; ") };
  return { message: typeof detail === "string" ? detail : `The server answered ${status}.` };
}
