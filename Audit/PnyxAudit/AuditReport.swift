public import PnyxCore
import Foundation

/// What one auditor run established: the findings (empty when everything verified), what was
/// checked, and plain-words notes about what could not be checked.
///
/// JSON (``jsonBytes()``) has sorted keys and no insignificant variation, so two runs over
/// the same log give the same bytes.
public struct AuditReport: Sendable, Codable {
    /// The command: `verify`, `diff`, `receipt` or `witness`.
    public var command: String
    /// Where the log was read from (a folder or a URL).
    public var source: String
    /// The log's checkpoint origin, when known.
    public var origin: String?
    /// The latest verified tree size, when known.
    public var treeSize: Int64?
    /// The latest checkpoint's root hash (hex), when known.
    public var rootHash: String?
    /// Every finding, ordered by log, position and code. At most ``AuditReport/findingsPerCode``
    /// per code; the rest are counted in ``suppressed``.
    public var findings: [Finding]
    /// Per code, how many findings were found beyond those listed.
    public var suppressed: [String: Int]
    /// What was checked.
    public var summary: AuditSummary
    /// What could not be checked, and other plain-words remarks (not findings).
    public var notes: [String]
    /// What the run established, in plain words (`receipt` and `diff` explain themselves here).
    public var established: [String] = []

    /// The most findings listed per code (a broken log repeats the same problem many times).
    public static let findingsPerCode = 100

    /// True when there is no finding.
    public var verified: Bool { findings.isEmpty }

    /// The process exit status: 0 verified, 1 findings.
    public var exitStatus: Int32 { verified ? 0 : 1 }

    public init(command: String, source: String, collector: FindingCollector, summary: AuditSummary = AuditSummary(),
                notes: [String] = []) {
        self.command = command
        self.source = source
        self.findings = collector.sortedFindings
        self.suppressed = collector.suppressed
        self.summary = summary
        self.notes = notes
    }

    /// Deterministic JSON: sorted keys, slashes unescaped, pretty-printed.
    public func jsonBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return Array(try encoder.encode(self))
    }

    private enum CodingKeys: String, CodingKey {
        case command, source, origin, treeSize, rootHash, findings, suppressed, summary, notes, established, verified
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(command, forKey: .command)
        try c.encode(source, forKey: .source)
        try c.encodeIfPresent(origin, forKey: .origin)
        try c.encodeIfPresent(treeSize, forKey: .treeSize)
        try c.encodeIfPresent(rootHash, forKey: .rootHash)
        try c.encode(findings, forKey: .findings)
        try c.encode(suppressed, forKey: .suppressed)
        try c.encode(summary, forKey: .summary)
        try c.encode(notes, forKey: .notes)
        try c.encode(established, forKey: .established)
        try c.encode(verified, forKey: .verified)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        command = try c.decode(String.self, forKey: .command)
        source = try c.decode(String.self, forKey: .source)
        origin = try c.decodeIfPresent(String.self, forKey: .origin)
        treeSize = try c.decodeIfPresent(Int64.self, forKey: .treeSize)
        rootHash = try c.decodeIfPresent(String.self, forKey: .rootHash)
        findings = try c.decode([Finding].self, forKey: .findings)
        suppressed = try c.decode([String: Int].self, forKey: .suppressed)
        summary = try c.decode(AuditSummary.self, forKey: .summary)
        notes = try c.decode([String].self, forKey: .notes)
        established = try c.decodeIfPresent([String].self, forKey: .established) ?? []
    }

    /// The report for a person: what was checked, then each finding on its own line.
    public var humanText: String {
        var lines = ["pnyx-audit \(command): \(source)"]
        if let origin { lines.append("log \(origin)" + (treeSize.map { ", \($0) entries" } ?? "") + (rootHash.map { ", root \($0)" } ?? "")) }
        lines.append(contentsOf: summary.lines)
        for line in established { lines.append("✓ \(line)") }
        for note in notes { lines.append("note: \(note)") }
        if verified {
            lines.append("VERIFIED: no findings.")
        } else {
            let total = findings.count + suppressed.values.reduce(0, +)
            lines.append("FINDINGS: \(total)")
            for finding in findings { lines.append("  " + finding.description) }
            for (code, count) in suppressed.sorted(by: { $0.key < $1.key }) {
                lines.append("  … and \(count) more \(code)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// What a run checked, in numbers. Fields a command does not use stay `nil`.
public struct AuditSummary: Sendable, Codable, Hashable {
    /// Log entries read.
    public var entries: Int64?
    /// Checkpoints verified (signature, and root against the entries).
    public var checkpoints: Int?
    /// Credentials verified (RSA-PSS under their class key).
    public var credentialsVerified: Int64?
    /// Entry signatures verified (Ed25519 by the one-time key).
    public var entrySignaturesVerified: Int64?
    /// Distinct one-time keys (credentials) that took part.
    public var credentials: Int64?
    /// Certificates checked.
    public var certificates: Int?
    /// The tally recomputed from the log.
    public var tally: TallySummary?
    /// Whether a published tally was compared with the recomputed one.
    public var publishedTallyCompared: Bool?
    /// Register entries read and checked against the poll.
    public var registerEntries: Int64?
    /// The saved checkpoint the log was proved to extend, as `size root`.
    public var provedConsistentFrom: String?
    /// Seconds the run took.
    public var seconds: Double?

    public init() {}

    var lines: [String] {
        var out: [String] = []
        if let entries { out.append("entries read: \(entries)") }
        if let checkpoints { out.append("checkpoints verified: \(checkpoints)") }
        if let credentialsVerified { out.append("credentials verified (RSA-PSS): \(credentialsVerified)") }
        if let entrySignaturesVerified { out.append("entry signatures verified (Ed25519): \(entrySignaturesVerified)") }
        if let credentials { out.append("distinct one-time keys: \(credentials)") }
        if let tally {
            var line = "recomputed tally: \(tally.participants) counted, phase \(tally.phase.rawValue)"
            if !tally.byChannel.isEmpty {
                line += " (" + tally.byChannel.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
            }
            out.append(line)
            for question in tally.questions {
                out.append("  question \(question.questionID): " + question.options.map(String.init).joined(separator: " / "))
            }
            for threshold in tally.thresholds {
                out.append("  threshold \(threshold.index): \(threshold.current)/\(threshold.target.map(String.init) ?? "?")"
                           + (threshold.met ? " met" : "") + (threshold.reached.map { " (first reached at log size \($0.logSize))" } ?? ""))
            }
        }
        if let publishedTallyCompared { out.append("published tally compared: \(publishedTallyCompared ? "yes" : "no")") }
        if let certificates { out.append("certificates checked: \(certificates)") }
        if let registerEntries { out.append("register entries read: \(registerEntries)") }
        if let provedConsistentFrom { out.append("proved to extend the saved checkpoint \(provedConsistentFrom)") }
        return out
    }
}

/// Collects findings, keeping at most ``AuditReport/findingsPerCode`` per code and counting
/// the rest. A class so that checks running in several places can share one.
public final class FindingCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var findings: [Finding] = []
    private var perCode: [FindingCode: Int] = [:]
    private(set) var suppressedCounts: [String: Int] = [:]

    public init() {}

    /// Adds a finding (or counts it, past the cap for its code).
    public func add(_ finding: Finding) {
        lock.lock()
        defer { lock.unlock() }
        let count = perCode[finding.code, default: 0]
        perCode[finding.code] = count + 1
        if count < AuditReport.findingsPerCode {
            findings.append(finding)
        } else {
            suppressedCounts[finding.code.rawValue, default: 0] += 1
        }
    }

    /// Every code found so far, with how many times.
    public var counts: [FindingCode: Int] {
        lock.lock()
        defer { lock.unlock() }
        return perCode
    }

    /// The findings listed, ordered by log, position and code.
    public var sortedFindings: [Finding] {
        lock.lock()
        defer { lock.unlock() }
        return findings.sorted(by: Finding.precedes)
    }

    /// Per code, the findings beyond the cap.
    public var suppressed: [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        return suppressedCounts
    }

    /// True when nothing was found.
    public var isEmpty: Bool { counts.isEmpty }
}
