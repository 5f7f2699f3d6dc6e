// C2SP signed notes and checkpoints (PROTOCOL §2) verified with WebCrypto Ed25519.

import { concat, fromBase64, fromHex, toHex } from "./encoding.js";

const utf8 = new TextEncoder();

/** Parses a verifier key `<name>+<key id hex>+<base64(0x01 ‖ public key)>`. */
export function parseVerifierKey(text) {
  // The name and the key id never hold "+", the base64 key may: split at the first two only.
  const trimmed = text.trim();
  const first = trimmed.indexOf("+"), second = trimmed.indexOf("+", first + 1);
  if (first <= 0 || second < 0) throw new Error("malformed verifier key");
  const [name, idHex, keyB64] = [trimmed.slice(0, first), trimmed.slice(first + 1, second), trimmed.slice(second + 1)];
  const raw = fromBase64(keyB64);
  if (raw.length !== 33 || raw[0] !== 1) throw new Error("not an Ed25519 verifier key");
  return { name, keyID: fromHex(idHex), publicKey: raw.slice(1) };
}

/** Splits a signed note into its text and signature lines [{name, keyID, signature}]. */
export function parseNote(note) {
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new Error("malformed note: no signature block");
  const text = note.slice(0, split + 1);
  const signatures = [];
  for (const line of note.slice(split + 2).split("\n")) {
    if (line === "") continue;
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error("malformed signature line");
    const bytes = fromBase64(m[2]);
    signatures.push({ name: m[1], keyID: bytes.slice(0, 4), signature: bytes.slice(4) });
  }
  return { text, signatures };
}

/** Verifies a note against one verifier key: answers the text, or throws. */
export async function openNote(note, verifierKeyText) {
  const key = parseVerifierKey(verifierKeyText);
  const { text, signatures } = parseNote(note);
  const mine = signatures.filter((s) => s.name === key.name && toHex(s.keyID) === toHex(key.keyID));
  if (mine.length === 0) throw new Error("note.unknown_key");
  const publicKey = await crypto.subtle.importKey("raw", key.publicKey, { name: "Ed25519" }, false, ["verify"]);
  for (const s of mine) {
    if (!(await crypto.subtle.verify({ name: "Ed25519" }, publicKey, s.signature, utf8.encode(text)))) {
      throw new Error("note.invalid_signature");
    }
  }
  return text;
}

/** Parses checkpoint text: {origin, size, root (Uint8Array)}. */
export function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length < 4 || !/^\d+$/.test(lines[1])) throw new Error("malformed checkpoint");
  const root = fromBase64(lines[2]);
  if (root.length !== 32) throw new Error("malformed checkpoint root");
  return { origin: lines[0], size: Number(lines[1]), root };
}

/** The key id of an Ed25519 note key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[0..4]. */
export async function noteKeyID(name, publicKey) {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", concat(utf8.encode(name), Uint8Array.of(10, 1), publicKey)));
  return h.slice(0, 4);
}
