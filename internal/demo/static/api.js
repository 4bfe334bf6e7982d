// The API client: every request goes through call(), with the session
// cookie (credentials: "include", which an API on another origin needs) and
// JSON bodies, and every error answer becomes an ApiError read from the
// API's envelope: {"error": {"code", "message", "fields"?}}.

// baseFrom returns the origin of the API: the one named by ?api= in the
// page's address (http or https only), else the page's own.
export function baseFrom(location) {
  const named = new URLSearchParams(location.search).get("api");
  if (!named) return location.origin;
  const url = new URL(named); // throws on nonsense, which app.js shows
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`?api= must be an http or https address, not ${named}`);
  }
  return url.origin;
}

// ApiError is an error answer of the API, or a failure to reach it
// (status 0).
export class ApiError extends Error {
  constructor(status, code, message, fields = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

// client returns call(method, path, body?) for the API at base: it resolves
// to the response's JSON (null for 204) and rejects with an ApiError.
export function client(base) {
  return async function call(method, path, body) {
    const init = { method, credentials: "include", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(base + path, init);
    } catch {
      // The browser tells a page nothing more: the server may be down, or
      // CORS or this page's Content-Security-Policy refused the call.
      throw new ApiError(0, "unreachable", `could not reach the API at ${base}`);
    }
    if (res.status === 204) return null;
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const e = data?.error;
      throw new ApiError(res.status, e?.code ?? `http_${res.status}`,
        e?.message ?? `the API answered ${res.status}`, e?.fields);
    }
    return data;
  };
}
