import PnyxCrypto

/// A signed note (c2sp.org/signed-note): UTF-8 text ending in a newline, a blank line,
/// then one or more signature lines `— <key name> <base64(key ID || signature)>`.
///
/// Parsing only checks the format; use ``NoteVerifierSet`` to verify signatures.
/// Parsing and serialization are exact inverses for well-formed notes.
public struct Note: Sendable, Hashable {
    /// The most signature lines a note may carry; more are refused (`note.too_many_signatures`).
    public static let maxSignatures = 100

    /// One signature line of a note.
    public struct Signature: Sendable, Hashable {
        /// The key name.
        public let name: String
        /// The 32-bit key ID (first four bytes of the decoded signature, big-endian).
        public let keyID: UInt32
        /// The signature bytes after the key ID (for Ed25519, 64 bytes; for cosignatures, 72).
        public let bytes: [UInt8]

        /// A signature line. Throws `key.invalid_name` for a bad name, `note.malformed` for empty bytes.
        public init(name: String, keyID: UInt32, bytes: [UInt8]) throws(TransparencyError) {
            try NoteKey.validateName(name)
            guard !bytes.isEmpty else { throw TransparencyError(.noteMalformed, "empty signature") }
            self.name = name
            self.keyID = keyID
            self.bytes = bytes
        }

        init(unchecked name: String, keyID: UInt32, bytes: [UInt8]) {
            self.name = name
            self.keyID = keyID
            self.bytes = bytes
        }

        /// `base64(key ID || bytes)`, as written on the signature line.
        public var base64: String {
            Base64.encode([UInt8(keyID >> 24), UInt8(keyID >> 16 & 0xff), UInt8(keyID >> 8 & 0xff),
                           UInt8(keyID & 0xff)] + bytes)
        }

        /// The full signature line, including the em dash prefix and the final newline.
        public var line: String { "— \(name) \(base64)\n" }

        /// Byte-wise equality (names are compared as UTF-8 bytes, not by canonical equivalence).
        public static func == (lhs: Signature, rhs: Signature) -> Bool {
            lhs.keyID == rhs.keyID && lhs.bytes == rhs.bytes && NoteKey.sameBytes(lhs.name, rhs.name)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(keyID)
            hasher.combine(bytes)
            hasher.combine(Array(name.utf8))
        }

        /// True when this line is by the key with `name` (byte-wise) and `keyID`.
        func isBy(name: String, keyID: UInt32) -> Bool {
            self.keyID == keyID && NoteKey.sameBytes(self.name, name)
        }
    }

    /// The signed text, including its final newline.
    public let text: String
    /// The signature lines, in order.
    public var signatures: [Signature]

    /// A note with `text` and optional signatures. The text must be non-empty valid UTF-8
    /// ending in a newline with no ASCII control characters other than newline (`note.malformed`).
    public init(text: String, signatures: [Signature] = []) throws(TransparencyError) {
        try Note.validateText(Array(text.utf8))
        self.text = text
        self.signatures = signatures
    }

    /// Parses a serialized signed note. Signatures are not verified.
    public init(parsing message: String) throws(TransparencyError) {
        try self.init(parsing: Array(message.utf8))
    }

    /// Parses a serialized signed note given as bytes. Signatures are not verified.
    ///
    /// Throws `note.malformed` (invalid UTF-8, control characters, no blank line, no or bad
    /// signature lines, bad base64, signature shorter than 5 bytes) or
    /// `note.too_many_signatures`.
    public init(parsing message: [UInt8]) throws(TransparencyError) {
        try Note.validateCharacters(message)
        // The text ends at the last blank line ("\n\n"): its first newline ends the text.
        var split: Int? = nil
        var index = message.count - 2
        while index >= 0 {
            if message[index] == 0x0a && message[index + 1] == 0x0a { split = index; break }
            index -= 1
        }
        guard let split else {
            throw TransparencyError(.noteMalformed, "no blank line before the signatures")
        }
        let text = String(decoding: message[...split], as: UTF8.self)
        let block = message[(split + 2)...]
        guard !block.isEmpty else { throw TransparencyError(.noteMalformed, "note has no signatures") }
        guard block.last == 0x0a else {
            throw TransparencyError(.noteMalformed, "signature block does not end in a newline")
        }
        var signatures: [Signature] = []
        var lineStart = block.startIndex
        while lineStart < block.endIndex {
            let lineEnd = block[lineStart...].firstIndex(of: 0x0a)!
            guard signatures.count < Note.maxSignatures else {
                throw TransparencyError(.noteTooManySignatures, "more than \(Note.maxSignatures) signatures")
            }
            signatures.append(try Note.parseSignatureLine(block[lineStart..<lineEnd]))
            lineStart = lineEnd + 1
        }
        self.text = text
        self.signatures = signatures
    }

    /// The serialized note: text, blank line, signature lines. Throws `note.malformed` when
    /// there is no signature and `note.too_many_signatures` above ``maxSignatures``.
    public func serialized() throws(TransparencyError) -> [UInt8] {
        Array(try serializedString().utf8)
    }

    /// The serialized note as a string (see ``serialized()``).
    public func serializedString() throws(TransparencyError) -> String {
        guard !signatures.isEmpty else { throw TransparencyError(.noteMalformed, "note has no signatures") }
        guard signatures.count <= Note.maxSignatures else {
            throw TransparencyError(.noteTooManySignatures, "more than \(Note.maxSignatures) signatures")
        }
        var out = text
        out += "\n"
        for signature in signatures { out += signature.line }
        return out
    }

    /// Byte-wise equality of text and signatures (not Unicode canonical equivalence).
    public static func == (lhs: Note, rhs: Note) -> Bool {
        NoteKey.sameBytes(lhs.text, rhs.text) && lhs.signatures == rhs.signatures
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(Array(text.utf8))
        hasher.combine(signatures)
    }

    // MARK: Validation

    private static let emDashSpace: [UInt8] = [0xe2, 0x80, 0x94, 0x20]

    /// Valid UTF-8 with no ASCII control character other than newline.
    static func validateCharacters(_ bytes: [UInt8]) throws(TransparencyError) {
        for byte in bytes where byte < 0x20 && byte != 0x0a {
            throw TransparencyError(.noteMalformed, "control character 0x\(Hex.encode([byte])) in note")
        }
        guard String(decoding: bytes, as: UTF8.self).utf8.elementsEqual(bytes) else {
            throw TransparencyError(.noteMalformed, "note is not valid UTF-8")
        }
    }

    static func validateText(_ bytes: [UInt8]) throws(TransparencyError) {
        guard bytes.last == 0x0a else {
            throw TransparencyError(.noteMalformed, "note text must be non-empty and end in a newline")
        }
        try validateCharacters(bytes)
    }

    private static func parseSignatureLine(_ line: ArraySlice<UInt8>) throws(TransparencyError) -> Signature {
        guard line.starts(with: emDashSpace) else {
            throw TransparencyError(.noteMalformed, "signature line does not start with \"— \"")
        }
        let rest = line.dropFirst(emDashSpace.count)
        guard let space = rest.firstIndex(of: 0x20) else {
            throw TransparencyError(.noteMalformed, "signature line has no space after the key name")
        }
        let name = String(decoding: rest[..<space], as: UTF8.self)
        guard NoteKey.isValidName(name) else {
            throw TransparencyError(.noteMalformed, "invalid key name \"\(name)\" on a signature line")
        }
        let encoded = Array(rest[(space + 1)...])
        guard !encoded.isEmpty, let raw = try? Base64.decode(utf8: encoded) else {
            throw TransparencyError(.noteMalformed, "signature of \(name) is not canonical base64")
        }
        guard raw.count >= 5 else {
            throw TransparencyError(.noteMalformed, "signature of \(name) is shorter than 5 bytes")
        }
        let keyID = UInt32(raw[0]) << 24 | UInt32(raw[1]) << 16 | UInt32(raw[2]) << 8 | UInt32(raw[3])
        return Signature(unchecked: name, keyID: keyID, bytes: Array(raw[4...]))
    }
}
