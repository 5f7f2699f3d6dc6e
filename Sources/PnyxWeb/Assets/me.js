// "Was a credential issued in my name?": logs in at the broker and lists the issuances it recorded.

import { page, t, api, say, explain, session } from "./pnyx.js";

const $ = (id) => document.getElementById(id);
const status = $("status");

async function list() {
  const rows = await api(page.brokerURL, "/v1/me/issuances", { token: session.token });
  const table = $("issuances");
  const body = table.querySelector("tbody");
  body.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const value of [row.pollID, row.attributeClass, row.day, row.registerPosition ?? "—", row.pseudonym]) {
      const td = document.createElement("td");
      td.textContent = String(value);
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  table.hidden = false;
  say(status, rows.length === 0 ? t("me.none") : t("me.some", { count: rows.length }), "ok");
}

$("me-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    say(status, t("working"));
    const answer = await api(page.brokerURL, "/v1/login", {
      method: "POST", body: { residentID: $("login-id").value.trim(), passphrase: $("login-passphrase").value } });
    session.token = answer.token;
    await list();
  } catch (error) { say(status, explain(error), "error"); }
});
