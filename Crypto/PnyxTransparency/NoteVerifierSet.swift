/// The known verifiers a note is checked against (c2sp.org/signed-note, "Signatures").
///
/// Signatures whose (name, key ID) match no known verifier are ignored. Every signature from a
/// known verifier must verify, and at least one must be present.
public struct NoteVerifierSet: Sendable {
    /// A (name, key ID) pair; the name is kept as UTF-8 bytes so lookups are byte-exact.
    private struct KeyRef: Hashable {
        let name: [UInt8]
        let keyID: UInt32
        init(name: String, keyID: UInt32) {
            self.name = Array(name.utf8)
            self.keyID = keyID
        }
    }

    private let verifiers: [KeyRef: any NoteSignatureVerifier]

    /// A set of known verifiers. Identical duplicates collapse; two different keys with the same
    /// name and key ID throw `note.ambiguous_key`.
    public init(_ verifiers: [any NoteSignatureVerifier]) throws(TransparencyError) {
        var table: [KeyRef: any NoteSignatureVerifier] = [:]
        for verifier in verifiers {
            let ref = KeyRef(name: verifier.name, keyID: verifier.keyID)
            if let existing = table[ref] {
                guard existing.verifierKey == verifier.verifierKey else {
                    throw TransparencyError(
                        .noteAmbiguousKey, "two keys named \(verifier.name) share key ID \(NoteKey.hex(verifier.keyID))")
                }
                continue
            }
            table[ref] = verifier
        }
        self.verifiers = table
    }

    /// The verifier for a name and key ID, if known.
    public func verifier(name: String, keyID: UInt32) -> (any NoteSignatureVerifier)? {
        verifiers[KeyRef(name: name, keyID: keyID)]
    }

    /// Verifies `note`, returning the known verifiers whose signatures verified (each once, in order
    /// of first appearance). Throws `note.bad_signature` when a known key's signature fails and
    /// `note.unknown_key` when no signature comes from a known key.
    @discardableResult
    public func verify(_ note: Note) throws(TransparencyError) -> [any NoteSignatureVerifier] {
        let text = Array(note.text.utf8)
        var verified: [any NoteSignatureVerifier] = []
        var seen: Set<KeyRef> = []
        for signature in note.signatures {
            let ref = KeyRef(name: signature.name, keyID: signature.keyID)
            guard let verifier = verifiers[ref] else { continue }
            guard verifier.isValidSignature(signature.bytes, forText: text) else {
                throw TransparencyError(
                    .noteBadSignature,
                    "signature by \(signature.name) (\(NoteKey.hex(signature.keyID))) does not verify")
            }
            if seen.insert(ref).inserted { verified.append(verifier) }
        }
        guard !verified.isEmpty else {
            throw TransparencyError(.noteUnknownKey, "no signature on the note is from a known key")
        }
        return verified
    }

    /// Parses and verifies a serialized note (see ``Note/init(parsing:)`` and ``verify(_:)``).
    public func open(_ message: [UInt8]) throws(TransparencyError) -> Note {
        let note = try Note(parsing: message)
        try verify(note)
        return note
    }

    /// Parses and verifies a serialized note given as a string.
    public func open(_ message: String) throws(TransparencyError) -> Note {
        try open(Array(message.utf8))
    }
}
