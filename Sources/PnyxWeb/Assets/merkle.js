// RFC 9162 §2.1 Merkle inclusion and consistency verification with WebCrypto SHA-256.

import { concat, fromHex, toHex } from "./encoding.js";

async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)); }

/** Leaf hash: SHA-256(0x00 ‖ leaf). */
export async function leafHash(leaf) { return sha256(concat(Uint8Array.of(0), leaf)); }

/** Node hash: SHA-256(0x01 ‖ left ‖ right). */
export async function nodeHash(left, right) { return sha256(concat(Uint8Array.of(1), left, right)); }

function equal(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }

/** Root computed from an inclusion proof (RFC 9162 §2.1.3.2), or throws. All hashes are Uint8Array. */
export async function rootFromInclusion(leaf, index, size, proof) {
  if (index < 0 || index >= size) throw new Error("index beyond tree size");
  let fn = BigInt(index), sn = BigInt(size) - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new Error("proof too long");
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) { while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; } }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  if (sn !== 0n) throw new Error("proof too short");
  return r;
}

/** True when `proof` shows `leaf` at `index` in the tree of `size` with `root`. */
export async function verifyInclusion(leaf, index, size, proof, root) {
  try { return equal(await rootFromInclusion(leaf, index, size, proof), root); } catch { return false; }
}

/** True when `proof` shows the tree (size1, root1) is a prefix of (size2, root2) (RFC 9162 §2.1.4.2). */
export async function verifyConsistency(size1, size2, proof, root1, root2) {
  try {
    if (size1 > size2) return false;
    if (size1 === size2) return proof.length === 0 && equal(root1, root2);
    if (size1 === 0) return proof.length === 0;
    if (proof.length === 0) return false;
    let path = proof.slice();
    let fn = BigInt(size1) - 1n, sn = BigInt(size2) - 1n;
    if ((BigInt(size1) & (BigInt(size1) - 1n)) === 0n) path = [root1, ...path];
    while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
    let fr = path[0], sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0n) return false;
      if ((fn & 1n) === 1n || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        if ((fn & 1n) === 0n) { while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; } }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn >>= 1n; sn >>= 1n;
    }
    return sn === 0n && equal(fr, root1) && equal(sr, root2);
  } catch { return false; }
}

/** Hex helpers re-exported for pages. */
export { fromHex, toHex };
