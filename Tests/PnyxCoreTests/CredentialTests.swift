import Testing
import PnyxCore
import PnyxCrypto

/// Blind-signature credentials end to end with real RSA-2048 keys.
@Suite("Credentials and entries")
struct CredentialTests {
    static let anonymousClass = AttributeClass.anonymous
    static let directory = try! KeyDirectory(pollID: CoreFixtures.pollID, issuedAt: 1_699_000_000, entries: [
        .init(attributeClass: CoreFixtures.area, publicKey: CoreRSA.key.publicKey, eligibleCount: 40),
        .init(attributeClass: anonymousClass, publicKey: CoreRSA.otherKey.publicKey, eligibleCount: 60),
    ], k: 10)

    /// prepare → blind → blindSign (broker) → finalize.
    static func issue(_ oneTimeKey: Ed25519.PrivateKey, attributeClass: AttributeClass = CoreFixtures.area,
                      pollID: PollID = CoreFixtures.pollID) throws -> Credential {
        let message = CredentialMessage(pollID: pollID, attributeClass: attributeClass, oneTimeKey: oneTimeKey.publicKey)
        var directory = Self.directory
        if pollID != directory.pollID {
            directory = try KeyDirectory(pollID: pollID, issuedAt: 0, entries: Self.directory.entries, k: 10)
        }
        let request = try CredentialRequest(message: message, directory: directory)
        let signer = attributeClass == CoreFixtures.area ? CoreRSA.key : CoreRSA.otherKey
        let blindSignature = try BlindRSA.blindSign(request.blindedMessage, privateKey: signer)
        return try request.finalize(blindSignature: blindSignature)
    }

    @Test func issuedCredentialVerifies() throws {
        let credential = try Self.issue(CoreFixtures.oneTimeKey)
        try credential.verify(directory: Self.directory, pollID: CoreFixtures.pollID)
        #expect(credential.signature.count == 256)
        // A standard RSASSA-PSS signature over prefix ‖ message.
        try BlindRSA.verify(credential.signature,
                            preparedMessage: credential.prefix + credential.message(pollID: CoreFixtures.pollID).canonicalBytes,
                            publicKey: CoreRSA.key.publicKey)
        let decoded = try Credential(canonicalBytes: credential.canonicalBytes)
        try decoded.verify(directory: Self.directory, pollID: CoreFixtures.pollID)
    }

    @Test func refusals() throws {
        let credential = try Self.issue(CoreFixtures.oneTimeKey)
        // Wrong class: the credential claims another class than its key's.
        let wrongClass = Credential(attributeClass: Self.anonymousClass, keyID: credential.keyID, oneTimeKey: credential.oneTimeKey,
                                    prefix: credential.prefix, signature: credential.signature)
        expectCoreError(.credentialClassMismatch) { try wrongClass.verify(directory: Self.directory, pollID: CoreFixtures.pollID) }
        // Wrong key: the class's key id swapped for the other key's, class adjusted: signature fails.
        let otherKeyID = Self.directory.entry(for: Self.anonymousClass)!.keyID
        let wrongKey = Credential(attributeClass: Self.anonymousClass, keyID: otherKeyID, oneTimeKey: credential.oneTimeKey,
                                  prefix: credential.prefix, signature: credential.signature)
        expectCoreError(.credentialInvalidSignature) { try wrongKey.verify(directory: Self.directory, pollID: CoreFixtures.pollID) }
        // Unknown key.
        let unknown = Credential(attributeClass: credential.attributeClass, keyID: try KeyID(bytes: [UInt8](repeating: 0, count: 32)),
                                 oneTimeKey: credential.oneTimeKey, prefix: credential.prefix, signature: credential.signature)
        expectCoreError(.credentialUnknownKey) { try unknown.verify(directory: Self.directory, pollID: CoreFixtures.pollID) }
        // Flipped signature bit, another prefix, another one-time key.
        var flipped = credential.signature
        flipped[100] ^= 0x10
        for bad in [
            Credential(attributeClass: credential.attributeClass, keyID: credential.keyID, oneTimeKey: credential.oneTimeKey,
                       prefix: credential.prefix, signature: flipped),
            Credential(attributeClass: credential.attributeClass, keyID: credential.keyID, oneTimeKey: credential.oneTimeKey,
                       prefix: [UInt8](repeating: 0, count: 32), signature: credential.signature),
            Credential(attributeClass: credential.attributeClass, keyID: credential.keyID, oneTimeKey: CoreFixtures.serviceKey.publicKey,
                       prefix: credential.prefix, signature: credential.signature),
            Credential(attributeClass: credential.attributeClass, keyID: credential.keyID, oneTimeKey: credential.oneTimeKey,
                       prefix: credential.prefix, signature: Array(credential.signature.dropLast())),
        ] {
            expectCoreError(.credentialInvalidSignature) { try bad.verify(directory: Self.directory, pollID: CoreFixtures.pollID) }
        }
        // Wrong poll: a credential issued for another poll under the same keys.
        let otherPoll = try Self.issue(CoreFixtures.oneTimeKey, pollID: CoreFixtures.otherPollID)
        expectCoreError(.credentialInvalidSignature) { try otherPoll.verify(directory: Self.directory, pollID: CoreFixtures.pollID) }
        expectCoreError(.directoryInvalid) { try credential.verify(directory: Self.directory, pollID: CoreFixtures.otherPollID) }
        // No key for a class.
        let noKey = CredentialMessage(pollID: CoreFixtures.pollID, attributeClass: try AttributeClass(areaCode: "13055"),
                                      oneTimeKey: CoreFixtures.oneTimeKey.publicKey)
        expectCoreError(.credentialUnknownKey) { _ = try CredentialRequest(message: noKey, directory: Self.directory) }
    }

    @Test func entryVerifiesAndEveryFieldIsSigned() throws {
        let key = Ed25519.PrivateKey()
        let credential = try Self.issue(key)
        let entry = try Entry(pollID: CoreFixtures.pollID, credential: credential, channel: .online, payload: .sign(nil), signingWith: key)
        try entry.verify(definition: CoreFixtures.petition, directory: Self.directory)
        try Entry(canonicalBytes: entry.canonicalBytes).verify(definition: CoreFixtures.petition, directory: Self.directory)
        #expect(entry.nullifier == key.publicKey)
        #expect(entry.canonicalBytes == entry.signedBytes + entry.signature)

        for changed in [
            Entry(pollID: entry.pollID, credential: entry.credential, channel: .kiosk, payload: entry.payload, nonce: entry.nonce, signature: entry.signature),
            Entry(pollID: entry.pollID, credential: entry.credential, channel: entry.channel, payload: .withdraw, nonce: entry.nonce, signature: entry.signature),
        ] {
            expectCoreError(.entryInvalidSignature) { try changed.verify(definition: CoreFixtures.petition, directory: Self.directory) }
        }
        var otherPoll = CoreFixtures.petition
        otherPoll.pollID = CoreFixtures.otherPollID
        expectCoreError(.entryWrongPoll) { try entry.verify(definition: otherPoll, directory: Self.directory) }
        expectCoreError(.entryInvalidSignature) {
            _ = try Entry(pollID: CoreFixtures.pollID, credential: credential, channel: .online, payload: .withdraw,
                          signingWith: CoreFixtures.oneTimeKey)
        }
        // Every single-bit flip of the encoded entry is refused by decoding or by verification.
        let bytes = entry.canonicalBytes
        for index in stride(from: 0, to: bytes.count, by: 7) {
            var mutated = bytes
            mutated[index] ^= 0x04
            #expect(throws: CoreError.self) {
                try Entry(canonicalBytes: mutated).verify(definition: CoreFixtures.petition, directory: Self.directory)
            }
        }
    }

    @Test func partialNamesNeedTheBrokersAttestation() throws {
        let key = Ed25519.PrivateKey()
        let credential = try Self.issue(key)
        let attestation = NameAttestation(pollID: CoreFixtures.pollID, oneTimeKey: key.publicKey, partialName: "Arnaud R.")
        let good = PartialName(name: "Arnaud R.", attestation: attestation.sign(with: CoreFixtures.brokerKey))
        let entry = try Entry(pollID: CoreFixtures.pollID, credential: credential, channel: .online, payload: .sign(good), signingWith: key)
        try entry.verify(definition: CoreFixtures.petition, directory: Self.directory)

        let otherName = PartialName(name: "Bernard R.", attestation: good.attestation)
        let bySelf = PartialName(name: "Arnaud R.", attestation: attestation.sign(with: key))
        for name in [otherName, bySelf] {
            let forged = try Entry(pollID: CoreFixtures.pollID, credential: credential, channel: .online, payload: .sign(name), signingWith: key)
            expectCoreError(.entryInvalidName) { try forged.verify(definition: CoreFixtures.petition, directory: Self.directory) }
        }
        var noNames = CoreFixtures.petition
        noNames.allowPartialNames = false
        expectCoreError(.entryInvalidName) { try entry.verify(definition: noNames, directory: Self.directory) }
        for name in ["Arnaud R.", "Jean-Luc M.", "Zoë É."] { #expect(NameAttestation.isWellFormed(name)) }
        for name in ["Arnaud", "Arnaud R", " R.", "Arnaud RR.", "A\nB R."] { #expect(!NameAttestation.isWellFormed(name)) }
    }
}
