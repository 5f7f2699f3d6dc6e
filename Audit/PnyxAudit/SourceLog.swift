import Foundation
public import PnyxTransparency

/// The few reads `diff`, `receipt` and `witness` make of a log: its key, its latest signed
/// checkpoint, one entry, and proofs from its tiles (no full scan).
public struct SourceLog {
    /// The log layout.
    public let fetcher: any LogFetcher
    /// The checkpoint verifier key in use (pinned, or the source's `verifier.txt`).
    public let verifierKey: String
    /// The note verifier of ``verifierKey``.
    public let verifier: NoteVerifier

    /// Reads the key: `trustedKey`, or else the source's `verifier.txt`.
    public init(fetcher: any LogFetcher, trustedKey: String?) throws(AuditError) {
        self.fetcher = fetcher
        let text: String
        if let trustedKey {
            text = trustedKey
        } else {
            text = String(decoding: try Self.fetch(fetcher, LogExport.verifierPath), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        do { verifier = try NoteVerifier(verifierKey: text) } catch {
            throw AuditError(.unreadable, "the log's verifier key \"\(text)\": \(error.reason)",
                             hint: "pass the key as <name>+<key id>+<base64 key>")
        }
        verifierKey = text
    }

    /// Opens a checkpoint note signed by the log's key (plus any `others`, such as witness
    /// keys): the checkpoint, or the reason it is refused.
    public func open(_ note: [UInt8], others: [any NoteSignatureVerifier] = []) -> Result<(Note, Checkpoint), TransparencyError> {
        do {
            let set = try NoteVerifierSet([verifier] + others)
            let opened = try set.open(note)
            guard opened.signatures.contains(where: { $0.isSigned(by: verifier.name, keyID: verifier.keyID) }) else {
                return .failure(TransparencyError(.noteUnknownKey, "the checkpoint is not signed by the log's key \(verifier.name)"))
            }
            let checkpoint = try Checkpoint(note: opened)
            guard checkpoint.size <= UInt64(TileMath.maxTreeSize) else {
                return .failure(TransparencyError(.checkpointMalformed, "tree size \(checkpoint.size) is too large"))
            }
            return .success((opened, checkpoint))
        } catch {
            return .failure(error)
        }
    }

    /// The latest checkpoint (`checkpoint`), which must be signed by the log's key: an
    /// unverifiable latest checkpoint makes the source unusable (`audit.unreadable`).
    public func latest() throws(AuditError) -> (note: [UInt8], checkpoint: Checkpoint) {
        let bytes = try Self.fetch(fetcher, LogExport.checkpointPath)
        switch open(bytes) {
        case .success(let (_, checkpoint)): return (bytes, checkpoint)
        case .failure(let error):
            throw AuditError(.unreadable, "the source's latest checkpoint: \(error)",
                             hint: "check that the key is the log's (--log-key)")
        }
    }

    /// The tree of `checkpoint` (≤ the latest, `publishedSize` leaves), read from the tiles.
    public func tree(_ checkpoint: Checkpoint, publishedSize: Int64) -> PublishedTree {
        let point = HistoryCheck.Point(checkpoint)
        return PublishedTree(size: point.size, root: point.root, fetcher: fetcher, publishedSize: publishedSize)
    }

    /// The leaf bytes at `position` of the tree of `publishedSize` leaves.
    public func leaf(at position: Int64, publishedSize: Int64) throws(AuditError) -> [UInt8] {
        let tile: Tile
        do { tile = try Tile.leafTile(leafIndex: position, treeSize: publishedSize) } catch {
            throw AuditError(.unreadable, "no entry \(position) in a log of \(publishedSize)")
        }
        let data = try Self.fetch(fetcher, tile.entriesPath)
        let leaves: [[UInt8]]
        do { leaves = try LogExport.parseEntryBundle(data, count: tile.width, path: tile.entriesPath) } catch {
            throw AuditError(.unreadable, "\(error)")
        }
        return leaves[Int(position - tile.leafRange.lowerBound)]
    }

    static func fetch(_ fetcher: any LogFetcher, _ path: String) throws(AuditError) -> [UInt8] {
        do { return try fetcher.fetch(path) } catch {
            throw PollAuditor.auditError(error, what: path)
        }
    }
}

extension Note.Signature {
    /// True when this line is by the key named `name` (byte-wise) with `keyID`.
    func isSigned(by name: String, keyID: UInt32) -> Bool {
        self.keyID == keyID && Array(self.name.utf8) == Array(name.utf8)
    }
}
