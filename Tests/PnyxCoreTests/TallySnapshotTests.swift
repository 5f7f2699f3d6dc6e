import Testing
import PnyxCore
import PnyxCrypto

/// The service's way of folding (aggregates restored from a snapshot, each credential's
/// latest contribution from outside memory) gives the auditor's counts.
@Suite("Tally snapshots and stored contributions")
struct TallySnapshotTests {
    /// Folds `records` in batches of `batch` as the service does: per batch, restore the
    /// snapshot (JSON round trip), restore the contributions of the batch's one-time keys
    /// from `store`, apply, take them back into `store`.
    static func foldLikeTheService(_ records: [LogRecord], definition: PollDefinition, batch: Int) throws -> (Tally, [[UInt8]: Int64]) {
        var store: [[UInt8]: Int64] = [:]
        var snapshot = Tally().snapshot
        var directory: KeyDirectory?
        var tally = Tally()
        var start = 0
        while start < records.count {
            let slice = records[start..<min(records.count, start + batch)]
            tally = try Tally(snapshot: try Tally.Snapshot(jsonBytes: try snapshot.jsonBytes()),
                              definition: snapshot.phase == .empty ? nil : definition, directory: directory)
            let keys = slice.compactMap { record -> [UInt8]? in
                if case .entry(let entry) = record.body { return entry.nullifier.rawRepresentation }
                return nil
            }
            try tally.restoreLatest(keys.compactMap { key in store[key].map { (key, $0) } })
            for record in slice { try tally.apply(record: record, position: tally.logSize) }
            for (key, value) in tally.takeLatest() { store[key] = value }
            #expect(tally.latestCount == 0)
            snapshot = tally.snapshot
            directory = tally.directory
            start += slice.count
        }
        return (tally, store)
    }

    @Test(arguments: [1, 2, 3, 7, 100])
    func batchedWithStoredContributionsEqualsAFold(batch: Int) throws {
        let poll = CoreFixtures.consultation
        let k = TallyTests.keys(6)
        func vote(_ a: UInt16, _ b: Set<UInt16>) -> EntryPayload {
            .vote([Answer(questionID: 1, choices: [a]), Answer(questionID: 2, choices: b), Answer(questionID: 3, choices: [0])])
        }
        var records = TallyTests.start(poll)
        records += [
            TallyTests.entry(k[0], vote(0, [1]), area: "1", band: .from18to24),
            TallyTests.entry(k[1], vote(1, [1, 2]), area: "1", band: .from65),
            TallyTests.entry(k[2], vote(1, []), area: "2"),
            TallyTests.entry(k[3], vote(2, [3]), area: "2", at: TallyTests.opensAt + 4_000),
            TallyTests.entry(k[0], vote(2, [0]), area: "1", band: .from18to24),
            TallyTests.entry(k[4], vote(2, []), channel: .paper),
            TallyTests.entry(k[1], .withdraw, area: "1", band: .from65, at: TallyTests.opensAt + 8_000),
            TallyTests.entry(k[3], .withdraw, area: "2"),
            TallyTests.entry(k[3], vote(0, [0, 2]), area: "2"),
            TallyTests.entry(k[5], vote(1, [2]), channel: .kiosk, area: "3"),
        ]
        let full = try Tally(records: records)
        let (batched, store) = try Self.foldLikeTheService(records, definition: poll, batch: batch)
        #expect(batched.summary == full.summary)
        #expect(batched.snapshot == full.snapshot)
        #expect(store.count == full.latestCount)
        for (key, value) in store { #expect(full.latestContribution(of: key) == value) }
        // A withdrawn credential's stored contribution is not counted, and differs from a vote's.
        #expect(store[k[1].publicKey.rawRepresentation] != store[k[0].publicKey.rawRepresentation])
    }

    @Test func restoreRefusesWhatDoesNotFit() throws {
        var records = TallyTests.start(CoreFixtures.petition)
        records.append(TallyTests.entry(TallyTests.keys(1)[0], .sign(nil)))
        var tally = try Tally(records: records)
        let snapshot = tally.snapshot
        #expect(throws: CoreError.self) { _ = try Tally(snapshot: snapshot, definition: nil, directory: nil) }
        #expect(throws: CoreError.self) { _ = try Tally(snapshot: snapshot, definition: CoreFixtures.consultation, directory: tally.directory) }
        var restored = try Tally(snapshot: snapshot, definition: CoreFixtures.petition, directory: tally.directory)
        #expect(restored.summary == tally.summary)
        let taken = tally.takeLatest()
        #expect(taken.count == 1)
        // A contribution naming a class the tally never interned, a bad key length, a negative value.
        #expect(throws: CoreError.self) { try restored.restoreLatest([(taken[0].nullifier, taken[0].contribution | 5)]) }
        #expect(throws: CoreError.self) { try restored.restoreLatest([([1, 2, 3], taken[0].contribution)]) }
        #expect(throws: CoreError.self) { try restored.restoreLatest([(taken[0].nullifier, Int64(-1))]) }
        try restored.restoreLatest(taken)
        #expect(restored.latestCount == 1)
    }
}
