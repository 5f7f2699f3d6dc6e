import Testing
@testable import PnyxCrypto

/// Round trips, key handling and negative cases at 2048 bits. Two 2048-bit keys are
/// generated for the whole suite (plus one 3072 and one 4096 in the generation test).
@Suite("BlindRSA protocol and keys")
struct BlindRSATests {
    /// The suite's signer key and a second, unrelated key (generated once each).
    static let key: BlindRSA.PrivateKey = generate()
    static let otherKey: BlindRSA.PrivateKey = generate()

    private static func generate() -> BlindRSA.PrivateKey {
        do { return try BlindRSA.PrivateKey.generate(bits: 2048) } catch { fatalError("\(error)") }
    }

    static let message = Array("I support the petition for a public library in Pnyx.".utf8)

    /// One full run of the protocol; returns the prepared message and final signature.
    static func issue(
        _ message: [UInt8], variant: BlindRSA.Variant, key: BlindRSA.PrivateKey = key
    ) throws -> (prepared: [UInt8], signature: [UInt8]) {
        let prepared = BlindRSA.prepare(message, variant: variant)
        let blinding = try BlindRSA.blind(prepared, publicKey: key.publicKey, variant: variant)
        let blindSig = try BlindRSA.blindSign(blinding.blindedMessage, privateKey: key)
        let sig = try BlindRSA.finalize(
            blindSig, preparedMessage: prepared, inverse: blinding.inverse, publicKey: key.publicKey, variant: variant)
        return (prepared, sig)
    }

    static func flipBit(_ bytes: [UInt8], at index: Int, bit: UInt8 = 0x01) -> [UInt8] {
        var copy = bytes
        copy[index] ^= bit
        return copy
    }

    // MARK: Round trips

    @Test("Randomized round trip at 2048 bits", arguments: BlindRSA.Variant.allCases)
    func roundTrip(_ variant: BlindRSA.Variant) throws {
        let (prepared, sig) = try Self.issue(Self.message, variant: variant)
        #expect(sig.count == 256)
        #expect(prepared.count == Self.message.count + (variant.isRandomized ? 32 : 0))
        #expect(Array(prepared.suffix(Self.message.count)) == Self.message)
        try BlindRSA.verify(sig, preparedMessage: prepared, publicKey: Self.key.publicKey, variant: variant)
        #expect(try BlindRSA.isValidSignature(sig, preparedMessage: prepared, publicKey: Self.key.publicKey, variant: variant))
    }

    @Test("Blinding hides the message: two blindings of one message differ", arguments: BlindRSA.Variant.allCases)
    func blindingsDiffer(_ variant: BlindRSA.Variant) throws {
        let prepared = BlindRSA.prepare(Self.message, variant: variant)
        let a = try BlindRSA.blind(prepared, publicKey: Self.key.publicKey, variant: variant)
        let b = try BlindRSA.blind(prepared, publicKey: Self.key.publicKey, variant: variant)
        #expect(a.blindedMessage != b.blindedMessage)
        #expect(a.inverse != b.inverse)
    }

    @Test("PSSZERO-Deterministic yields one signature per message; randomized variants do not")
    func determinism() throws {
        let one = try Self.issue(Self.message, variant: .sha384PSSZeroDeterministic)
        let two = try Self.issue(Self.message, variant: .sha384PSSZeroDeterministic)
        #expect(one.signature == two.signature)
        let three = try Self.issue(Self.message, variant: .sha384PSSRandomized)
        let four = try Self.issue(Self.message, variant: .sha384PSSRandomized)
        #expect(three.prepared != four.prepared)
        #expect(three.signature != four.signature)
    }

    @Test("Empty message round trip")
    func emptyMessage() throws {
        let (prepared, sig) = try Self.issue([], variant: .sha384PSSDeterministic)
        #expect(prepared.isEmpty)
        try BlindRSA.verify(sig, preparedMessage: [], publicKey: Self.key.publicKey, variant: .sha384PSSDeterministic)
    }

    // MARK: Negative cases: tampering

    @Test("Flipped bit in the message fails Verify", arguments: BlindRSA.Variant.allCases)
    func flippedMessage(_ variant: BlindRSA.Variant) throws {
        let (prepared, sig) = try Self.issue(Self.message, variant: variant)
        for index in [0, prepared.count - 1] {
            expectBlindRSAError(.verificationFailure) {
                try BlindRSA.verify(
                    sig, preparedMessage: Self.flipBit(prepared, at: index), publicKey: Self.key.publicKey, variant: variant)
            }
        }
    }

    @Test("Flipped bit in the signature fails Verify", arguments: BlindRSA.Variant.allCases)
    func flippedSignature(_ variant: BlindRSA.Variant) throws {
        let (prepared, sig) = try Self.issue(Self.message, variant: variant)
        for index in [1, 128, 255] {
            expectBlindRSAError(.verificationFailure) {
                try BlindRSA.verify(
                    Self.flipBit(sig, at: index), preparedMessage: prepared, publicKey: Self.key.publicKey, variant: variant)
            }
        }
    }

    @Test("Flipped bit in the blinded message or blind signature fails Finalize")
    func flippedBlinded() throws {
        let variant = BlindRSA.Variant.default
        let prepared = BlindRSA.prepare(Self.message, variant: variant)
        let blinding = try BlindRSA.blind(prepared, publicKey: Self.key.publicKey, variant: variant)
        // The signer signs whatever it gets; the client notices at Finalize.
        let tampered = try BlindRSA.blindSign(Self.flipBit(blinding.blindedMessage, at: 255), privateKey: Self.key)
        expectBlindRSAError(.verificationFailure) {
            _ = try BlindRSA.finalize(
                tampered, preparedMessage: prepared, inverse: blinding.inverse, publicKey: Self.key.publicKey)
        }
        let blindSig = try BlindRSA.blindSign(blinding.blindedMessage, privateKey: Self.key)
        expectBlindRSAError(.verificationFailure) {
            _ = try BlindRSA.finalize(
                Self.flipBit(blindSig, at: 100), preparedMessage: prepared, inverse: blinding.inverse,
                publicKey: Self.key.publicKey)
        }
        // A wrong inverse does not unblind.
        let otherBlinding = try BlindRSA.blind(prepared, publicKey: Self.key.publicKey, variant: variant)
        expectBlindRSAError(.verificationFailure) {
            _ = try BlindRSA.finalize(
                blindSig, preparedMessage: prepared, inverse: otherBlinding.inverse, publicKey: Self.key.publicKey)
        }
        // And the untampered run still works.
        _ = try BlindRSA.finalize(blindSig, preparedMessage: prepared, inverse: blinding.inverse, publicKey: Self.key.publicKey)
    }

    @Test("Wrong key: signature of one key fails under another; signing with the wrong key fails Finalize")
    func wrongKey() throws {
        let (prepared, sig) = try Self.issue(Self.message, variant: .default)
        expectBlindRSAError(.verificationFailure) {
            try BlindRSA.verify(sig, preparedMessage: prepared, publicKey: Self.otherKey.publicKey)
        }
        // A blinded message for one key given to another key's BlindSign: it is either out
        // of that key's range (crypto.invalid_input, about half the time for random keys) or
        // signed, and then Finalize fails. Blind until the second case is reached, so both
        // refusals are exercised whatever the keys are.
        var outOfRange = 0
        for _ in 0..<64 {
            let blinding = try BlindRSA.blind(prepared, publicKey: Self.key.publicKey)
            let wrongSigner: [UInt8]
            do { wrongSigner = try BlindRSA.blindSign(blinding.blindedMessage, privateKey: Self.otherKey) } catch {
                #expect(error.code == .invalidInput)
                outOfRange += 1
                continue
            }
            expectBlindRSAError(.verificationFailure) {
                _ = try BlindRSA.finalize(
                    wrongSigner, preparedMessage: prepared, inverse: blinding.inverse, publicKey: Self.key.publicKey)
            }
            return
        }
        Issue.record("64 blindings in a row were out of the other key's range (\(outOfRange))")
    }

    @Test("Message prefix mismatch fails Verify; a prefix must be 32 bytes")
    func prefixMismatch() throws {
        let (prepared, sig) = try Self.issue(Self.message, variant: .sha384PSSRandomized)
        let prefix = Array(prepared.prefix(32))
        let rebuilt = try BlindRSA.prepareRandomize(Self.message, prefix: prefix)
        try BlindRSA.verify(sig, preparedMessage: rebuilt, publicKey: Self.key.publicKey)
        let otherPrefix = try BlindRSA.prepareRandomize(Self.message, prefix: Self.flipBit(prefix, at: 0))
        expectBlindRSAError(.verificationFailure) {
            try BlindRSA.verify(sig, preparedMessage: otherPrefix, publicKey: Self.key.publicKey)
        }
        expectBlindRSAError(.verificationFailure) {
            try BlindRSA.verify(sig, preparedMessage: Self.message, publicKey: Self.key.publicKey)
        }
        expectBlindRSAError(.invalidInput) { _ = try BlindRSA.prepareRandomize(Self.message, prefix: Array(prefix.prefix(31))) }
        expectBlindRSAError(.invalidInput) { _ = try BlindRSA.prepareRandomize(Self.message, prefix: prefix + [0]) }
    }

    @Test("A signature is bound to its variant's salt length")
    func variantMismatch() throws {
        let (prepared, sig) = try Self.issue(Self.message, variant: .sha384PSSDeterministic)
        expectBlindRSAError(.verificationFailure) {
            try BlindRSA.verify(sig, preparedMessage: prepared, publicKey: Self.key.publicKey, variant: .sha384PSSZeroDeterministic)
        }
    }

    // MARK: Negative cases: lengths and ranges

    @Test("BlindSign refuses blinded messages of the wrong length or ≥ n")
    func blindSignInputs() throws {
        let blinding = try BlindRSA.blind(BlindRSA.prepare(Self.message), publicKey: Self.key.publicKey)
        expectBlindRSAError(.invalidInput) { _ = try BlindRSA.blindSign(Array(blinding.blindedMessage.dropFirst()), privateKey: Self.key) }
        expectBlindRSAError(.invalidInput) { _ = try BlindRSA.blindSign(blinding.blindedMessage + [0], privateKey: Self.key) }
        expectBlindRSAError(.invalidInput) { _ = try BlindRSA.blindSign([], privateKey: Self.key) }
        expectBlindRSAError(.invalidInput) {
            _ = try BlindRSA.blindSign([UInt8](repeating: 0xff, count: 256), privateKey: Self.key)
        }
        let n = try #require(Self.key.handle.n.bytes(count: 256))
        expectBlindRSAError(.invalidInput) { _ = try BlindRSA.blindSign(n, privateKey: Self.key) }
    }

    @Test("Finalize and Blind refuse inputs of the wrong length; Verify refuses wrong-length signatures")
    func otherLengths() throws {
        let (prepared, sig) = try Self.issue(Self.message, variant: .default)
        let blinding = try BlindRSA.blind(prepared, publicKey: Self.key.publicKey)
        let blindSig = try BlindRSA.blindSign(blinding.blindedMessage, privateKey: Self.key)
        expectBlindRSAError(.invalidInput) {
            _ = try BlindRSA.finalize(
                Array(blindSig.dropLast()), preparedMessage: prepared, inverse: blinding.inverse, publicKey: Self.key.publicKey)
        }
        expectBlindRSAError(.invalidInput) {
            _ = try BlindRSA.finalize(
                blindSig + [0], preparedMessage: prepared, inverse: blinding.inverse, publicKey: Self.key.publicKey)
        }
        expectBlindRSAError(.invalidInput) {
            _ = try BlindRSA.finalize(
                blindSig, preparedMessage: prepared, inverse: Array(blinding.inverse.dropFirst()), publicKey: Self.key.publicKey)
        }
        expectBlindRSAError(.verificationFailure) {
            try BlindRSA.verify(Array(sig.dropFirst()), preparedMessage: prepared, publicKey: Self.key.publicKey)
        }
        expectBlindRSAError(.verificationFailure) {
            try BlindRSA.verify([0] + sig, preparedMessage: prepared, publicKey: Self.key.publicKey)
        }
        // Blind with an injected salt of the wrong length, or an inverse out of range.
        expectBlindRSAError(.invalidInput) {
            _ = try BlindRSA.blind(
                prepared, publicKey: Self.key.publicKey, variant: .default,
                salt: [UInt8](repeating: 1, count: 47), inverse: blinding.inverse)
        }
        expectBlindRSAError(.invalidInput) {
            _ = try BlindRSA.blind(
                prepared, publicKey: Self.key.publicKey, variant: .sha384PSSZeroRandomized,
                salt: [UInt8](repeating: 1, count: 48), inverse: blinding.inverse)
        }
        expectBlindRSAError(.invalidInput) {
            _ = try BlindRSA.blind(
                prepared, publicKey: Self.key.publicKey, variant: .sha384PSSZeroRandomized,
                salt: [], inverse: [UInt8](repeating: 0, count: 256))
        }
        expectBlindRSAError(.invalidInput) {
            _ = try BlindRSA.blind(
                prepared, publicKey: Self.key.publicKey, variant: .sha384PSSZeroRandomized,
                salt: [], inverse: [UInt8](repeating: 0xff, count: 256))
        }
    }

    @Test("Blind fails with crypto.blinding_failure when the random source never gives r in [1, n)")
    func blindingFailureOnBadRandom() throws {
        let zeros = BlindRSAScriptedRandom([])  // only zeros: r = 0 every time
        expectBlindRSAError(.blindingFailure) {
            _ = try BlindRSA.blind(Self.message, publicKey: Self.key.publicKey, variant: .sha384PSSZeroDeterministic, random: zeros)
        }
    }

    @Test("BlindSign's RSAVP1 check rejects a wrong signature with crypto.signing_failure")
    func signingFailureCheck() throws {
        let blinding = try BlindRSA.blind(BlindRSA.prepare(Self.message), publicKey: Self.key.publicKey)
        let blindSig = try BlindRSA.blindSign(blinding.blindedMessage, privateKey: Self.key)
        try BlindRSA.checkRSAVP1(blindedMessage: blinding.blindedMessage, blindSignature: blindSig, key: Self.key.handle)
        expectBlindRSAError(.signingFailure) {
            try BlindRSA.checkRSAVP1(
                blindedMessage: blinding.blindedMessage, blindSignature: Self.flipBit(blindSig, at: 200),
                key: Self.key.handle)
        }
    }

    @Test("A message too long for the key's PSS encoding is refused (crypto.message_too_long)")
    func encodingTooSmall() throws {
        // 48 + 48 + 2 bytes do not fit in a 97-byte encoding.
        expectBlindRSAError(.messageTooLong) {
            _ = try PSS.encode(message: Self.message, emBits: 97 * 8 - 1, salt: [UInt8](repeating: 0, count: 48))
        }
    }

    // MARK: Keys

    @Test("Private key PKCS#8 DER and PEM round trips keep signing")
    func privateKeyRoundTrip() throws {
        let der = try Self.key.derRepresentation()
        let pem = try Self.key.pemRepresentation()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(pem.hasSuffix("-----END PRIVATE KEY-----\n"))
        let fromDER = try BlindRSA.PrivateKey(derRepresentation: der)
        let fromPEM = try BlindRSA.PrivateKey(pemRepresentation: pem)
        #expect(fromDER.publicKey == Self.key.publicKey)
        #expect(fromPEM.publicKey == Self.key.publicKey)
        #expect(try fromPEM.derRepresentation() == der)
        let (prepared, sig) = try Self.issue(Self.message, variant: .default, key: fromPEM)
        try BlindRSA.verify(sig, preparedMessage: prepared, publicKey: Self.key.publicKey)
    }

    @Test("Public key SPKI DER and PEM round trips; key id is SHA-256 of the SPKI DER")
    func publicKeyRoundTrip() throws {
        let publicKey = Self.key.publicKey
        #expect(publicKey.modulusBitCount == 2048)
        #expect(publicKey.modulusByteCount == 256)
        #expect(publicKey.pemRepresentation.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        let fromDER = try BlindRSA.PublicKey(derRepresentation: publicKey.derRepresentation)
        let fromPEM = try BlindRSA.PublicKey(pemRepresentation: publicKey.pemRepresentation)
        #expect(fromDER == publicKey)
        #expect(fromPEM == publicKey)
        #expect(fromPEM.derRepresentation == publicKey.derRepresentation)
        #expect(publicKey.keyID == SHA256.hash(publicKey.derRepresentation))
        #expect(publicKey.keyID.count == 32)
        #expect(publicKey.keyID != Self.otherKey.publicKey.keyID)
        #expect(publicKey != Self.otherKey.publicKey)
        #expect(Set([publicKey, fromDER, fromPEM]).count == 1)
    }

    @Test("Malformed DER and PEM are refused with crypto.invalid_key and the OpenSSL error")
    func malformedKeys() throws {
        let spki = Self.key.publicKey.derRepresentation
        let pkcs8 = try Self.key.derRepresentation()
        for bad in [[], [0x30], Array(spki.dropLast()), spki + [0], Self.flipBit(spki, at: 0, bit: 0x04)] {
            expectBlindRSAError(.invalidKey) { _ = try BlindRSA.PublicKey(derRepresentation: bad) }
        }
        for bad in [[], Array(pkcs8.prefix(100)), pkcs8 + [0], spki, Self.flipBit(pkcs8, at: 0, bit: 0x04)] {
            expectBlindRSAError(.invalidKey) { _ = try BlindRSA.PrivateKey(derRepresentation: bad) }
        }
        do {
            _ = try BlindRSA.PublicKey(derRepresentation: Array(spki.prefix(40)))
            Issue.record("truncated SPKI accepted")
        } catch {
            #expect(error.code == .invalidKey)
            #expect(error.libraryMessage?.isEmpty == false, "drained OpenSSL queue expected")
        }
        let pem = Self.key.publicKey.pemRepresentation
        let privatePEM = try Self.key.pemRepresentation()
        let garbledPEM = pem.replacingFirst("MII", with: "M!I")
        for bad in ["", "not a key", garbledPEM, privatePEM] {
            expectBlindRSAError(.invalidKey) { _ = try BlindRSA.PublicKey(pemRepresentation: bad) }
        }
        for bad in ["", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", pem,
                    privatePEM.replacingFirst("PRIVATE KEY-----\n", with: "PRIVATE KEY-----\n!")] {
            expectBlindRSAError(.invalidKey) { _ = try BlindRSA.PrivateKey(pemRepresentation: bad) }
        }
    }

    @Test("Non-RSA keys are refused; RSA keys outside 2048–4096 bits are unsupported")
    func foreignKeys() throws {
        let ed25519 = try Hex.decode("302a300506032b65700321003e340783c2e39953fcc4158d214876724634a19024afddbe36df4a678f382228")
        expectBlindRSAError(.invalidKey) { _ = try BlindRSA.PublicKey(derRepresentation: ed25519) }
        let rsa1024 = try Hex.decode(
            "30819f300d06092a864886f70d010101050003818d0030818902818100c77c8abb7e5fae6914ad686143c8fc1566c5139b" +
            "56d07fd046a554b0deb0d757b81e077304f6b459a8322f2c4257d90be1107d00036c4daad96453e9ec6c1f525c831864" +
            "6724243b2b68050227ec715dd7937e8333359d0aea962edf88d98245c15cc83538293d059cedaae8578f3dc7631457a5" +
            "10ec195c902be74b21bd25630203010001")
        expectBlindRSAError(.unsupportedParameter) { _ = try BlindRSA.PublicKey(derRepresentation: rsa1024) }
    }

    @Test("Inconsistent components are refused")
    func inconsistentComponents() throws {
        let v = BlindRSAVectorTests.Key.self
        // q replaced by p: n ≠ p·q.
        expectBlindRSAError(.invalidKey) {
            _ = try BlindRSA.PrivateKey(
                n: Hex.decode(v.n), e: Hex.decode(v.e), d: Hex.decode(v.d), p: Hex.decode(v.p), q: Hex.decode(v.p))
        }
        // Wrong d: fails the pairwise check.
        var d = try Hex.decode(v.d)
        d[d.count - 1] ^= 0x02
        expectBlindRSAError(.invalidKey) {
            _ = try BlindRSA.PrivateKey(n: Hex.decode(v.n), e: Hex.decode(v.e), d: d, p: Hex.decode(v.p), q: Hex.decode(v.q))
        }
    }

    @Test("Unsupported key sizes are refused", arguments: [0, 1024, 2047, 2049, 4095, 8192])
    func unsupportedSizes(_ bits: Int) {
        expectBlindRSAError(.unsupportedParameter) { _ = try BlindRSA.PrivateKey.generate(bits: bits) }
    }

    @Test("3072- and 4096-bit keys generate and sign (the one slow test)")
    func largerKeys() throws {
        for bits in [3072, 4096] {
            let key = try BlindRSA.PrivateKey.generate(bits: bits)
            #expect(key.publicKey.modulusBitCount == bits)
            let (prepared, sig) = try Self.issue(Self.message, variant: .default, key: key)
            #expect(sig.count == bits / 8)
            try BlindRSA.verify(sig, preparedMessage: prepared, publicKey: key.publicKey)
        }
    }

    @Test("Variant names and parameters follow RFC 9474 §5")
    func variants() {
        #expect(BlindRSA.Variant.default == .sha384PSSRandomized)
        #expect(BlindRSA.Variant.allCases.map(\.rawValue) == [
            "RSABSSA-SHA384-PSS-Randomized", "RSABSSA-SHA384-PSSZERO-Randomized",
            "RSABSSA-SHA384-PSS-Deterministic", "RSABSSA-SHA384-PSSZERO-Deterministic",
        ])
        #expect(BlindRSA.Variant.allCases.map(\.saltLength) == [48, 0, 48, 0])
        #expect(BlindRSA.Variant.allCases.map(\.isRandomized) == [true, true, false, false])
    }
}

extension String {
    /// This string with the first occurrence of `target` replaced.
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        replacing(target, with: replacement, maxReplacements: 1)
    }
}
