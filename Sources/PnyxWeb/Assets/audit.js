// Auditor page: each poll's latest checkpoint, its signature lines (the service's signature,
// checked here with WebCrypto, and the witnesses' cosignatures as served), and downloads.

import { page, t, api, say, explain } from "./pnyx.js";
import { parseNote, openNote, parseCheckpoint } from "./note.js";
import { toHex } from "./encoding.js";

const status = document.getElementById("status");

async function show(section, verifierKey) {
  const id = section.dataset.poll;
  const response = await fetch(`/v1/polls/${id}/log/checkpoint`, { cache: "no-cache" });
  const text = await response.text();
  if (!response.ok) {
    let code = "http." + response.status;
    try { code = JSON.parse(text).error.code; } catch { /* not JSON */ }
    throw Object.assign(new Error(code), { code });
  }
  const { signatures } = parseNote(text);
  const body = await openNote(text, verifierKey);  // throws unless the service's signature verifies
  const checkpoint = parseCheckpoint(body);
  document.getElementById(`checkpoint-${id}`).textContent = text;
  const list = document.getElementById(`signatures-${id}`);
  list.replaceChildren();
  const serviceName = verifierKey.split("+")[0];
  for (const s of signatures) {
    const li = document.createElement("li");
    li.textContent = s.name === serviceName
      ? t("audit.signature.service", { name: s.name, key: toHex(s.keyID) })
      : t("audit.signature.witness", { name: s.name, key: toHex(s.keyID) });
    li.className = s.name === serviceName ? "ok" : "";
    list.appendChild(li);
  }
  return { size: checkpoint.size, cosignatures: signatures.length - 1 };
}

async function main() {
  const sections = [...document.querySelectorAll(".audit-poll")];
  if (sections.length === 0) return;
  try {
    say(status, t("working"));
    const info = await api("", "/v1/service");
    let verified = 0, cosigned = 0;
    for (const section of sections) {
      try {
        const shown = await show(section, info.verifierKey);
        verified += 1;
        cosigned += shown.cosignatures > 0 ? 1 : 0;
      } catch (error) {
        // A poll without a checkpoint yet (log.not_found) says so; the others are still shown.
        if (error.code !== "log.not_found") throw error;
        document.getElementById(`checkpoint-${section.dataset.poll}`).textContent = explain(error);
      }
    }
    say(status, t("audit.loaded", { count: verified, cosigned }), "ok");
  } catch (error) {
    say(status, explain(error), "error");
  }
}

main();
