// RFC 9474 RSABSSA-SHA384-PSS-Randomized, client side: prepare, blind, finalize (PROTOCOL §1.1).
// SHA-384 through WebCrypto, modular arithmetic with BigInt; the final signature is checked
// with WebCrypto's RSA-PSS verification (a standard RSASSA-PSS signature).

import { concat, toHex, fromHex } from "./encoding.js";

export const prefixLength = 32;
export const saltLength = 48;

async function sha384(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-384", bytes));
}

/** Big-endian bytes to BigInt. */
export function bytesToInt(bytes) {
  return bytes.length === 0 ? 0n : BigInt("0x" + toHex(bytes));
}

/** BigInt to `length` big-endian bytes. */
export function intToBytes(value, length) {
  let hex = value.toString(16);
  if (hex.length > 2 * length) throw new Error("integer too large");
  return fromHex(hex.padStart(2 * length, "0"));
}

/** base^exp mod m. */
export function modPow(base, exp, m) {
  let result = 1n;
  base %= m;
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % m;
    base = (base * base) % m;
    exp >>= 1n;
  }
  return result;
}

/** a^-1 mod m, or null when not invertible. */
export function modInverse(a, m) {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) return null;
  return ((oldS % m) + m) % m;
}

function bitLength(n) { return n.toString(2).length; }

/** Minimal DER reader for an RSA SubjectPublicKeyInfo: answers {n, e} as BigInts. */
export function parseRSASPKI(der) {
  let at = 0;
  function header(expectedTag) {
    const tag = der[at++];
    if (tag !== expectedTag) throw new Error("unexpected DER tag " + tag);
    let len = der[at++];
    if (len & 0x80) {
      const count = len & 0x7f;
      len = 0;
      for (let i = 0; i < count; i++) len = len * 256 + der[at++];
    }
    return len;
  }
  header(0x30);                         // SubjectPublicKeyInfo
  const algLen = header(0x30); at += algLen; // AlgorithmIdentifier (rsaEncryption)
  header(0x03); at += 1;                // BIT STRING, no unused bits
  header(0x30);                         // RSAPublicKey
  const nLen = header(0x02); const n = bytesToInt(der.slice(at, at + nLen)); at += nLen;
  const eLen = header(0x02); const e = bytesToInt(der.slice(at, at + eLen)); at += eLen;
  return { n, e };
}

async function mgf1(seed, length) {
  const parts = [];
  let total = 0;
  for (let counter = 0; total < length; counter++) {
    const c = new Uint8Array(4);
    new DataView(c.buffer).setUint32(0, counter);
    const h = await sha384(concat(seed, c));
    parts.push(h); total += h.length;
  }
  return concat(...parts).slice(0, length);
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with SHA-384 and MGF1-SHA-384. */
export async function emsaPssEncode(message, emBits, salt) {
  const hLen = 48;
  const emLen = Math.ceil(emBits / 8);
  const mHash = await sha384(message);
  if (emLen < hLen + salt.length + 2) throw new Error("encoding error");
  const h = await sha384(concat(new Uint8Array(8), mHash, salt));
  const ps = new Uint8Array(emLen - salt.length - hLen - 2);
  const db = concat(ps, Uint8Array.of(1), salt);
  const mask = await mgf1(h, emLen - hLen - 1);
  const masked = db.map((b, i) => b ^ mask[i]);
  masked[0] &= 0xff >> (8 * emLen - emBits);
  return concat(masked, h, Uint8Array.of(0xbc));
}

function randomBytes(n) { return crypto.getRandomValues(new Uint8Array(n)); }

/** PrepareRandomize: `prefix ‖ msg` with a fresh 32-byte prefix (or the one given). */
export function prepare(msg, prefix = randomBytes(prefixLength)) {
  return { prefix, prepared: concat(prefix, msg) };
}

/**
 * Blind (RFC 9474 §4.2): answers {blinded (modBytes bytes), inv (BigInt), encoded}.
 * `salt` and `r` may be injected for test vectors.
 */
export async function blind(key, prepared, { salt = randomBytes(saltLength), r = null } = {}) {
  const modBits = bitLength(key.n);
  const modBytes = Math.ceil(modBits / 8);
  const encoded = await emsaPssEncode(prepared, modBits - 1, salt);
  const m = bytesToInt(encoded);
  let inv = null;
  while (inv === null) {
    if (r === null) {
      const candidate = bytesToInt(randomBytes(modBytes)) % key.n;
      if (candidate > 1n) { const i = modInverse(candidate, key.n); if (i !== null) { r = candidate; inv = i; } }
    } else {
      inv = modInverse(r, key.n);
      if (inv === null) throw new Error("r is not invertible");
    }
  }
  const x = (m * modPow(r, key.e, key.n)) % key.n;
  return { blinded: intToBytes(x, modBytes), inv, encoded };
}

/** Finalize without verification: `sig = s · inv mod n`, modBytes bytes. */
export function unblind(key, blindSignature, inv) {
  const modBytes = Math.ceil(bitLength(key.n) / 8);
  const s = bytesToInt(blindSignature);
  if (s >= key.n) throw new Error("blind signature out of range");
  return intToBytes((s * inv) % key.n, modBytes);
}

/** Standard RSASSA-PSS (SHA-384, salt 48) verification of `signature` over `prepared` with WebCrypto. */
export async function verify(spki, prepared, signature) {
  const key = await crypto.subtle.importKey("spki", spki, { name: "RSA-PSS", hash: "SHA-384" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "RSA-PSS", saltLength }, key, signature, prepared);
}

/** Finalize (RFC 9474 §4.4): unblind, then verify; throws when the broker's signature is wrong. */
export async function finalize(spki, key, blindSignature, inv, prepared) {
  const sig = unblind(key, blindSignature, inv);
  if (!(await verify(spki, prepared, sig))) throw new Error("crypto.verification_failure");
  return sig;
}
