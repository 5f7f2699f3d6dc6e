// Enrol, log in, and sign or vote in one screen. The browser makes the one-time Ed25519 key
// (it never leaves the browser: only its public half goes into the blinded message and the
// entry), blinds the credential message (RFC 9474) so the broker sees only the blinded
// message, finalizes the credential, signs the entry and posts it to the service.

import { page, t, api, say, explain, session, pretty, offerDownload } from "./pnyx.js";
import { toBase64, fromBase64, credentialMessage, entrySignedBytes, verifyKeyDirectory } from "./encoding.js";
import * as blindrsa from "./blindrsa.js";

const $ = (id) => document.getElementById(id);
const status = $("status");
const storeKey = "pnyx.entry." + page.pollID;

function showLoggedIn(residentID) {
  $("session-state").textContent = t("session.in", { id: residentID });
  $("logout").hidden = false;
}

$("enrol-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const passphrase = $("enrol-passphrase").value;
  if (passphrase !== $("enrol-passphrase2").value) { say(status, t("enrol.mismatch"), "error"); return; }
  try {
    say(status, t("working"));
    const answer = await api(page.brokerURL, "/v1/enrol", { method: "POST", body: { code: $("enrol-code").value.trim(), passphrase } });
    $("login-id").value = answer.residentID;
    $("login-passphrase").value = passphrase;
    say(status, t("enrol.done", { id: answer.residentID }), "ok");
  } catch (error) { say(status, explain(error), "error"); }
});

$("login-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    say(status, t("working"));
    const answer = await api(page.brokerURL, "/v1/login", {
      method: "POST", body: { residentID: $("login-id").value.trim(), passphrase: $("login-passphrase").value } });
    session.token = answer.token;
    showLoggedIn($("login-id").value.trim());
    say(status, t("login.done"), "ok");
  } catch (error) { say(status, explain(error), "error"); }
});

$("logout")?.addEventListener("click", async () => {
  try { await api(page.brokerURL, "/v1/logout", { method: "POST", token: session.token }); } catch { /* already out */ }
  session.token = null;
  $("session-state").textContent = t("session.out");
  $("logout").hidden = true;
});

/** The payload chosen on the form. */
function chosenPayload(kind) {
  if (kind === "withdraw") return { kind: "withdraw" };
  if (page.kind === "petition") return { kind: "sign" };
  const answers = [];
  for (const q of page.questions) {
    const boxes = Array.from(document.querySelectorAll(`input[name="q${q.id}"]:checked`));
    const choices = boxes.map((b) => Number(b.value));
    if (q.kind === "single" && choices.length !== 1) throw new Error(t("vote.choose_one", { question: q.text }));
    if (q.kind === "multiple" && choices.length > q.maxChoices) throw new Error(t("vote.too_many", { question: q.text, max: q.maxChoices }));
    answers.push({ questionID: q.id, choices });
  }
  return { kind: "vote", answers };
}

/** A stored credential and one-time key for this poll (for changing a vote or withdrawing). */
async function storedCredential() {
  const saved = localStorage.getItem(storeKey);
  if (!saved) return null;
  const { credential, privateKey } = JSON.parse(saved);
  const key = await crypto.subtle.importKey("pkcs8", fromBase64(privateKey), { name: "Ed25519" }, false, ["sign"]);
  return { credential, key };
}

/** Obtains a new credential from the broker: one-time key, class, blind, blind-sign, finalize. */
async function newCredential() {
  const token = session.token;
  if (!token) throw new Error(t("login.needed"));
  say(status, t("step.directory"));
  // The broker's signature over the key directory is checked here, before anything is blinded.
  const directory = await verifyKeyDirectory(await api("", `/v1/polls/${page.pollID}/directory`), page.pollID, page.brokerKey);
  const mine = await api(page.brokerURL, `/v1/polls/${page.pollID}/class`, { token });
  const entry = directory.entries.find((e) => e.class === mine.class);
  if (!entry) throw new Error(t("error.no_key"));
  const spki = fromBase64(entry.spki);
  const rsa = blindrsa.parseRSASPKI(spki);

  say(status, t("step.key"));
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const msg = credentialMessage(page.pollID, mine.class, publicKey);
  const { prefix, prepared } = blindrsa.prepare(msg);
  const { blinded, inv } = await blindrsa.blind(rsa, prepared);

  say(status, t("step.broker"));
  const answer = await api(page.brokerURL, `/v1/polls/${page.pollID}/credential`, {
    method: "POST", token, body: { blindedMessage: toBase64(blinded) } });
  const signature = await blindrsa.finalize(spki, rsa, fromBase64(answer.blindSignature), inv, prepared);
  const credential = { class: mine.class, keyID: entry.keyID, oneTimeKey: toBase64(publicKey), prefix: toBase64(prefix),
                       signature: toBase64(signature) };
  const privateKey = toBase64(new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)));
  localStorage.setItem(storeKey, JSON.stringify({ credential, privateKey }));
  return { credential, key: pair.privateKey };
}

async function takePart(kind) {
  try {
    let payload = chosenPayload(kind);
    let held = await storedCredential();
    if (!held) {
      if (kind === "withdraw") throw new Error(t("withdraw.nothing"));
      held = await newCredential();
    }
    if (payload.kind === "sign" && $("show-name")?.checked) {
      say(status, t("step.name"));
      const named = await api(page.brokerURL, `/v1/polls/${page.pollID}/name-attestation`, {
        method: "POST", token: session.token, body: { oneTimeKey: held.credential.oneTimeKey } });
      payload = { kind: "sign", partialName: { name: named.attestation.partialName, attestation: named.signature } };
    }
    say(status, t("step.entry"));
    // A fresh nonce each time, so that going back to an earlier choice makes new bytes.
    const nonce = toBase64(crypto.getRandomValues(new Uint8Array(16)));
    const entry = { pollID: page.pollID, credential: held.credential, channel: "online", payload, nonce };
    const signature = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, held.key, entrySignedBytes(entry)));
    entry.signature = toBase64(signature);
    const receipt = await api("", `/v1/polls/${page.pollID}/entries`, { method: "POST", body: entry });
    const text = pretty(receipt);
    localStorage.setItem("pnyx.receipt." + page.pollID, text);
    $("receipt-text").value = text;
    $("receipt-box").hidden = false;
    offerDownload($("receipt-download"), `pnyx-receipt-${page.pollID}-${receipt.position}.json`, text);
    say(status, t(kind === "withdraw" ? "done.withdraw" : page.kind === "petition" ? "done.sign" : "done.vote",
                  { position: receipt.position }), "ok");
    refreshHeld();
  } catch (error) { say(status, explain(error), "error"); }
}

function refreshHeld() {
  const held = localStorage.getItem(storeKey) !== null;
  $("already").hidden = !held;
  $("withdraw").hidden = !held;
}

$("take-part-form")?.addEventListener("submit", (event) => { event.preventDefault(); takePart("entry"); });
$("withdraw")?.addEventListener("click", () => takePart("withdraw"));
refreshHeld();
if (session.token) $("session-state").textContent = t("session.in.short");
