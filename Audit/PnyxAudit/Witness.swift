public import Foundation
public import PnyxTransparency
import PnyxCrypto

/// `pnyx-audit witness`: follows a log, checks that each new checkpoint extends the last one
/// it cosigned (an RFC 9162 consistency proof from the published tiles), cosigns it
/// (c2sp.org/tlog-cosignature, type 0x04) and submits the cosignature line to the service
/// (`POST …/polls/<poll>/log/cosignatures?size=<size>`, body: the signature line, `text/plain`).
///
/// It never cosigns a checkpoint that does not extend the previous one: a split view shows as
/// a `history.forked` finding instead, and the witness keeps its last checkpoint.
public struct Witness {
    /// What one step did.
    public enum Outcome: Sendable {
        /// A new checkpoint was proved consistent and cosigned: the cosignature line.
        case cosigned(line: String, checkpoint: Checkpoint)
        /// The latest checkpoint is the one cosigned last time.
        case unchanged(Checkpoint)
        /// The latest checkpoint does not extend the previous one: not cosigned.
        case refused(Finding)
    }

    public let cosigner: Cosigner
    public let log: SourceLog
    /// Where the last cosigned checkpoint is kept.
    public let state: CheckpointStore
    /// Where to POST cosignatures (nil: do not submit, print only).
    public let submitURL: URL?
    public let client: HTTPClient

    public init(cosigner: Cosigner, log: SourceLog, state: CheckpointStore, submitURL: URL?, client: HTTPClient = HTTPClient()) {
        self.cosigner = cosigner
        self.log = log
        self.state = state
        self.submitURL = submitURL
        self.client = client
    }

    /// The witness's decision, as a pure function: cosign `latest` at `timestamp` if it
    /// extends `previous` (nil on first use: trusted as first seen), else the finding.
    public static func decide(previous: Checkpoint?, latest: Checkpoint, tree: PublishedTree, cosigner: Cosigner,
                              timestamp: UInt64) -> Outcome {
        let new = HistoryCheck.Point(latest)
        if let previous {
            let old = HistoryCheck.Point(previous)
            if old == new { return .unchanged(latest) }
            if let finding = HistoryCheck.check(old: old, new: new, newTree: tree) { return .refused(finding) }
        }
        guard let line = try? cosigner.cosign(latest, timestamp: timestamp) else {
            return .refused(Finding(.checkpointMalformed, log: "history", "the checkpoint cannot be cosigned at time \(timestamp)"))
        }
        return .cosigned(line: line.line, checkpoint: latest)
    }

    /// One step: read the latest checkpoint, decide, save and submit. Throws ``AuditError``
    /// when the log cannot be read, the state cannot be written, or the submission fails.
    public func step(timestamp: UInt64) throws(AuditError) -> Outcome {
        let latest = try log.latest()
        let origin = latest.checkpoint.origin
        var previous: Checkpoint? = nil
        if let saved = try state.latest(origin: origin), case .success(let (_, checkpoint)) = log.open(saved.note) {
            previous = checkpoint
        }
        let tree = log.tree(latest.checkpoint, publishedSize: HistoryCheck.Point(latest.checkpoint).size)
        let outcome = Self.decide(previous: previous, latest: latest.checkpoint, tree: tree, cosigner: cosigner, timestamp: timestamp)
        if case .cosigned(let line, let checkpoint) = outcome {
            try state.save(origin: origin, size: Int64(checkpoint.size), note: latest.note)
            if let submitURL {
                _ = try client.post(Self.submission(submitURL, size: checkpoint.size), body: Array(line.utf8))
            }
        }
        return outcome
    }
}

extension Witness {
    /// `url` with `size=<size>` added to its query: the service checks the line against its
    /// checkpoint of exactly that size (the latest may have moved on meanwhile).
    public static func submission(_ url: URL, size: UInt64) -> URL {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url }
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "size", value: String(size))]
        return components.url ?? url
    }

    /// A new witness key named `name`: the signer key (secret, for `--key`) and the verifier
    /// key (public, for `--witness-key` and the service's list of witnesses).
    public static func generateKey(name: String) throws(AuditError) -> (signerKey: String, verifierKey: String) {
        do {
            let cosigner = try Cosigner(name: name, privateKey: Ed25519.PrivateKey())
            return (cosigner.signerKey, cosigner.verifier.verifierKey)
        } catch {
            throw AuditError(.usage, "invalid witness name \"\(name)\": \(error.reason)", hint: "use a name without spaces or +")
        }
    }

    /// Reads a cosigner from a key file holding `PRIVATE+KEY+<name>+<id>+<base64>`.
    public static func cosigner(keyFile path: String) throws(AuditError) -> Cosigner {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuditError(.unreadable, "cannot read the witness key file \(path)", hint: "make one with `pnyx-audit keygen NAME`")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        do { return try Cosigner(signerKey: text) } catch {
            throw AuditError(.unreadable, "\(path) is not a witness signer key: \(error.reason)", hint: "make one with `pnyx-audit keygen NAME`")
        }
    }
}
