import Testing
import PnyxCore
import PnyxCrypto

/// Tally folding: entries carry fake credentials (the tally checks no signature).
@Suite("Tally")
struct TallyTests {
    static let opensAt: Int64 = 1_700_000_000

    static func directory(for poll: PollDefinition, eligible: UInt64 = 10) -> SignedKeyDirectory {
        let directory = try! KeyDirectory(pollID: poll.pollID, issuedAt: 0, entries: [
            .init(attributeClass: .anonymous, publicKey: CoreRSA.key.publicKey, eligibleCount: eligible),
        ], k: 5)
        return SignedKeyDirectory(signing: directory, with: CoreFixtures.brokerKey)
    }

    static func start(_ poll: PollDefinition, eligible: UInt64 = 10) -> [LogRecord] {
        [
            LogRecord(recordedAt: opensAt - 100, body: .definition(try! SignedPollDefinition(signing: poll, with: CoreFixtures.serviceKey))),
            LogRecord(recordedAt: opensAt - 50, body: .lifecycle(LifecycleEvent(kind: .published(directory(for: poll, eligible: eligible)), at: opensAt - 50))),
            LogRecord(recordedAt: opensAt, body: .lifecycle(LifecycleEvent(kind: .opened, at: opensAt))),
        ]
    }

    static func entry(_ key: Ed25519.PrivateKey, _ payload: EntryPayload, channel: Channel = .online,
                      area: String? = nil, band: AgeBand? = nil, at time: Int64 = opensAt + 60) -> LogRecord {
        let credential = Credential(attributeClass: try! AttributeClass(areaCode: area, ageBand: band),
                                    keyID: try! KeyID(bytes: [UInt8](repeating: 1, count: 32)), oneTimeKey: key.publicKey,
                                    prefix: [UInt8](repeating: 0, count: 32), signature: [1])
        let entry = try! Entry(pollID: CoreFixtures.pollID, credential: credential, channel: channel, payload: payload, signingWith: key)
        return LogRecord(recordedAt: time, body: .entry(entry))
    }

    static func keys(_ count: Int) -> [Ed25519.PrivateKey] {
        (0..<count).map { try! Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8(0x40 + $0), count: 32)) }
    }

    @Test func latestEntryPerCredentialCountsAndWithdrawRemoves() throws {
        let k = Self.keys(3)
        var records = Self.start(CoreFixtures.petition)
        records += [
            Self.entry(k[0], .sign(nil)),
            Self.entry(k[1], .sign(nil), channel: .kiosk),
            Self.entry(k[0], .sign(nil)),        // again: still one
            Self.entry(k[1], .withdraw),         // withdrawn
            Self.entry(k[2], .sign(nil), channel: .paper),
        ]
        let tally = try Tally(records: records)
        #expect(tally.participants == 2)
        #expect(tally.entriesRecorded == 5)
        #expect(tally.byChannel == [.online: 1, .paper: 1])
        #expect(tally.logSize == 8)
        #expect(tally.reached == [nil])
    }

    @Test func thresholdsReachedAtTheRightLogSize() throws {
        let k = Self.keys(4)
        var records = Self.start(CoreFixtures.petition)  // absolute 3
        records += [
            Self.entry(k[0], .sign(nil), at: Self.opensAt + 60),
            Self.entry(k[1], .sign(nil), at: Self.opensAt + 120),
            Self.entry(k[1], .withdraw, at: Self.opensAt + 180),
            Self.entry(k[2], .sign(nil), at: Self.opensAt + 3_600),
            Self.entry(k[3], .sign(nil), at: Self.opensAt + 3_660),   // 3rd participant: log size 8
            Self.entry(k[3], .withdraw, at: Self.opensAt + 3_720),    // below again: stays reached
        ]
        let tally = try Tally(records: records)
        #expect(tally.reached == [Tally.Reached(recordedAt: Self.opensAt + 3_660, logSize: 8)])
        #expect(!tally.isMet(threshold: 0))
        let summary = tally.summary
        #expect(summary.thresholds.first?.current == 2)
        #expect(summary.hourly.map(\.entries) == [3, 3])
        #expect(summary.hourly.map(\.participants) == [1, 2])
    }

    @Test func perClassOptionsAndAreaThresholds() throws {
        let poll = CoreFixtures.consultation  // share 50 % of 10 eligible; 2 per area in 2 areas
        let k = Self.keys(6)
        func vote(_ a: UInt16, _ b: Set<UInt16>) -> EntryPayload {
            .vote([Answer(questionID: 1, choices: [a]), Answer(questionID: 2, choices: b), Answer(questionID: 3, choices: [0])])
        }
        var records = Self.start(poll)
        records += [
            Self.entry(k[0], vote(0, [1]), area: "1", band: .from18to24),
            Self.entry(k[1], vote(1, [1, 2]), area: "1", band: .from65),
            Self.entry(k[2], vote(1, []), area: "2"),
            Self.entry(k[3], vote(2, [3]), area: "2"),          // area threshold reached: size 7
            Self.entry(k[0], vote(2, [0]), area: "1", band: .from18to24),  // changes its vote
            Self.entry(k[4], vote(2, []), channel: .paper),      // 5th of 10 eligible: size 9
        ]
        let tally = try Tally(records: records)
        #expect(tally.participants == 5)
        #expect(tally.optionCounts == [[0, 2, 3], [1, 1, 1, 1], [5, 0]])
        #expect(tally.byArea == ["1": 2, "2": 2])
        #expect(tally.byAgeBand == [.from18to24: 1, .from65: 1])
        #expect(tally.byClass[try AttributeClass(areaCode: "1", ageBand: .from18to24)] == 1)
        #expect(tally.byChannel == [.online: 4, .paper: 1])
        #expect(tally.reached == [Tally.Reached(recordedAt: Self.opensAt + 60, logSize: 9),
                                  Tally.Reached(recordedAt: Self.opensAt + 60, logSize: 7)])
        #expect(tally.progress(ofThreshold: 0).target == 5)
    }

    @Test func incrementalEqualsFromScratch() throws {
        let k = Self.keys(5)
        var records = Self.start(CoreFixtures.petition)
        for index in 0..<20 {
            records.append(Self.entry(k[index % 5], index % 3 == 2 ? .withdraw : .sign(nil),
                                      channel: index % 4 == 0 ? .kiosk : .online, area: "7505\(index % 2)",
                                      at: Self.opensAt + Int64(index) * 600))
        }
        var incremental = Tally()
        for (position, record) in records.enumerated() {
            try incremental.apply(record: record, position: UInt64(position))
            let prefix = try Tally(records: records[...position])
            #expect(try incremental.summary.jsonBytes() == prefix.summary.jsonBytes())
        }
    }

    @Test func refusedRecordsChangeNothing() throws {
        let k = Self.keys(1)
        var tally = try Tally(records: Self.start(CoreFixtures.petition).prefix(2))
        let before = try tally.summary.jsonBytes()
        expectCoreError(.tallyNotOpen) { try tally.apply(record: Self.entry(k[0], .sign(nil)), position: 2) }
        expectCoreError(.tallyOutOfOrder) { try tally.apply(record: Self.start(CoreFixtures.petition)[2], position: 5) }
        expectCoreError(.tallyInvalidTransition) {
            try tally.apply(record: LogRecord(recordedAt: 0, body: .lifecycle(LifecycleEvent(kind: .closed, at: 0))), position: 2)
        }
        expectCoreError(.tallyNoDefinition) { try tally.apply(record: Self.start(CoreFixtures.petition)[0], position: 2) }
        #expect(try tally.summary.jsonBytes() == before)
        try tally.apply(record: Self.start(CoreFixtures.petition)[2], position: 2)
        expectCoreError(.entryWrongPayload) {
            try tally.apply(record: Self.entry(k[0], .vote([])), position: 3)
        }
        expectCoreError(.tallyNoDefinition) { var empty = Tally(); try empty.apply(record: Self.entry(k[0], .sign(nil)), position: 0) }
    }

    @Test func summaryJSONIsDeterministicWithSortedKeys() throws {
        let tally = try Tally(records: Self.start(CoreFixtures.petition) + [Self.entry(Self.keys(1)[0], .sign(nil), area: "75056")])
        let json = String(decoding: try tally.summary.jsonBytes(), as: UTF8.self)
        #expect(json.hasPrefix("{\"byAgeBand\":{},\"byArea\":{\"75056\":1},\"byChannel\":{\"online\":1},"))
        #expect(try TallySummary(jsonBytes: tally.summary.jsonBytes()) == tally.summary)
    }
}
