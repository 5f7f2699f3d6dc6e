// Shared helpers of the citizen pages: the page's strings, API calls with readable errors, status messages.

/** The page's configuration and strings (a JSON script element rendered by the server). */
export const page = JSON.parse(document.getElementById("pnyx-page").textContent);

/** A translated string, `{name}` placeholders replaced. */
export function t(key, values = {}) {
  let text = page.strings[key] ?? key;
  for (const [k, v] of Object.entries(values)) text = text.replaceAll("{" + k + "}", String(v));
  return text;
}

/** An error carrying the API's stable code. */
export class APIFailure extends Error {
  constructor(code, reason) { super(reason || code); this.code = code; this.reason = reason; }
}

/** The sentence shown for an error: the translated message of its code, else a readable fallback. */
export function explain(error) {
  const code = error && error.code;
  if (code && page.errors[code]) return page.errors[code];
  if (code && page.errors[code.split(".")[0] + ".*"]) return page.errors[code.split(".")[0] + ".*"];
  if (code) return t("error.generic", { code, reason: error.reason || "" });
  if (error instanceof TypeError) return t("error.network");
  const message = String(error && error.message || error);
  if (page.errors[message]) return page.errors[message];
  return message;
}

/** Calls a JSON API; throws APIFailure with the stable code on errors. */
export async function api(base, path, { method = "GET", body = undefined, token = undefined } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = "Bearer " + token;
  const response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 204) return null;
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!response.ok) {
    const e = json && json.error;
    throw new APIFailure(e ? e.code : "http." + response.status, e ? e.reason : text.slice(0, 200));
  }
  return json;
}

/** Shows a message in a live region (`kind`: info, ok, error) and moves focus to it for errors. */
export function say(element, text, kind = "info") {
  element.textContent = text;
  element.className = "message " + kind;
  element.hidden = false;
  if (kind === "error") { element.setAttribute("tabindex", "-1"); element.focus(); }
}

/** The broker session stored for this tab. */
export const session = {
  get token() { return sessionStorage.getItem("pnyx.broker.token"); },
  set token(value) { value ? sessionStorage.setItem("pnyx.broker.token", value) : sessionStorage.removeItem("pnyx.broker.token"); },
};

/** Pretty JSON for display and download. */
export function pretty(value) { return JSON.stringify(value, null, 2); }

/** Offers `text` as a file download through a link element. */
export function offerDownload(link, fileName, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  link.href = url;
  link.download = fileName;
  link.hidden = false;
}
