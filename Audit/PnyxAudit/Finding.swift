/// One problem the auditor found: a stable code, the log it is in, the entry position where
/// it applies, and the evidence (what was expected, what was computed or found).
///
/// Findings never stop a run: the auditor reports every one it finds (capped per code, see
/// ``AuditReport``). Codes are listed in ``FindingCode``; they are never renamed.
public struct Finding: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The stable code, e.g. `chain.broken`.
    public let code: FindingCode
    /// Which log the finding is about: `poll`, `register`, `history` (saved checkpoints) or `receipt`.
    public let log: String
    /// The zero-based entry position, when the finding is about one entry.
    public let position: Int64?
    /// A plain-words explanation.
    public let message: String
    /// What the auditor expected (a hash, a count, a time window), if it applies.
    public let expected: String?
    /// What it computed or found instead, if it applies.
    public let computed: String?
    /// The file or URL path the finding is about, if any (`tile/0/000`, `checkpoints/100`).
    public let path: String?

    public init(_ code: FindingCode, log: String = "poll", position: Int64? = nil, _ message: String,
                expected: String? = nil, computed: String? = nil, path: String? = nil) {
        self.code = code
        self.log = log
        self.position = position
        self.message = message
        self.expected = expected
        self.computed = computed
        self.path = path
    }

    public var description: String {
        var out = code.rawValue
        if log != "poll" { out += " [\(log)]" }
        if let position { out += " at \(position)" }
        out += ": \(message)"
        if let expected { out += " (expected \(expected)" + (computed.map { ", found \($0))" } ?? ")") }
        else if let computed { out += " (found \(computed))" }
        return out
    }

    /// Orders findings by log, position (findings without one first), code, then message.
    static func precedes(_ lhs: Finding, _ rhs: Finding) -> Bool {
        if lhs.log != rhs.log { return lhs.log < rhs.log }
        if lhs.position != rhs.position { return (lhs.position ?? -1) < (rhs.position ?? -1) }
        if lhs.code != rhs.code { return lhs.code.rawValue < rhs.code.rawValue }
        return lhs.message < rhs.message
    }
}
