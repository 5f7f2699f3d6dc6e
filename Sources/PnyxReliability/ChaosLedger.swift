import Foundation
import PnyxCore

/// What the load generator saw: every receipt the service returned (an acknowledged entry),
/// the entries in doubt (the connection broke or the service answered 5xx: they may or may
/// not be committed, and are submitted again), and the answers counted by code.
actor ChaosLedger {
    struct Acknowledged: Sendable {
        let entry: PreparedEntry
        let receipt: Receipt
        /// Which service process answered (0: A, 1: B).
        let service: Int
    }

    private var queue: [PreparedEntry]
    private var next = 0
    private var retry: [PreparedEntry] = []
    private var doubtful: Set<[UInt8]> = []
    private(set) var acknowledged: [Acknowledged] = []
    /// Entries in doubt that turned out committed (a resubmission answered `entry.replayed`).
    private(set) var committedInDoubt = 0
    /// Answers by code (`201`, `unreachable`, `db.connection_failed`, …).
    private(set) var answers: [String: Int] = [:]
    /// Refusals that must never happen to a valid, fresh entry.
    private(set) var unexpected: [String] = []

    init(entries: [PreparedEntry]) { queue = entries }

    /// The next entry to submit: those in doubt first.
    func take() -> PreparedEntry? {
        if !retry.isEmpty { return retry.removeFirst() }
        guard next < queue.count else { return nil }
        defer { next += 1 }
        return queue[next]
    }

    var remaining: Int { queue.count - next + retry.count }
    var inDoubt: Int { retry.count }

    func record(_ entry: PreparedEntry, receipt: Receipt, service: Int) {
        answers["201", default: 0] += 1
        acknowledged.append(Acknowledged(entry: entry, receipt: receipt, service: service))
        doubtful.remove(entry.entry.canonicalBytes)
    }

    /// A failed submission: in doubt (submitted again later) or refused for good.
    func record(_ entry: PreparedEntry, error: HTTPProbe.Failure) {
        answers[error.key, default: 0] += 1
        let bytes = entry.entry.canonicalBytes
        if error.isInDoubt {
            doubtful.insert(bytes)
            retry.append(entry)
        } else if error.code == "entry.replayed", doubtful.contains(bytes) {
            committedInDoubt += 1
            doubtful.remove(bytes)
        } else {
            unexpected.append("\(entry.poll.hex.prefix(8)): \(error)")
        }
    }

    /// Puts an entry that was never sent back in front.
    func giveBack(_ entry: PreparedEntry) { retry.insert(entry, at: 0) }
}

/// Paced load: `width` workers submit prepared entries to the given services, at most
/// `rate` per second in all, until told to stop or until the entries run out.
final class LoadDriver: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var sent = 0
    private let started = Date()
    let ledger: ChaosLedger
    let clients: [(Int, HTTPProbe)]
    let rate: Double

    init(ledger: ChaosLedger, clients: [(Int, HTTPProbe)], rate: Double) {
        self.ledger = ledger
        self.clients = clients
        self.rate = rate
    }

    /// The moment the next submission may start.
    private func nextSlot() -> Date {
        lock.withLock {
            defer { sent += 1 }
            return started.addingTimeInterval(Double(sent) / rate)
        }
    }

    func stop() { lock.withLock { stopped = true } }
    private var isStopped: Bool { lock.withLock { stopped } }

    /// Runs the workers until ``stop()``; returns when they all finished their last request.
    func run(width: Int) async {
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<width {
                group.addTask { await self.work(worker) }
            }
        }
    }

    private func work(_ worker: Int) async {
        var turn = worker
        while !isStopped {
            let wait = nextSlot().timeIntervalSinceNow
            if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
            if isStopped { return }
            guard let entry = await ledger.take() else { return }
            let (service, client) = clients[turn % clients.count]
            turn += 1
            do {
                let receipt: Receipt = try await client.json("POST", "polls/\(entry.poll.hex)/entries", entry.entry)
                await ledger.record(entry, receipt: receipt, service: service)
            } catch {
                let failure = probeFailure(error)
                await ledger.record(entry, error: failure)
                // The service is down or its database is: do not spin.
                if failure.isInDoubt { try? await Task.sleep(for: .milliseconds(25)) }
            }
        }
    }
}
