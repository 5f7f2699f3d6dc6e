import PnyxCrypto

/// The counts of a poll, folded from its log records in log order.
///
/// One code for the service (which applies each record as it appends it, O(1) per record)
/// and the auditor (which recomputes from scratch). Rules:
/// - record 0 is the poll definition, and only record 0 (`tally.no_definition`);
/// - records arrive at positions 0, 1, 2… (`tally.out_of_order`);
/// - lifecycle: published (the key directory) → opened → closed (`tally.invalid_transition`);
///   moderation events only before opening, certificates only once open, answers any time;
/// - entries only while open (`tally.not_open`), for this poll (`entry.wrong_poll`), with a
///   payload valid for the poll (``EntryPayload/validate(for:)``);
/// - the latest entry of a one-time key (the nullifier) counts; a withdrawal removes it.
///
/// A refused record changes nothing. The tally checks no signature: the service verifies
/// entries before appending them and the auditor verifies every record separately.
public struct Tally: Sendable {
    /// Where the poll is in its life.
    public enum Phase: String, Sendable, Codable { case empty, defined, published, open, closed }

    /// When a threshold was first met: the record that met it.
    public struct Reached: Hashable, Sendable, Codable {
        /// The record's `recordedAt`.
        public let recordedAt: Int64
        /// The log size just after that record (its position + 1).
        public let logSize: UInt64

        public init(recordedAt: Int64, logSize: UInt64) {
            self.recordedAt = recordedAt
            self.logSize = logSize
        }
    }

    public internal(set) var phase: Phase = .empty
    public internal(set) var definition: PollDefinition?
    public internal(set) var directory: KeyDirectory?
    /// Records applied so far (the log size they make).
    public internal(set) var logSize: UInt64 = 0
    /// Entry records applied, superseded ones included.
    public internal(set) var entriesRecorded: UInt64 = 0
    /// Credentials whose latest entry is a signature or vote.
    public internal(set) var participants: UInt64 = 0
    /// Counted signatures that show a partial name.
    public internal(set) var named: UInt64 = 0
    public internal(set) var byChannel: [Channel: UInt64] = [:]
    public internal(set) var byClass: [AttributeClass: UInt64] = [:]
    /// Counted entries per disclosed area code (entries disclosing no area are not listed).
    public internal(set) var byArea: [AreaCode: UInt64] = [:]
    /// Counted entries per disclosed age band.
    public internal(set) var byAgeBand: [AgeBand: UInt64] = [:]
    /// Per question (in definition order), per option: counted votes choosing it.
    public internal(set) var optionCounts: [[UInt64]] = []
    /// Per hour (start, Unix seconds): entries recorded in it and participants after its last record.
    public internal(set) var hourly: [Int64: HourCount] = [:]
    /// Per threshold of the definition: when it was first met.
    public internal(set) var reached: [Reached?] = []
    /// Per `areas` threshold index: areas currently at or above its minimum.
    var areasMeeting: [Int: UInt64] = [:]
    var latest: [Nullifier: Contribution] = [:]
    var classes: [AttributeClass] = []
    var classIndex: [AttributeClass: UInt32] = [:]
    var answerSets: [[Answer]] = []
    var answerSetIndex: [[Answer]: UInt32] = [:]

    /// Entries recorded in an hour, and participants after the hour's last record.
    public struct HourCount: Hashable, Sendable, Codable {
        public internal(set) var entries: UInt64
        public internal(set) var participants: UInt64
    }

    /// An empty tally (nothing applied).
    public init() {}

    /// Folds `records` (positions 0, 1, …) from scratch.
    public init(records: some Sequence<LogRecord>) throws(CoreError) {
        self.init()
        for (position, record) in records.enumerated() { try apply(record: record, position: UInt64(position)) }
    }

    /// Applies the record at `position` (which must be ``logSize``). Throws and changes
    /// nothing if the record is refused.
    public mutating func apply(record: LogRecord, position: UInt64) throws(CoreError) {
        guard position == logSize else {
            throw CoreError(.tallyOutOfOrder, "record at position \(position), expected \(logSize)")
        }
        switch record.body {
        case .definition(let signed):
            guard position == 0 else { throw CoreError(.tallyNoDefinition, "a poll definition at position \(position)") }
            start(with: signed.definition)
        case .lifecycle(let event):
            guard let definition else { throw CoreError(.tallyNoDefinition, "the log does not start with a definition") }
            try apply(event: event, definition: definition)
        case .entry(let entry):
            guard let definition else { throw CoreError(.tallyNoDefinition, "the log does not start with a definition") }
            guard phase == .open else { throw CoreError(.tallyNotOpen, "an entry while the poll is \(phase.rawValue)") }
            guard entry.pollID == definition.pollID else {
                throw CoreError(.entryWrongPoll, "the entry is for poll \(entry.pollID), not \(definition.pollID)")
            }
            try entry.payload.validate(for: definition)
            count(entry, recordedAt: record.recordedAt)
        }
        logSize = position + 1
        checkThresholds(recordedAt: record.recordedAt)
    }

    private mutating func start(with definition: PollDefinition) {
        self.definition = definition
        phase = .defined
        optionCounts = definition.questions.map { [UInt64](repeating: 0, count: $0.options.count) }
        reached = [Reached?](repeating: nil, count: definition.thresholds.count)
        for (index, threshold) in definition.thresholds.enumerated() {
            if case .areas = threshold { areasMeeting[index] = 0 }
        }
    }

    private mutating func apply(event: LifecycleEvent, definition: PollDefinition) throws(CoreError) {
        func refuse() -> CoreError {
            CoreError(.tallyInvalidTransition, "\(event.kind.name) while the poll is \(phase.rawValue)")
        }
        switch event.kind {
        case .published(let signed):
            guard phase == .defined else { throw refuse() }
            guard signed.directory.pollID == definition.pollID else {
                throw CoreError(.directoryInvalid, "the key directory is for poll \(signed.directory.pollID)")
            }
            directory = signed.directory
            phase = .published
        case .opened:
            guard phase == .published else { throw refuse() }
            phase = .open
        case .closed:
            guard phase == .open else { throw refuse() }
            phase = .closed
        case .moderationAccepted, .moderationRejected:
            guard phase == .defined else { throw refuse() }
        case .certified(let signed):
            guard phase == .open || phase == .closed else { throw refuse() }
            guard signed.certificate.pollID == definition.pollID,
                  Int(signed.certificate.thresholdIndex) < definition.thresholds.count else {
                throw CoreError(.certificateInvalid, "the certificate names another poll or no threshold of this one")
            }
        case .answered:
            break
        }
    }
}

/// A one-time key as a fixed-size dictionary key (32 bytes inline, no heap array).
struct Nullifier: Hashable, Sendable {
    let a: UInt64, b: UInt64, c: UInt64, d: UInt64

    init(_ key: Ed25519.PublicKey) {
        let bytes = key.rawRepresentation
        func word(_ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[at + $1]) } }
        a = word(0); b = word(8); c = word(16); d = word(24)
    }
}

/// What one credential's latest entry contributes.
struct Contribution: Sendable {
    /// Index into the tally's interned classes.
    let classIndex: UInt32
    /// Index into the interned answer sets, or `UInt32.max` when not a vote.
    let answerSet: UInt32
    let channel: Channel
    /// True for a signature or a vote; false for a withdrawal.
    let counted: Bool
    let named: Bool
}
