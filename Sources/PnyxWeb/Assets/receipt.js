// "Check my entry": verifies a receipt in the browser — the checkpoint's signature by the
// service's key, the inclusion proof of the entry in that checkpoint's tree, and the
// consistency of that tree with the latest signed checkpoint (the log was only appended to).

import { page, t, api, say, explain } from "./pnyx.js";
import { fromHex } from "./encoding.js";
import { openNote, parseCheckpoint } from "./note.js";
import { verifyInclusion, verifyConsistency } from "./merkle.js";

const $ = (id) => document.getElementById(id);
const status = $("status");
const steps = $("steps");

function step(key, ok, values = {}) {
  const li = document.createElement("li");
  li.className = ok ? "ok" : "fail";
  li.textContent = (ok ? "✓ " : "✗ ") + t(key, values);
  steps.appendChild(li);
  return ok;
}

/** Checks a receipt; answers true when every step passes. */
export async function checkReceipt(receipt, verifierKey) {
  steps.replaceChildren();
  let checkpointText;
  try { checkpointText = await openNote(receipt.checkpoint, verifierKey); }
  catch { return step("check.signature.fail", false); }
  step("check.signature", true);
  const cp = parseCheckpoint(checkpointText);
  if (!cp.origin.endsWith(receipt.pollID)) return step("check.origin.fail", false);
  const included = await verifyInclusion(fromHex(receipt.entryHash), Number(receipt.position), cp.size,
                                         receipt.inclusionProof.map(fromHex), cp.root);
  if (!step(included ? "check.inclusion" : "check.inclusion.fail", included, { position: receipt.position, size: cp.size })) return false;
  const latestNote = await (await fetch(`/v1/polls/${receipt.pollID}/log/checkpoint`)).text();
  let latest;
  try { latest = parseCheckpoint(await openNote(latestNote, verifierKey)); }
  catch { return step("check.latest.fail", false); }
  if (latest.size === cp.size) {
    const same = latest.root.every((b, i) => b === cp.root[i]);
    return step(same ? "check.latest.same" : "check.consistency.fail", same, { size: latest.size });
  }
  if (latest.size < cp.size) return step("check.rollback", false, { size: latest.size });
  const proof = await api("", `/v1/polls/${receipt.pollID}/proofs/consistency?from=${cp.size}&to=${latest.size}`);
  const consistent = await verifyConsistency(cp.size, latest.size, proof.proof.map(fromHex), cp.root, latest.root);
  return step(consistent ? "check.consistency" : "check.consistency.fail", consistent, { from: cp.size, size: latest.size });
}

$("receipt-file")?.addEventListener("change", async () => {
  const file = $("receipt-file").files[0];
  if (file) $("receipt-input").value = await file.text();
});

$("check-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    let receipt;
    try { receipt = JSON.parse($("receipt-input").value); } catch { throw new Error(t("receipt.not_json")); }
    if (!receipt || typeof receipt.pollID !== "string" || !Array.isArray(receipt.inclusionProof)) throw new Error(t("receipt.not_receipt"));
    say(status, t("working"));
    const info = await api("", "/v1/service");
    const ok = await checkReceipt(receipt, info.verifierKey);
    say(status, t(ok ? "check.all_ok" : "check.failed"), ok ? "ok" : "error");
  } catch (error) { say(status, explain(error), "error"); }
});

const last = Object.keys(localStorage).filter((k) => k.startsWith("pnyx.receipt."));
if (last.length > 0 && $("receipt-input") && !$("receipt-input").value) $("receipt-input").value = localStorage.getItem(last[0]);
