import Foundation
import PnyxTransparency

/// `pnyx-audit diff OLD NEW`: proves by hand that the checkpoint NEW extends the checkpoint
/// OLD (both signed by the log's key): an RFC 9162 consistency proof computed from the tiles
/// the source publishes (its latest tree must include NEW), verified against both roots.
/// A rewritten or forked history is a `history.forked` finding.
public struct CheckpointDiff {
    /// The log the proof is computed from.
    public let log: SourceLog

    public init(log: SourceLog) { self.log = log }

    /// Compares two signed checkpoint notes. Throws ``AuditError`` when the source cannot be read.
    public func run(old oldNote: [UInt8], new newNote: [UInt8], source: String) throws(AuditError) -> AuditReport {
        let collector = FindingCollector()
        var established: [String] = []
        var opened: [Checkpoint] = []
        for (label, note) in [("OLD", oldNote), ("NEW", newNote)] {
            switch log.open(note) {
            case .success(let (_, checkpoint)):
                opened.append(checkpoint)
                established.append("\(label) (size \(checkpoint.size)) is signed by the log's key \(log.verifier.name)")
            case .failure(let error):
                collector.add(Finding(.checkpointBadSignature, log: "history", "\(label) is not a checkpoint signed by the log's key: \(error)"))
            }
        }
        var report = AuditReport(command: "diff", source: source, collector: collector)
        guard opened.count == 2 else {
            report.established = established
            return report
        }
        let (old, new) = (opened[0], opened[1])
        if !(Array(old.origin.utf8) == Array(new.origin.utf8)) {
            collector.add(Finding(.checkpointWrongOrigin, log: "history", "OLD and NEW are checkpoints of different logs",
                                  expected: old.origin, computed: new.origin))
        } else {
            let publishedSize = old.size == new.size ? Int64(new.size) : Int64(try log.latest().checkpoint.size)
            guard Int64(new.size) <= publishedSize else {
                throw AuditError(.unreadable, "the source publishes \(publishedSize) entries, fewer than NEW's \(new.size): no tiles to prove from",
                                 hint: "point --export or --service at a log that includes NEW")
            }
            if let finding = HistoryCheck.check(old: HistoryCheck.Point(old), new: HistoryCheck.Point(new),
                                                newTree: log.tree(new, publishedSize: publishedSize)) {
                collector.add(finding)
            } else {
                established.append(old.size == new.size
                    ? "OLD and NEW are the same tree (size \(new.size), root \(HistoryCheck.Point(new).root.hex))"
                    : "NEW (size \(new.size)) extends OLD (size \(old.size)): the first \(old.size) entries are unchanged (RFC 9162 consistency proof from the published tiles)")
            }
        }
        report = AuditReport(command: "diff", source: source, collector: collector)
        report.origin = new.origin
        report.treeSize = Int64(new.size)
        report.rootHash = HistoryCheck.Point(new).root.hex
        report.established = established
        return report
    }
}
