// Propose a petition: the draft goes to the moderation queue (POST /v1/proposals); nothing
// about the proposer is kept.

import { page, t, api, say, explain } from "./pnyx.js";

const $ = (id) => document.getElementById(id);
const status = $("status");

$("propose-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const now = Math.floor(Date.now() / 1000);
  const opensAt = now + 7 * 86_400;
  const days = Number($("propose-days").value);
  const draft = {
    kind: "petition",
    title: $("propose-title").value.trim(),
    text: $("propose-text").value,
    opensAt,
    closesAt: opensAt + days * 86_400,
    eligibility: {
      areaScope: $("propose-areas").value.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean),
      minimumAge: 16,
      referenceDate: new Date(opensAt * 1000).toISOString().slice(0, 10),
    },
    disclosure: { areaLevel: "commune", ageBands: true },
    allowPartialNames: $("propose-names").checked,
    thresholds: [{ kind: "absolute", count: Number($("propose-threshold").value) }],
  };
  try {
    say(status, t("working"));
    const proposal = await api("", "/v1/proposals", { method: "POST", body: draft });
    say(status, t("propose.done", { id: proposal.proposalID }), "ok");
    $("propose-form").reset();
  } catch (error) {
    say(status, explain(error), "error");
  }
});
