// Canonical encoding (PROTOCOL §5) of the records the browser builds: attribute classes,
// credential messages and entries. Big-endian, length-prefixed, records start with their domain tag.

const utf8 = new TextEncoder();

/** Lower-case hex of bytes. */
export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Bytes of a hex string (throws on odd length or non-hex). */
export function fromHex(hex) {
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) throw new Error("not hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

/** Standard padded base64 of bytes. */
export function toBase64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Bytes of standard base64. */
export function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Concatenation of byte arrays. */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Appends canonical values (PROTOCOL §5.1). */
export class Encoder {
  constructor() { this.parts = []; }
  u8(v) { this.parts.push(Uint8Array.of(v)); return this; }
  u16(v) { this.parts.push(Uint8Array.of((v >> 8) & 255, v & 255)); return this; }
  u32(v) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v); this.parts.push(b); return this; }
  u64(v) { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v)); this.parts.push(b); return this; }
  i64(v) { const b = new Uint8Array(8); new DataView(b.buffer).setBigInt64(0, BigInt(v)); this.parts.push(b); return this; }
  bool(v) { return this.u8(v ? 1 : 0); }
  fixed(bytes) { this.parts.push(Uint8Array.from(bytes)); return this; }
  bytes(bytes) { this.u32(bytes.length); return this.fixed(bytes); }
  string(text) { return this.bytes(utf8.encode(text)); }
  domain(tag) { return this.string(tag); }
  optional(value, write) {
    if (value === null || value === undefined) return this.u8(0);
    this.u8(1); write(this, value); return this;
  }
  /** A set: items encoded separately, sorted bytewise, duplicates refused. */
  set(items, write) {
    const encoded = items.map((item) => { const e = new Encoder(); write(e, item); return e.finish(); });
    encoded.sort(compareBytes);
    for (let i = 1; i < encoded.length; i++) {
      if (compareBytes(encoded[i - 1], encoded[i]) === 0) throw new Error("duplicate set item");
    }
    this.u32(encoded.length);
    for (const e of encoded) this.fixed(e);
    return this;
  }
  finish() { return concat(...this.parts); }
}

/** Bytewise order. */
export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Parses an attribute class text form (`area=75056;age=35-49`, `*`) to {area, age}. */
export function parseClass(text) {
  const cls = { area: null, age: null };
  if (text === "*") return cls;
  for (const part of text.split(";")) {
    const [key, value] = part.split("=");
    if (key === "area" && value) cls.area = value;
    else if (key === "age" && value) cls.age = value;
    else throw new Error("malformed class " + text);
  }
  return cls;
}

/** AttributeClass, nested form (no tag). */
export function writeClass(enc, text) {
  const cls = parseClass(text);
  enc.optional(cls.area, (e, v) => e.string(v));
  enc.optional(cls.age, (e, v) => e.string(v));
  return enc;
}

/** AttributeClass, standalone form (`pnyx/class/v1`). */
export function classBytes(text) {
  return writeClass(new Encoder().domain("pnyx/class/v1"), text).finish();
}

/** CredentialMessage (the RFC 9474 `msg`): tag ‖ pollID[16] ‖ class ‖ oneTimeKey[32]. */
export function credentialMessage(pollIDHex, classText, oneTimeKey) {
  const enc = new Encoder().domain("pnyx/credential/v1").fixed(fromHex(pollIDHex));
  writeClass(enc, classText);
  return enc.fixed(oneTimeKey).finish();
}

const channels = { online: 1, kiosk: 2, paper: 3 };

/** EntryPayload from its JSON form ({kind:"sign"|"vote"|"withdraw", …}). */
export function writePayload(enc, payload) {
  switch (payload.kind) {
    case "sign":
      enc.u8(1);
      enc.optional(payload.partialName, (e, n) => e.string(n.name).fixed(fromBase64(n.attestation)));
      return enc;
    case "vote":
      enc.u8(2);
      return enc.set(payload.answers, (e, a) => e.u16(a.questionID).set(a.choices, (e2, c) => e2.u16(c)));
    case "withdraw":
      return enc.u8(3);
    default:
      throw new Error("unknown payload kind " + payload.kind);
  }
}

/** The bytes an entry's one-time key signs (the Entry without its signature), from the entry JSON. */
export function entrySignedBytes(entry) {
  const c = entry.credential;
  const enc = new Encoder().domain("pnyx/entry/v2").fixed(fromHex(entry.pollID));
  writeClass(enc, c.class);
  enc.fixed(fromHex(c.keyID)).fixed(fromBase64(c.oneTimeKey)).fixed(fromBase64(c.prefix)).bytes(fromBase64(c.signature));
  enc.u8(channels[entry.channel]);
  writePayload(enc, entry.payload);
  enc.fixed(fromBase64(entry.nonce));
  return enc.finish();
}

/** NameAttestation bytes (what the broker signs for a partial name). */
export function nameAttestationBytes(pollIDHex, oneTimeKey, partialName) {
  return new Encoder().domain("pnyx/name-attestation/v1").fixed(fromHex(pollIDHex)).fixed(oneTimeKey)
    .string(partialName).finish();
}

/** KeyDirectory bytes (`pnyx/key-directory/v1`), what the broker signs, from the directory JSON. */
export function keyDirectoryBytes(directory) {
  const enc = new Encoder().domain("pnyx/key-directory/v1").fixed(fromHex(directory.pollID)).i64(directory.issuedAt);
  enc.u32(directory.entries.length);
  for (const entry of directory.entries) {
    writeClass(enc, entry.class);
    enc.fixed(fromHex(entry.keyID)).bytes(fromBase64(entry.spki)).u64(entry.eligibleCount);
  }
  return enc.u32(directory.k).string(directory.variant).finish();
}

/** Verifies the broker's Ed25519 signature over a signed key directory ({directory, signature})
 *  for `pollIDHex` with the poll's broker key (base64): answers the directory, or throws an
 *  error whose code is `directory.invalid` or `directory.invalid_signature`. */
export async function verifyKeyDirectory(signed, pollIDHex, brokerKeyBase64) {
  const fail = (code) => Object.assign(new Error(code), { code });
  if (!signed || !signed.directory || signed.directory.pollID !== pollIDHex) throw fail("directory.invalid");
  const key = await crypto.subtle.importKey("raw", fromBase64(brokerKeyBase64), { name: "Ed25519" }, false, ["verify"]);
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, fromBase64(signed.signature), keyDirectoryBytes(signed.directory));
  if (!ok) throw fail("directory.invalid_signature");
  return signed.directory;
}
