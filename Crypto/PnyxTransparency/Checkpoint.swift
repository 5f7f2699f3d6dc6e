import PnyxCrypto

/// A transparency-log checkpoint body (c2sp.org/tlog-checkpoint): the note text
/// `<origin>\n<tree size>\n<base64 root hash>\n` followed by optional extension lines.
public struct Checkpoint: Sendable, Hashable {
    /// Root hash length in bytes (SHA-256).
    public static let rootHashByteCount = 32

    /// The log's origin line (non-empty).
    public let origin: String
    /// The number of leaves in the tree.
    public let size: UInt64
    /// The RFC 6962 Merkle tree root hash at ``size`` (32 bytes).
    public let rootHash: [UInt8]
    /// Opaque, non-empty extension lines (without newlines). Use is NOT RECOMMENDED by the spec.
    public let extensionLines: [String]

    /// A checkpoint. Throws `checkpoint.malformed` for an empty origin or extension line, a newline
    /// or control character in a line, or a root hash that is not 32 bytes.
    public init(origin: String, size: UInt64, rootHash: [UInt8], extensionLines: [String] = []) throws(TransparencyError) {
        for line in [origin] + extensionLines {
            guard !line.isEmpty else { throw TransparencyError(.checkpointMalformed, "empty checkpoint line") }
            guard !line.utf8.contains(where: { $0 < 0x20 }) else {
                throw TransparencyError(.checkpointMalformed, "control character or newline in a checkpoint line")
            }
        }
        guard rootHash.count == Checkpoint.rootHashByteCount else {
            throw TransparencyError(.checkpointMalformed, "root hash must be 32 bytes, got \(rootHash.count)")
        }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensionLines = extensionLines
    }

    /// Parses a checkpoint body strictly: at least three non-empty newline-terminated lines, a
    /// decimal size without sign or leading zeros that fits in 64 bits, canonical base64 of exactly
    /// 32 bytes, and non-empty extension lines. Throws `checkpoint.malformed`.
    public init(parsing text: String) throws(TransparencyError) {
        let utf8 = Array(text.utf8)
        guard utf8.last == 0x0a else {
            throw TransparencyError(.checkpointMalformed, "checkpoint must end in a newline")
        }
        do { try Note.validateCharacters(utf8) } catch {
            throw TransparencyError(.checkpointMalformed, "checkpoint is not valid note text: \(error.reason)")
        }
        let lines = utf8.dropLast().split(separator: 0x0a, omittingEmptySubsequences: false)
        guard lines.count >= 3 else {
            throw TransparencyError(.checkpointMalformed, "checkpoint needs origin, size and root hash lines")
        }
        let size = try Checkpoint.parseSize(lines[1])
        let rootHash: [UInt8]
        do { rootHash = try Base64.decode(utf8: Array(lines[2])) } catch {
            throw TransparencyError(.checkpointMalformed, "root hash is not canonical base64")
        }
        try self.init(
            origin: String(decoding: lines[0], as: UTF8.self), size: size, rootHash: rootHash,
            extensionLines: lines.dropFirst(3).map { String(decoding: $0, as: UTF8.self) })
    }

    /// Parses the text of a (verified) note as a checkpoint.
    public init(note: Note) throws(TransparencyError) {
        try self.init(parsing: note.text)
    }

    /// The checkpoint body, ending in a newline: the note text to sign.
    public var text: String {
        var out = "\(origin)\n\(size)\n\(Base64.encode(rootHash))\n"
        for line in extensionLines { out += line + "\n" }
        return out
    }

    /// Byte-wise equality (origin and extension lines compared as UTF-8 bytes).
    public static func == (lhs: Checkpoint, rhs: Checkpoint) -> Bool {
        lhs.size == rhs.size && lhs.rootHash == rhs.rootHash && NoteKey.sameBytes(lhs.text, rhs.text)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(Array(text.utf8)) }

    /// An unsigned note holding this checkpoint.
    public func note() -> Note {
        // A checkpoint's text is always valid note text.
        try! Note(text: text)
    }

    private static func parseSize(_ digits: ArraySlice<UInt8>) throws(TransparencyError) -> UInt64 {
        guard !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw TransparencyError(.checkpointMalformed, "tree size is not a decimal number")
        }
        guard digits.count == 1 || digits.first != 0x30 else {
            throw TransparencyError(.checkpointMalformed, "tree size has a leading zero")
        }
        var value: UInt64 = 0
        for digit in digits {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit - 0x30))
            guard !o1, !o2 else { throw TransparencyError(.checkpointMalformed, "tree size overflows 64 bits") }
            value = sum
        }
        return value
    }
}
