#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The published form of a ``Tally``: plain counts, JSON with sorted keys (deterministic).
public struct TallySummary: Hashable, Sendable, Codable {
    /// One question's counts, options in definition order.
    public struct QuestionCounts: Hashable, Sendable, Codable {
        public let questionID: UInt16
        public let options: [UInt64]
    }

    /// One hour of history.
    public struct Hour: Hashable, Sendable, Codable {
        /// The hour's start, Unix seconds UTC.
        public let hour: Int64
        public let entries: UInt64
        public let participants: UInt64
    }

    /// One threshold's progress.
    public struct ThresholdState: Hashable, Sendable, Codable {
        public let index: Int
        public let threshold: Threshold
        public let current: UInt64
        /// `nil` while not computable (share of eligible before the key directory).
        public let target: UInt64?
        public let met: Bool
        /// When it was first met (it stays reached if withdrawals later take it below).
        public let reached: Tally.Reached?
    }

    public let pollID: PollID?
    public let phase: Tally.Phase
    public let logSize: UInt64
    public let entriesRecorded: UInt64
    public let participants: UInt64
    public let named: UInt64
    public let eligible: UInt64
    /// Keyed by channel name: online, kiosk, paper (kept apart).
    public let byChannel: [String: UInt64]
    /// Keyed by class text (`area=…;age=…`, `*`).
    public let byClass: [String: UInt64]
    public let byArea: [String: UInt64]
    public let byAgeBand: [String: UInt64]
    public let questions: [QuestionCounts]
    /// Hours in increasing order.
    public let hourly: [Hour]
    public let thresholds: [ThresholdState]

    /// Deterministic JSON: sorted keys, no extra whitespace.
    public func jsonBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// Parses published JSON.
    public init(jsonBytes: [UInt8]) throws {
        self = try JSONDecoder().decode(TallySummary.self, from: Data(jsonBytes))
    }

    init(_ tally: Tally) {
        pollID = tally.definition?.pollID
        phase = tally.phase
        logSize = tally.logSize
        entriesRecorded = tally.entriesRecorded
        participants = tally.participants
        named = tally.named
        eligible = tally.eligible
        byChannel = Dictionary(uniqueKeysWithValues: tally.byChannel.map { ($0.key.name, $0.value) })
        byClass = Dictionary(uniqueKeysWithValues: tally.byClass.map { ($0.key.text, $0.value) })
        byArea = tally.byArea
        byAgeBand = Dictionary(uniqueKeysWithValues: tally.byAgeBand.map { ($0.key.rawValue, $0.value) })
        questions = zip(tally.definition?.questions ?? [], tally.optionCounts).map {
            QuestionCounts(questionID: $0.id, options: $1)
        }
        hourly = tally.hourly.sorted { $0.key < $1.key }.map {
            Hour(hour: $0.key, entries: $0.value.entries, participants: $0.value.participants)
        }
        thresholds = (tally.definition?.thresholds ?? []).enumerated().map { index, threshold in
            let progress = tally.progress(ofThreshold: index)
            return ThresholdState(index: index, threshold: threshold, current: progress.current, target: progress.target,
                                  met: tally.isMet(threshold: index), reached: tally.reached[index])
        }
    }
}

extension Tally {
    /// The published counts.
    public var summary: TallySummary { TallySummary(self) }
}
