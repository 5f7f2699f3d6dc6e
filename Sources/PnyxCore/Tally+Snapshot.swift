#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A tally kept outside memory: its aggregates as a ``Tally/Snapshot`` and each credential's
/// latest contribution as a packed 64-bit value, so that a process (the service) can keep
/// only the aggregates and read the contributions it needs per batch from its database.
///
/// The reducer is the same: ``Tally/apply(record:position:)`` subtracts a credential's
/// previous contribution if it is in ``Tally``'s per-credential map, so a caller that
/// restores the contributions of a batch's credentials with ``restoreLatest(_:)`` before
/// applying the batch, and takes them back with ``takeLatest()`` after, gets exactly the
/// counts of a fold of the whole log (the auditor's), with memory that does not grow per
/// participant.
extension Tally {
    /// Everything of a tally except the poll definition, the key directory and the
    /// per-credential map. Equality is order-independent (compare decoded snapshots).
    public struct Snapshot: Hashable, Sendable, Codable {
        /// One attribute class's counted entries.
        public struct ClassCount: Hashable, Sendable, Codable {
            public let attributeClass: AttributeClass
            public let count: UInt64
        }

        /// One hour of history.
        public struct HourRow: Hashable, Sendable, Codable {
            public let hour: Int64
            public let entries: UInt64
            public let participants: UInt64
        }

        public let phase: Phase
        public let logSize: UInt64
        public let entriesRecorded: UInt64
        public let participants: UInt64
        public let named: UInt64
        /// Channel raw value → count.
        public let byChannel: [String: UInt64]
        public let byClass: [ClassCount]
        public let byArea: [String: UInt64]
        public let byAgeBand: [String: UInt64]
        public let optionCounts: [[UInt64]]
        public let hourly: [HourRow]
        public let reached: [Reached?]
        /// `areas` threshold index → areas meeting its minimum.
        public let areasMeeting: [String: UInt64]
        /// The interned classes, in first-counted order (contributions name them by index).
        public let classes: [AttributeClass]
        /// The interned answer sets (questions sorted), in first-counted order.
        public let answerSets: [[Answer]]

        /// Deterministic-enough JSON (sorted keys) for storage; compare decoded values.
        public func jsonBytes() throws -> [UInt8] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return Array(try encoder.encode(self))
        }

        /// Parses stored JSON.
        public init(jsonBytes: [UInt8]) throws {
            self = try JSONDecoder().decode(Snapshot.self, from: Data(jsonBytes))
        }

        init(_ tally: Tally) {
            phase = tally.phase
            logSize = tally.logSize
            entriesRecorded = tally.entriesRecorded
            participants = tally.participants
            named = tally.named
            byChannel = Dictionary(uniqueKeysWithValues: tally.byChannel.map { (String($0.key.rawValue), $0.value) })
            byClass = tally.byClass.sorted { $0.key < $1.key }.map { ClassCount(attributeClass: $0.key, count: $0.value) }
            byArea = tally.byArea
            byAgeBand = Dictionary(uniqueKeysWithValues: tally.byAgeBand.map { ($0.key.rawValue, $0.value) })
            optionCounts = tally.optionCounts
            hourly = tally.hourly.sorted { $0.key < $1.key }.map {
                HourRow(hour: $0.key, entries: $0.value.entries, participants: $0.value.participants)
            }
            reached = tally.reached
            areasMeeting = Dictionary(uniqueKeysWithValues: tally.areasMeeting.map { (String($0.key), $0.value) })
            classes = tally.classes
            answerSets = tally.answerSets
        }
    }

    /// The aggregates (everything but the definition, the directory and the per-credential map).
    public var snapshot: Snapshot { Snapshot(self) }

    /// A tally restored from its snapshot, with the poll's definition (required once the
    /// snapshot is past `empty`) and key directory (required once published). The
    /// per-credential map is empty: restore the contributions a batch needs with
    /// ``restoreLatest(_:)``.
    public init(snapshot: Snapshot, definition: PollDefinition?, directory: KeyDirectory?) throws(CoreError) {
        self.init()
        let needsDefinition = snapshot.phase != .empty
        let needsDirectory = [.published, .open, .closed].contains(snapshot.phase)
        guard !needsDefinition || definition != nil, !needsDirectory || directory != nil else {
            throw CoreError(.tallyNoDefinition, "a \(snapshot.phase.rawValue) tally needs its definition and key directory")
        }
        if needsDefinition, let definition {
            guard snapshot.optionCounts.count == definition.questions.count,
                  zip(snapshot.optionCounts, definition.questions).allSatisfy({ $0.count == $1.options.count }),
                  snapshot.reached.count == definition.thresholds.count else {
                throw CoreError(.tallyNoDefinition, "the tally snapshot does not match the poll definition")
            }
            self.definition = definition
        }
        if needsDirectory { self.directory = directory }
        phase = snapshot.phase
        logSize = snapshot.logSize
        entriesRecorded = snapshot.entriesRecorded
        participants = snapshot.participants
        named = snapshot.named
        for (key, value) in snapshot.byChannel {
            guard let raw = UInt8(key), let channel = Channel(rawValue: raw) else {
                throw CoreError(.encodingInvalidValue, "unknown channel \(key) in a tally snapshot")
            }
            byChannel[channel] = value
        }
        for row in snapshot.byClass { byClass[row.attributeClass] = row.count }
        byArea = snapshot.byArea
        for (key, value) in snapshot.byAgeBand {
            guard let band = AgeBand(rawValue: key) else {
                throw CoreError(.encodingInvalidValue, "unknown age band \(key) in a tally snapshot")
            }
            byAgeBand[band] = value
        }
        optionCounts = snapshot.optionCounts
        for row in snapshot.hourly { hourly[row.hour] = HourCount(entries: row.entries, participants: row.participants) }
        reached = snapshot.reached
        for (key, value) in snapshot.areasMeeting {
            guard let index = Int(key) else { throw CoreError(.encodingInvalidValue, "bad threshold index \(key) in a tally snapshot") }
            areasMeeting[index] = value
        }
        classes = snapshot.classes
        for (index, attributeClass) in classes.enumerated() { classIndex[attributeClass] = UInt32(index) }
        answerSets = snapshot.answerSets
        for (index, answers) in answerSets.enumerated() { answerSetIndex[answers] = UInt32(index) }
    }

    // MARK: Per-credential contributions

    /// Puts the latest contributions of some credentials (one-time key bytes → packed value
    /// from ``takeLatest()`` or ``latestContribution(of:)``) back into the per-credential map.
    public mutating func restoreLatest(_ rows: some Sequence<(nullifier: [UInt8], contribution: Int64)>) throws(CoreError) {
        for row in rows {
            let contribution = try Contribution(packed: row.contribution)
            guard Int(contribution.classIndex) < classes.count,
                  contribution.answerSet == .max || Int(contribution.answerSet) < answerSets.count else {
                throw CoreError(.encodingInvalidValue, "a stored contribution names a class or answer set this tally does not have")
            }
            latest[try Nullifier(bytes: row.nullifier)] = contribution
        }
    }

    /// Empties the per-credential map and returns what it held (one-time key bytes → packed
    /// contribution): after a batch, the contributions of its credentials.
    public mutating func takeLatest() -> [(nullifier: [UInt8], contribution: Int64)] {
        defer { latest.removeAll() }
        return latest.map { ($0.key.bytes, $0.value.packed) }
    }

    /// The packed latest contribution of a one-time key, if the per-credential map holds it
    /// (a full fold holds every credential's).
    public func latestContribution(of nullifier: [UInt8]) -> Int64? {
        guard let key = try? Nullifier(bytes: nullifier) else { return nil }
        return latest[key]?.packed
    }

    /// How many credentials the per-credential map holds.
    public var latestCount: Int { latest.count }
}

extension Nullifier {
    init(bytes: [UInt8]) throws(CoreError) {
        guard bytes.count == 32 else { throw CoreError(.encodingInvalidValue, "a one-time key is 32 bytes, not \(bytes.count)") }
        func word(_ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[at + $1]) } }
        a = word(0); b = word(8); c = word(16); d = word(24)
    }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in [a, b, c, d] { for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) } }
        return out
    }
}

extension Contribution {
    // Layout (63 bits): class index 28 | answer set + 1 (0: none) 30 | channel 3 | counted 1 | named 1.
    private static let classBits: Int64 = 28, answerBits: Int64 = 30

    var packed: Int64 {
        let answer = answerSet == .max ? Int64(0) : Int64(answerSet) + 1
        var value = Int64(classIndex)
        value |= answer << Self.classBits
        value |= Int64(channel.rawValue) << (Self.classBits + Self.answerBits)
        if counted { value |= 1 << 61 }
        if named { value |= 1 << 62 }
        return value
    }

    init(packed value: Int64) throws(CoreError) {
        guard value >= 0 else { throw CoreError(.encodingInvalidValue, "a negative packed contribution") }
        let answer = (value >> Self.classBits) & ((1 << Self.answerBits) - 1)
        guard let channel = Channel(rawValue: UInt8((value >> (Self.classBits + Self.answerBits)) & 7)) else {
            throw CoreError(.encodingInvalidValue, "a packed contribution with an unknown channel")
        }
        self.init(classIndex: UInt32(value & ((1 << Self.classBits) - 1)), answerSet: answer == 0 ? .max : UInt32(answer - 1),
                  channel: channel, counted: value & (1 << 61) != 0, named: value & (1 << 62) != 0)
    }

}
