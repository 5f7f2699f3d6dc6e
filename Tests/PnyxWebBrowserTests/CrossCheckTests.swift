import Foundation
import PnyxCore
import PnyxCrypto
import PnyxTransparency
import PnyxWeb
import Testing

extension ChromiumSuites {
    /// The browser's JavaScript (canonical encoding, RFC 9474 blinding, RFC 9162 proofs, signed
    /// notes) run in headless Chromium on shared vectors and compared with the Swift implementation.
    @Suite("PnyxWeb: JavaScript cross-checked against Swift", .serialized)
    struct CrossCheckTests {
        static let modules = """
            const enc = await import('/assets/encoding.js');
            const rsa = await import('/assets/blindrsa.js');
            const merkle = await import('/assets/merkle.js');
            const note = await import('/assets/note.js');
            """

        @Test func javascriptMatchesSwift() async throws {
            try await WebWorld.with { world in
                try await withBrowser { browser in
                    try await browser.go(world.serviceURL + "/receipt")
                    try await encoding(browser)
                    try await blindRSAVector(browser)
                    try await blindRSARoundTrip(browser)
                    try await merkle(browser)
                    try await notes(browser)
                    try await keyDirectory(browser)
                }
            }
        }

        /// PROTOCOL §6.11 vectors and real entries of every payload kind.
        func encoding(_ browser: WebDriver) async throws {
            let pollID = try PollID(hex: "000102030405060708090a0b0c0d0e0f")
            let cls = try AttributeClass(text: "area=75056;age=35-49")
            let oneTime = try Ed25519.PrivateKey(seed: [UInt8](repeating: 3, count: 32))
            let message = CredentialMessage(pollID: pollID, attributeClass: cls, oneTimeKey: oneTime.publicKey)
            let js = try await browser.asyncScript(Self.modules + """
                const key = enc.fromBase64(args[0]);
                return [enc.toHex(enc.classBytes("area=75056;age=35-49")), enc.toHex(enc.credentialMessage(args[1], "area=75056;age=35-49", key)),
                        enc.toHex(enc.classBytes("*")), enc.toHex(enc.classBytes("age=65+"))];
                """, [Base64.encode(oneTime.publicKey.rawRepresentation), pollID.hex]) as? [String]
            #expect(js?[0] == "0000000d706e79782f636c6173732f763101000000053735303536010000000533352d3439")
            #expect(js?[0] == Hex.encode(cls.canonicalBytes))
            #expect(js?[1] == Hex.encode(message.canonicalBytes))
            #expect(js?[2] == Hex.encode(AttributeClass.anonymous.canonicalBytes))
            #expect(js?[3] == Hex.encode(try AttributeClass(text: "age=65+").canonicalBytes))

            // The §6.11 entry (placeholder credential) and real payloads: JS bytes == Swift signedBytes,
            // and WebCrypto verifies the Swift Ed25519 signature over them.
            let credential = Credential(attributeClass: cls, keyID: try KeyID(hex: String(repeating: "aa", count: 32)), oneTimeKey: oneTime.publicKey,
                                        prefix: [UInt8](repeating: 0xbb, count: 32), signature: [UInt8](repeating: 0xcc, count: 8))
            let attestation = [UInt8](repeating: 7, count: 64)
            let payloads: [EntryPayload] = [
                .sign(nil), .sign(PartialName(name: "Arnaud R.", attestation: attestation)), .withdraw,
                .vote([Answer(questionID: 2, choices: [3, 0]), Answer(questionID: 1, choices: [1]), Answer(questionID: 300, choices: [])]),
            ]
            for payload in payloads {
                let entry = try Entry(pollID: pollID, credential: credential, channel: .online, payload: payload, signingWith: oneTime)
                let json = String(decoding: try JSONEncoder().encode(entry), as: UTF8.self)
                let answer = try await browser.asyncScript(Self.modules + """
                    const entry = JSON.parse(args[0]);
                    const bytes = enc.entrySignedBytes(entry);
                    const key = await crypto.subtle.importKey("raw", enc.fromBase64(entry.credential.oneTimeKey), { name: "Ed25519" }, false, ["verify"]);
                    const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, enc.fromBase64(entry.signature), bytes);
                    return [enc.toHex(bytes), ok];
                    """, [json]) as? [Any]
                #expect(answer?[0] as? String == Hex.encode(entry.signedBytes), "payload \(payload)")
                #expect(answer?[1] as? Bool == true)
            }
            struct VectorNonce: RandomSource { func bytes(_ count: Int) -> [UInt8] { [UInt8](repeating: 0xdd, count: count) } }
            let first = try Entry(pollID: pollID, credential: credential, channel: .online, payload: .sign(nil), signingWith: oneTime,
                                  random: VectorNonce())
            #expect(Hex.encode(first.signature) == "9461c07d2697cdd62566082d4353479115c92297f869a66f1186c7862b6d2b23e0b2676eb23855e2dabdbfc847fb286c21ab1748b9dc00fc74dd8b4475796309")
        }

        /// RFC 9474 Appendix A.1: prepare, EMSA-PSS encode, blind (r = inv⁻¹), unblind — byte for byte.
        func blindRSAVector(_ browser: WebDriver) async throws {
            let v = RFC9474VectorA1.self
            let answer = try await browser.asyncScript(Self.modules + """
                const [n, e, msg, prefix, salt, inv, blindSig] = args.map(enc.fromHex);
                const key = { n: rsa.bytesToInt(n), e: rsa.bytesToInt(e) };
                const { prepared } = rsa.prepare(msg, prefix);
                const r = rsa.modInverse(rsa.bytesToInt(inv), key.n);
                const blinded = await rsa.blind(key, prepared, { salt, r });
                const sig = rsa.unblind(key, blindSig, rsa.bytesToInt(inv));
                return [enc.toHex(prepared), enc.toHex(blinded.encoded), enc.toHex(blinded.blinded), enc.toHex(sig), blinded.inv.toString(16)];
                """, [v.n, v.e, v.msg, v.msgPrefix, v.salt, v.inv, v.blindSig]) as? [String]
            #expect(answer?[0] == v.preparedMsg)
            #expect(answer?[1] == v.encodedMsg)
            #expect(answer?[2] == v.blindedMsg)
            #expect(answer?[3] == v.sig)
            #expect(answer?[4].leftPad(to: v.inv.count) == v.inv)
        }

        /// JS blinds under a fresh Swift key (SPKI), Swift blind-signs, JS finalizes and verifies with
        /// WebCrypto, and Swift verifies the finished credential signature.
        func blindRSARoundTrip(_ browser: WebDriver) async throws {
            let key = try BlindRSA.PrivateKey.generate(bits: 2048)
            let msg = Array("pnyx cross-check message".utf8)
            let first = try await browser.asyncScript(Self.modules + """
                const spki = enc.fromBase64(args[0]);
                const key = rsa.parseRSASPKI(spki);
                const { prepared } = rsa.prepare(enc.fromHex(args[1]));
                const blinded = await rsa.blind(key, prepared);
                window.pnyxPending = { spki, key, prepared, inv: blinded.inv };
                return [enc.toHex(prepared), enc.toBase64(blinded.blinded)];
                """, [Base64.encode(key.publicKey.derRepresentation), Hex.encode(msg)]) as? [String]
            let prepared = try Hex.decode(try #require(first?[0]))
            let blindSignature = try BlindRSA.blindSign(try Base64.decode(try #require(first?[1])), privateKey: key)
            let signature = try await browser.asyncScript(Self.modules + """
                const p = window.pnyxPending;
                const sig = await rsa.finalize(p.spki, p.key, enc.fromBase64(args[0]), p.inv, p.prepared);
                return enc.toBase64(sig);
                """, [Base64.encode(blindSignature)]) as? String
            let finished = try Base64.decode(try #require(signature))
            #expect(try BlindRSA.isValidSignature(finished, preparedMessage: prepared, publicKey: key.publicKey))
            #expect(prepared.count == 32 + msg.count && Array(prepared.suffix(msg.count)) == msg)
        }

        /// RFC 9162 proofs over the eight RFC 6962 leaves: every inclusion and consistency proof made
        /// by Swift verifies in JS; altered ones do not.
        func merkle(_ browser: WebDriver) async throws {
            let leaves = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
                .map { try! Hex.decode($0) }
            let tree = MerkleTree(leaves: leaves)
            #expect(try tree.rootHash(size: 8).hex == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
            var inclusions: [[String: Any]] = []
            for size in 1...8 {
                for index in 0..<size {
                    inclusions.append(["leaf": MerkleHash.leafHash(leaves[index]).hex, "index": index, "size": size,
                                       "proof": try tree.inclusionProof(index: Int64(index), size: Int64(size)).map(\.hex),
                                       "root": try tree.rootHash(size: Int64(size)).hex])
                }
            }
            var consistencies: [[String: Any]] = []
            for size2 in 1...8 {
                for size1 in 1...size2 {
                    consistencies.append(["size1": size1, "size2": size2,
                                          "proof": try tree.consistencyProof(oldSize: Int64(size1), newSize: Int64(size2)).map(\.hex),
                                          "root1": try tree.rootHash(size: Int64(size1)).hex, "root2": try tree.rootHash(size: Int64(size2)).hex])
                }
            }
            let answer = try await browser.asyncScript(Self.modules + """
                const h = enc.fromHex;
                const bad = (x) => { const c = h(x); c[0] ^= 1; return c; };
                let good = 0, rejected = 0;
                const leafRoot = enc.toHex(await merkle.nodeHash(await merkle.leafHash(h("")), await merkle.leafHash(h("00"))));
                for (const t of args[0]) {
                  if (await merkle.verifyInclusion(h(t.leaf), t.index, t.size, t.proof.map(h), h(t.root))) good++;
                  if (!(await merkle.verifyInclusion(bad(t.leaf), t.index, t.size, t.proof.map(h), h(t.root)))) rejected++;
                }
                for (const t of args[1]) {
                  if (await merkle.verifyConsistency(t.size1, t.size2, t.proof.map(h), h(t.root1), h(t.root2))) good++;
                  if (!(await merkle.verifyConsistency(t.size1, t.size2, t.proof.map(h), bad(t.root1), h(t.root2)))) rejected++;
                }
                return [good, rejected, leafRoot];
                """, [inclusions, consistencies]) as? [Any]
            let total = inclusions.count + consistencies.count
            #expect(answer?[0] as? Int == total)
            #expect(answer?[1] as? Int == total)
            #expect(answer?[2] as? String == (try tree.rootHash(size: 2)).hex)
        }

        /// A checkpoint signed by Swift's NoteSigner opens in JS with the verifier key; a wrong key fails.
        func notes(_ browser: WebDriver) async throws {
            // A key whose base64 holds "+" (the verifier key's separator): about every other key.
            var signer = try NoteSigner(name: "pnyx.test", privateKey: Ed25519.PrivateKey())
            for _ in 0..<200 where !signer.verifier.verifierKey.split(separator: "+", maxSplits: 2)[2].contains("+") {
                signer = try NoteSigner(name: "pnyx.test", privateKey: Ed25519.PrivateKey())
            }
            // (Not `split(separator: "+").count > 3`: a "+" first or last in the base64 makes an
            // empty piece, which `split` drops.)
            #expect(signer.verifier.verifierKey.split(separator: "+", maxSplits: 2)[2].contains("+"))
            let other = try NoteSigner(name: "pnyx.test", privateKey: Ed25519.PrivateKey())
            let text = "pnyx.test/poll/00\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
            let note = try signer.sign(text: text).serializedString()
            let answer = try await browser.asyncScript(Self.modules + """
                const text = await note.openNote(args[0], args[1]);
                const cp = note.parseCheckpoint(text);
                let wrong = "opened";
                try { await note.openNote(args[0], args[2]); } catch (e) { wrong = e.message; }
                return [text, cp.size, enc.toHex(cp.root), wrong];
                """, [note, signer.verifier.verifierKey, other.verifier.verifierKey]) as? [Any]
            #expect(answer?[0] as? String == text)
            #expect(answer?[1] as? Int == 8)
            #expect(answer?[2] as? String == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
            #expect(answer?[3] as? String == "note.unknown_key")
        }
    }
}

extension ChromiumSuites.CrossCheckTests {
    /// A key directory signed by Swift verifies in JS with the broker key (the same bytes);
    /// a changed count, another poll, or another broker key is refused with its code.
    func keyDirectory(_ browser: WebDriver) async throws {
        let pollID = try PollID(hex: "00112233445566778899aabbccddeeff")
        let keys = try (0..<2).map { _ in try BlindRSA.PrivateKey.generate(bits: 2048) }
        let entries = try [("*", keys[0]), ("area=C1;age=18-24", keys[1])].map {
            KeyDirectory.Entry(attributeClass: try AttributeClass(text: $0.0), publicKey: $0.1.publicKey, eligibleCount: 12)
        }.sorted { $0.attributeClass.canonicalBytes.lexicographicallyPrecedes($1.attributeClass.canonicalBytes) }
        let directory = try KeyDirectory(pollID: pollID, issuedAt: 1_790_000_000, entries: entries, k: 5)
        let broker = Ed25519.PrivateKey()
        let signed = SignedKeyDirectory(signing: directory, with: broker)
        let json = String(decoding: try JSONEncoder().encode(signed), as: UTF8.self)
        let answer = try await browser.asyncScript(Self.modules + """
            const signed = JSON.parse(args[0]);
            const outcome = async (s, poll, key) => { try { await enc.verifyKeyDirectory(s, poll, key); return "ok"; } catch (e) { return e.code; } };
            const changed = JSON.parse(args[0]); changed.directory.entries[0].eligibleCount += 1;
            return [enc.toHex(enc.keyDirectoryBytes(signed.directory)), await outcome(signed, args[1], args[2]),
                    await outcome(changed, args[1], args[2]), await outcome(signed, "ffeeddccbbaa99887766554433221100", args[2]),
                    await outcome(signed, args[1], args[3])];
            """, [json, pollID.hex, Base64.encode(broker.publicKey.rawRepresentation),
                  Base64.encode(Ed25519.PrivateKey().publicKey.rawRepresentation)]) as? [String]
        #expect(answer?[0] == Hex.encode(directory.canonicalBytes))
        #expect(answer?[1] == "ok")
        #expect(answer?[2] == "directory.invalid_signature")
        #expect(answer?[3] == "directory.invalid")
        #expect(answer?[4] == "directory.invalid_signature")
    }
}

extension String {
    func leftPad(to length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
}
