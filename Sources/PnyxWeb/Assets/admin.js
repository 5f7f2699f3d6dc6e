// Administration page: tokens kept in this tab's sessionStorage; polls (create, edit as a new
// draft, publish, open, close, certify, exports), moderation, and the broker's register and codes.

import { page, t, api, say, explain } from "./pnyx.js";

const $ = (id) => document.getElementById(id);
const status = $("status");

/** The tokens, entered once per tab. */
const tokens = {
  get service() { return sessionStorage.getItem("pnyx.admin.token") || ""; },
  get broker() { return sessionStorage.getItem("pnyx.admin.brokerToken") || ""; },
  set(service, broker) {
    service ? sessionStorage.setItem("pnyx.admin.token", service) : sessionStorage.removeItem("pnyx.admin.token");
    broker ? sessionStorage.setItem("pnyx.admin.brokerToken", broker) : sessionStorage.removeItem("pnyx.admin.brokerToken");
  },
};

function showTokens() {
  const parts = [];
  if (tokens.service) parts.push(t("admin.tokens.service_kept"));
  if (tokens.broker) parts.push(t("admin.tokens.broker_kept"));
  $("token-state").textContent = parts.length ? parts.join(" ") : t("admin.tokens.none");
}

/** A service admin call (same origin). */
const admin = (path, body) => api("", "/v1/admin/" + path, { method: "POST", body: body ?? {}, token: tokens.service });

/** Runs an action with status messages; answers its result or null when it failed. */
async function run(action, success) {
  try {
    say(status, t("working"));
    const result = await action();
    say(status, typeof success === "function" ? success(result) : success, "ok");
    return result;
  } catch (error) {
    say(status, explain(error), "error");
    return null;
  }
}

const unixToLocal = (unix) => {
  const d = new Date(unix * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
const localToUnix = (value) => Math.floor(new Date(value).getTime() / 1000);

function button(label, id, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.id = id;
  b.addEventListener("click", onClick);
  return b;
}

function link(label, href, id) {
  const a = document.createElement("a");
  a.textContent = label;
  a.href = href;
  if (id) a.id = id;
  return a;
}

const thresholdText = (th) =>
  th.kind === "absolute" ? t("admin.threshold.absolute", { count: th.count })
  : th.kind === "shareOfEligible" ? t("admin.threshold.share", { percent: th.basisPoints / 100 })
  : t("admin.threshold.areas", { count: th.minimumPerArea, areas: th.minimumAreas });

/** The polls table, with each poll's next steps. */
async function loadPolls() {
  const rows = await api("", "/admin/polls.json", { token: tokens.service });
  const body = $("polls").querySelector("tbody");
  body.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement("tr");
    tr.dataset.poll = row.pollID;
    const title = document.createElement("td");
    title.appendChild(link(row.title, `/p/${row.pollID}?lang=${page.lang}`));
    const kind = document.createElement("td");
    kind.textContent = t(`kind.${row.kind}`);
    const state = document.createElement("td");
    state.textContent = t(`status.${row.status}`);
    state.className = "poll-status";
    const actions = document.createElement("td");
    const id = row.pollID;
    const step = (name, label) => actions.appendChild(button(label, `${name}-${id}`, async () => {
      if (await run(() => admin(`polls/${id}/${name}`), t(`admin.done.${name}`))) await loadPolls();
    }));
    if (row.status === "draft") {
      step("publish", t("admin.publish"));
      actions.appendChild(button(t("admin.edit"), `edit-${id}`, () => { fillForm(row.draft); $("poll-title").focus(); }));
    }
    if (row.status === "published") step("open", t("admin.open"));
    if (row.status === "open") step("close", t("admin.close"));
    if (row.status === "open" || row.status === "closed") {
      (row.draft.thresholds || []).forEach((th, index) => {
        if (row.certified.includes(index)) {
          actions.appendChild(link(t("admin.certificate", { threshold: thresholdText(th) }),
                                   `/v1/polls/${id}/certificates/${index}.html`, `certificate-${id}-${index}`));
        } else {
          actions.appendChild(button(t("admin.certify", { threshold: thresholdText(th) }), `certify-${id}-${index}`, async () => {
            if (await run(() => admin(`polls/${id}/certify`, { thresholdIndex: index }), t("admin.done.certify"))) await loadPolls();
          }));
        }
      });
    }
    if (row.status !== "draft") {
      actions.appendChild(link(t("admin.export.json"), `/v1/polls/${id}/export.json`));
      actions.appendChild(link(t("admin.export.csv"), `/v1/polls/${id}/export.csv`));
      actions.appendChild(link(t("admin.export.log"), `/v1/polls/${id}/log/log.json`));
    }
    actions.className = "actions";
    tr.append(title, kind, state, actions);
    body.appendChild(tr);
  }
}

/** The moderation queue: accept, or reject with a public reason. */
async function loadProposals() {
  const proposals = await api("", "/v1/admin/proposals?status=pending", { token: tokens.service });
  const list = $("proposals");
  list.replaceChildren();
  $("proposals-empty").hidden = proposals.length > 0;
  for (const p of proposals) {
    const li = document.createElement("li");
    li.className = "poll-card";
    const h = document.createElement("h3");
    h.textContent = p.draft.title;
    const text = document.createElement("p");
    text.textContent = p.draft.text;
    const reasonLabel = document.createElement("label");
    reasonLabel.htmlFor = `reason-${p.proposalID}`;
    reasonLabel.textContent = t("admin.moderation.reason");
    const reason = document.createElement("input");
    reason.id = `reason-${p.proposalID}`;
    const accept = button(t("admin.moderation.accept"), `accept-${p.proposalID}`, async () => {
      if (await run(() => admin(`proposals/${p.proposalID}/accept`), t("admin.done.accept"))) { await loadProposals(); await loadPolls(); }
    });
    const reject = button(t("admin.moderation.reject"), `reject-${p.proposalID}`, async () => {
      if (!reason.value.trim()) { say(status, t("admin.moderation.reason_needed"), "error"); reason.focus(); return; }
      if (await run(() => admin(`proposals/${p.proposalID}/reject`, { reason: reason.value.trim() }), t("admin.done.reject"))) await loadProposals();
    });
    const actions = document.createElement("p");
    actions.append(accept, " ", reject);
    const reasonP = document.createElement("p");
    reasonP.append(reasonLabel, reason);
    li.append(h, text, reasonP, actions);
    list.appendChild(li);
  }
}

/** Reads the poll form into a draft (throws a readable message when a field is wrong). */
function readForm() {
  const thresholds = $("poll-thresholds").value.split(/\n+/).map((s) => s.trim()).filter(Boolean).map((line) => {
    const share = /^(\d+(?:\.\d+)?)\s*%$/.exec(line);
    if (share) return { kind: "shareOfEligible", basisPoints: Math.round(Number(share[1]) * 100) };
    if (/^\d+$/.test(line)) return { kind: "absolute", count: Number(line) };
    throw new Error(t("admin.error.threshold", { line }));
  });
  const questions = $("poll-questions").value.split(/\n+/).map((s) => s.trim()).filter(Boolean).map((line, index) => {
    const m = /^(single|multiple|approval)(?:\s+(\d+))?\s*:\s*(.+)$/.exec(line);
    if (!m) throw new Error(t("admin.error.question", { line }));
    const parts = m[3].split("|").map((s) => s.trim()).filter(Boolean);
    if (parts.length < 3) throw new Error(t("admin.error.question", { line }));
    const q = { id: index + 1, text: parts[0], kind: m[1], options: parts.slice(1) };
    q.maxChoices = m[1] === "single" ? 1 : m[1] === "multiple" ? Number(m[2] || 1) : parts.length - 1;
    return q;
  });
  const areas = $("poll-areas").value.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
  return {
    kind: $("poll-kind").value,
    title: $("poll-title").value.trim(),
    text: $("poll-text").value,
    opensAt: localToUnix($("poll-opens").value),
    closesAt: localToUnix($("poll-closes").value),
    eligibility: { areaScope: areas, minimumAge: Number($("poll-min-age").value), referenceDate: $("poll-reference").value },
    disclosure: { areaLevel: $("poll-level").value, ageBands: $("poll-age-bands").checked },
    allowPartialNames: $("poll-names").checked,
    questions,
    thresholds,
  };
}

/** Fills the poll form from a draft (editing a draft makes a new draft: signed drafts never change). */
function fillForm(d) {
  $("poll-kind").value = d.kind;
  $("poll-title").value = d.title;
  $("poll-text").value = d.text;
  $("poll-opens").value = unixToLocal(d.opensAt);
  $("poll-closes").value = unixToLocal(d.closesAt);
  $("poll-areas").value = (d.eligibility.areaScope || []).join(", ");
  $("poll-min-age").value = d.eligibility.minimumAge;
  $("poll-reference").value = d.eligibility.referenceDate;
  $("poll-level").value = d.disclosure.areaLevel;
  $("poll-age-bands").checked = !!d.disclosure.ageBands;
  $("poll-names").checked = !!d.allowPartialNames;
  $("poll-thresholds").value = (d.thresholds || []).map((th) =>
    th.kind === "absolute" ? String(th.count) : th.kind === "shareOfEligible" ? `${th.basisPoints / 100}%` : "").filter(Boolean).join("\n");
  $("poll-questions").value = (d.questions || []).map((q) =>
    `${q.kind}${q.kind === "multiple" ? " " + q.maxChoices : ""}: ${q.text} | ${q.options.join(" | ")}`).join("\n");
  saveForm();
}

/** The form is kept in this tab while it is being written. */
const formIDs = ["poll-kind", "poll-title", "poll-text", "poll-opens", "poll-closes", "poll-areas", "poll-min-age", "poll-reference",
                 "poll-level", "poll-age-bands", "poll-names", "poll-thresholds", "poll-questions"];
function saveForm() {
  const values = {};
  for (const id of formIDs) values[id] = $(id).type === "checkbox" ? $(id).checked : $(id).value;
  sessionStorage.setItem("pnyx.admin.form", JSON.stringify(values));
}
function restoreForm() {
  const now = Math.floor(Date.now() / 1000);
  $("poll-opens").value = unixToLocal(now + 86_400);
  $("poll-closes").value = unixToLocal(now + 31 * 86_400);
  $("poll-reference").value = new Date((now + 86_400) * 1000).toISOString().slice(0, 10);
  $("poll-thresholds").value = "100";
  const saved = JSON.parse(sessionStorage.getItem("pnyx.admin.form") || "null");
  if (!saved) return;
  for (const id of formIDs) if (id in saved) { $(id).type === "checkbox" ? ($(id).checked = saved[id]) : ($(id).value = saved[id]); }
}

$("poll-form")?.addEventListener("input", saveForm);
$("poll-clear")?.addEventListener("click", () => { sessionStorage.removeItem("pnyx.admin.form"); $("poll-form").reset(); restoreForm(); });
$("poll-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  let draft;
  try { draft = readForm(); } catch (error) { say(status, explain(error), "error"); return; }
  const created = await run(() => api("", "/v1/admin/polls", { method: "POST", body: draft, token: tokens.service }),
                            (poll) => t("admin.done.create", { id: poll.pollID }));
  if (created) { sessionStorage.removeItem("pnyx.admin.form"); await loadPolls(); }
});

$("token-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  tokens.set($("admin-token").value.trim() || tokens.service, $("broker-token").value.trim() || tokens.broker);
  $("admin-token").value = "";
  $("broker-token").value = "";
  showTokens();
  if (tokens.service) {
    await run(async () => { await loadPolls(); await loadProposals(); }, t("admin.tokens.ok"));
  } else {
    say(status, t("admin.tokens.kept"), "ok");
  }
});
$("token-forget")?.addEventListener("click", () => { tokens.set("", ""); showTokens(); say(status, t("admin.tokens.forgotten"), "ok"); });
$("polls-refresh")?.addEventListener("click", () => run(loadPolls, t("admin.refreshed")));
$("proposals-refresh")?.addEventListener("click", () => run(loadProposals, t("admin.refreshed")));

/** A CSV file chosen in a file input goes into its textarea. */
for (const [file, area] of [["areas-file", "areas-csv"], ["residents-file", "residents-csv"]]) {
  $(file)?.addEventListener("change", async () => { const f = $(file).files[0]; if (f) $(area).value = await f.text(); });
}

$("register-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { residentsCSV: $("residents-csv").value };
  if ($("areas-csv").value.trim()) body.areasCSV = $("areas-csv").value;
  await run(() => api(page.brokerURL, "/v1/admin/register", { method: "POST", body, token: tokens.broker }),
            (summary) => t("admin.done.register", { summary: Object.entries(summary || {}).map(([k, v]) => `${k}: ${v}`).join(", ") }));
});

$("codes-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const ids = $("codes-residents").value.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
  await run(async () => {
    const headers = { "Content-Type": "application/json", Authorization: "Bearer " + tokens.broker };
    const response = await fetch(page.brokerURL + "/v1/admin/enrolment-codes",
                                 { method: "POST", headers, body: JSON.stringify(ids.length ? { residentIDs: ids } : {}) });
    const text = await response.text();
    if (!response.ok) {
      let e = null;
      try { e = JSON.parse(text).error; } catch { /* not JSON */ }
      const failure = new Error(e ? e.reason : text);
      failure.code = e ? e.code : "http." + response.status;
      failure.reason = e ? e.reason : text;
      throw failure;
    }
    $("codes-output").value = text;
    const a = $("codes-download");
    a.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    a.download = "pnyx-enrolment-codes.csv";
    a.hidden = false;
    return Math.max(0, text.trim().split("\n").length - 1);
  }, (count) => t("admin.done.codes", { count }));
});

restoreForm();
showTokens();
if (tokens.service) run(async () => { await loadPolls(); await loadProposals(); }, t("admin.tokens.ok"));
