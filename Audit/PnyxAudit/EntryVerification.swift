import Foundation
import PnyxCore
import PnyxCrypto

/// The signature checks of one entry, independent of every other entry (so they run on all
/// cores): the one-time key's Ed25519 signature, the partial name's broker attestation, and
/// the credential as a plain RSA-PSS verification under its class key.
struct EntryJob: Sendable {
    let position: Int64
    let entry: Entry
    /// The key directory in force when the entry was recorded (nil: none published yet).
    let directory: KeyDirectory?
    let brokerKey: Ed25519.PublicKey
    /// False when the same credential was already verified at an earlier entry (a re-vote).
    let verifyCredential: Bool

    /// The findings of this entry, and which checks passed.
    func run() -> (findings: [Finding], credentialVerified: Bool, signatureVerified: Bool) {
        var findings: [Finding] = []
        let signatureOK = entry.credential.oneTimeKey.isValidSignature(entry.signature, for: entry.signedBytes)
        if !signatureOK {
            findings.append(Finding(.entryInvalidSignature, position: position,
                                    "the entry's Ed25519 signature by its one-time key does not verify",
                                    computed: Hex.encode(entry.credential.oneTimeKey.rawRepresentation)))
        }
        if case .sign(let name?) = entry.payload {
            do {
                try NameAttestation(pollID: entry.pollID, oneTimeKey: entry.credential.oneTimeKey, partialName: name.name)
                    .verify(name.attestation, brokerKey: brokerKey)
            } catch {
                findings.append(Finding(.entryInvalidName, position: position,
                                        "the partial name \"\(name.name)\" is not attested by the poll's broker: \(error.reason)"))
            }
        }
        var credentialOK = false
        if verifyCredential {
            if let directory {
                do {
                    try entry.credential.verify(directory: directory, pollID: entry.pollID)
                    credentialOK = true
                } catch {
                    findings.append(Self.credentialFinding(error, entry: entry, directory: directory, position: position))
                }
            } else {
                findings.append(Finding(.credentialUnknownKey, position: position,
                                        "no key directory was published before this entry, so its credential cannot be checked"))
            }
        }
        return (findings, credentialOK, signatureOK)
    }

    private static func credentialFinding(_ error: CoreError, entry: Entry, directory: KeyDirectory, position: Int64) -> Finding {
        let credential = entry.credential
        switch error.code {
        case .credentialUnknownKey:
            return Finding(.credentialUnknownKey, position: position, "the credential names key \(credential.keyID), which is not in the key directory",
                           computed: credential.keyID.hex)
        case .credentialClassMismatch:
            return Finding(.credentialClassMismatch, position: position,
                           "the credential claims class \(credential.attributeClass) but names the key of another class",
                           expected: directory.entry(for: credential.attributeClass)?.keyID.hex ?? "no key for \(credential.attributeClass)",
                           computed: credential.keyID.hex)
        case .directoryInvalid:
            return Finding(.entryWrongPoll, position: position, "the credential is for poll \(entry.pollID), not \(directory.pollID)",
                           expected: directory.pollID.hex, computed: entry.pollID.hex)
        default:
            return Finding(.credentialInvalidSignature, position: position,
                           "the credential's RSA-PSS signature does not verify under the key of class \(credential.attributeClass)",
                           expected: "a valid RSASSA-PSS signature under key \(credential.keyID.hex)")
        }
    }
}

/// Runs ``EntryJob``s in batches on every core while the caller goes on reading the log: one
/// batch verifies in the background while the next one fills.
final class EntryVerificationPipeline: @unchecked Sendable {
    private let collector: FindingCollector
    private let concurrency: Int
    private let batchSize: Int
    private var pending: [EntryJob] = []
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var credentials: Int64 = 0
    private var signatures: Int64 = 0

    init(collector: FindingCollector, concurrency: Int, batchSize: Int = 2_048) {
        self.collector = collector
        self.concurrency = max(1, concurrency)
        self.batchSize = max(1, batchSize)
        pending.reserveCapacity(self.batchSize)
    }

    func add(_ job: EntryJob) {
        pending.append(job)
        if pending.count >= batchSize { submit() }
    }

    /// Verifies what is left and waits for every batch.
    func finish() -> (credentialsVerified: Int64, signaturesVerified: Int64) {
        submit()
        group.wait()
        lock.lock()
        defer { lock.unlock() }
        return (credentials, signatures)
    }

    private func submit() {
        group.wait()  // one batch in flight at a time: memory stays bounded
        guard !pending.isEmpty else { return }
        let batch = pending
        pending = []
        pending.reserveCapacity(batchSize)
        let chunks = min(batch.count, concurrency * 4)
        group.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var credentials: Int64 = 0, signatures: Int64 = 0
                var index = chunk
                while index < batch.count {
                    let result = batch[index].run()
                    for finding in result.findings { collector.add(finding) }
                    if result.credentialVerified { credentials += 1 }
                    if result.signatureVerified { signatures += 1 }
                    index += chunks
                }
                lock.lock()
                self.credentials += credentials
                self.signatures += signatures
                lock.unlock()
            }
            group.leave()
        }
    }
}
