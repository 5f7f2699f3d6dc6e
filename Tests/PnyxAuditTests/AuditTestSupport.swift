import Foundation
import PnyxAudit
import PnyxCore
import PnyxTransparency
import Testing

enum Audit {
    /// Runs `verify` on an export folder (no saved state unless given).
    static func verify(_ directory: String, state: String? = nil, logKey: String? = nil, concurrency: Int? = nil) throws -> AuditReport {
        try PollAuditor(source: .export(directory: directory),
                        options: .init(trustedLogKey: logKey, state: state.map { CheckpointStore(root: $0) }, concurrency: concurrency)).run()
    }

    /// The (code, position) pairs of a report.
    static func codes(_ report: AuditReport) -> Set<String> {
        Set(report.findings.map { $0.code.rawValue })
    }

    static func has(_ report: AuditReport, _ code: FindingCode, at position: Int64?) -> Bool {
        report.findings.contains { $0.code == code && (position == nil || $0.position == position) }
    }

    /// A copy of the export with one file changed.
    static func tampered(_ folder: String, _ path: String, _ change: (inout [UInt8]) throws -> Void) throws -> String {
        let copy = TestFolders.make("tampered")
        try FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: folder, toPath: copy)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: copy + "/" + path)))
        try change(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: copy + "/" + path))
        return copy
    }

    static func read(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    static func write(_ path: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
}

/// One fixture log per process for the tests that only read it.
enum SharedFixture {
    static let clean = try! PollFixture()
    static let cleanExport = try! clean.export()
}
