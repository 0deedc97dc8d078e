// The shop's JSON API as the contract describes it: session cookie, the CSRF header on
// every unsafe request, one error shape. Nothing else is called.

export class ApiError extends Error {
  constructor(status, body, headers) {
    const problem = body && typeof body === "object" && "code" in body ? body : null;
    super(problem ? problem.message : `HTTP ${status}`);
    this.status = status;
    this.code = problem ? problem.code : null;
    this.details = problem ? problem.details : null;
    this.retryAfter = headers ? headers.get("Retry-After") : null;
  }
}

function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

async function csrfToken(force) {
  let token = force ? null : cookie("csrftoken");
  if (!token) {
    const answer = await fetch("/api/csrf", { credentials: "same-origin" });
    token = cookie("csrftoken") || (await answer.json()).csrftoken;
  }
  return token;
}

// A fresh key per user action: a repeated click or a retried request makes one order.
export function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

export async function api(method, path, body, { idempotency, retried } = {}) {
  const headers = { Accept: "application/json" };
  const unsafe = !["GET", "HEAD"].includes(method);
  if (unsafe) headers["X-CSRFToken"] = await csrfToken(retried);
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotency) headers["Idempotency-Key"] = idempotency;
  let answer;
  try {
    answer = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, { code: 0, message: "The shop cannot be reached.", details: null });
  }
  const text = await answer.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (answer.ok) return data;
  // A token rotated by a login in another tab: fetch the new one and try once more.
  if (answer.status === 403 && data && data.code === 3003 && unsafe && !retried) {
    return api(method, path, body, { idempotency, retried: true });
  }
  throw new ApiError(answer.status, data, answer.headers);
}

export const get = (path) => api("GET", path);
export const post = (path, body, options) => api("POST", path, body === undefined ? {} : body, options);
export const put = (path, body) => api("PUT", path, body);
export const del = (path) => api("DELETE", path);

// A route this build does not serve (delivery and refunds come in later builds):
// the 404 of an unknown route, not of an unknown id.
export function notServed(error) {
  return error instanceof ApiError && error.status === 404 && error.code === 1004;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
