import Foundation
import PnyxLogStore
import PnyxTransparency
import Testing

@Suite("Several OS processes and crashes")
struct ProcessTests {
    /// Parses `<position> <hash hex>` lines.
    static func acknowledged(_ lines: [String]) throws -> [Int64: String] {
        var out: [Int64: String] = [:]
        for line in lines {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let position = Int64(parts[0]), parts[1].count == 64 else {
                throw TestFailure("unexpected output line: \(line)")
            }
            #expect(out[position] == nil, "position \(position) acknowledged twice")
            out[position] = String(parts[1])
        }
        return out
    }

    static func appendArguments(url: String, logID: [UInt8], count: Int, keyFile: String) -> [String] {
        ["log", "append", "--database-url", url, "--log", logID.map { String(format: "%02x", $0) }.joined(),
         "--count", String(count), "--key-file", keyFile]
    }

    @Test("two processes appending to one log at once give one valid chain holding every acknowledged entry")
    func twoProcessesOneChain() async throws {
        let (store, url) = try await LogTestSupport.freshStore()
        let logID = try await LogTestSupport.newLog(store)
        let executable = try LogTestSupport.pnyxExecutable()
        let keyFile = try LogTestSupport.keyFile()
        let a = try ChildProcess(executable, Self.appendArguments(url: url, logID: logID, count: 1500, keyFile: keyFile))
        let b = try ChildProcess(executable, Self.appendArguments(url: url, logID: logID, count: 1500, keyFile: keyFile))
        #expect(await a.waitForExit() == 0)
        #expect(await b.waitForExit() == 0)
        let ackA = try Self.acknowledged(a.completeLines)
        let ackB = try Self.acknowledged(b.completeLines)
        #expect(ackA.count == 1500 && ackB.count == 1500)
        #expect(Set(ackA.keys).isDisjoint(with: ackB.keys))
        let hashes = try await LogTestSupport.checkChain(store, logID)
        #expect(hashes.count == 3000)
        for (position, hex) in ackA.merging(ackB, uniquingKeysWith: { x, _ in x }) {
            #expect(hashes[Int(position)].hex == hex, "position \(position)")
        }
        await store.pool.close()
    }

    @Test("an appender killed with SIGKILL at a random moment loses no acknowledged append")
    func sigkillLosesNothingAcknowledged() async throws {
        let (store, url) = try await LogTestSupport.freshStore()
        let logID = try await LogTestSupport.newLog(store)
        let executable = try LogTestSupport.pnyxExecutable()
        let keyFile = try LogTestSupport.keyFile()
        var totalAcknowledged = 0
        for run in 0..<3 {
            let child = try ChildProcess(executable, Self.appendArguments(url: url, logID: logID, count: 100_000, keyFile: keyFile))
            let target = Int.random(in: 1...2000)
            let deadline = ContinuousClock.now + .seconds(30)
            while child.completeLines.count < target, ContinuousClock.now < deadline, child.process.isRunning {
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...20)))
            }
            kill(child.process.processIdentifier, SIGKILL)
            _ = await child.waitForExit()
            #expect(child.process.terminationReason == .uncaughtSignal, "run \(run) was not killed")
            let acknowledged = try Self.acknowledged(child.completeLines)
            totalAcknowledged += acknowledged.count
            let hashes = try await LogTestSupport.checkChain(store, logID)
            for (position, hex) in acknowledged {
                #expect(position < hashes.count && hashes[Int(position)].hex == hex, "acknowledged \(position) lost")
            }
        }
        #expect(totalAcknowledged > 0)
        // The log keeps working after the crashes.
        let receipt = try await store.append(logID: logID, payload: Array("after".utf8))
        #expect(receipt.position == (try await store.head(logID: logID)).size - 1)
        await store.pool.close()
    }
}
