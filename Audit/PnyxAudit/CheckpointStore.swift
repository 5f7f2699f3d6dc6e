import PnyxTransparency
import Foundation

/// The checkpoints an auditor (or witness) verified, kept between runs so the next run can
/// prove the log only grew.
///
/// Layout: `<root>/<origin, with every byte other than [A-Za-z0-9._-] as %XX>/<tree size>`,
/// each file the signed checkpoint note as it was verified (signatures included). The default
/// root is `~/.pnyx-audit` (``defaultRoot``); `--state DIR` overrides it.
public struct CheckpointStore: Sendable {
    /// The folder holding one folder per log origin.
    public let root: String

    /// `$HOME/.pnyx-audit`.
    public static var defaultRoot: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + "/.pnyx-audit"
    }

    public init(root: String = CheckpointStore.defaultRoot) { self.root = root }

    /// The folder of one log.
    public func folder(origin: String) -> String {
        var name = ""
        for byte in origin.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                name.append(Character(UnicodeScalar(byte)))
            default:
                name += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        if name.hasPrefix(".") { name = "%2E" + name.dropFirst() }
        return root + "/" + name
    }

    /// The largest saved checkpoint of `origin` (its note bytes), or nil when none is saved.
    public func latest(origin: String) throws(AuditError) -> (size: Int64, note: [UInt8])? {
        let folder = folder(origin: origin)
        guard FileManager.default.fileExists(atPath: folder) else { return nil }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw AuditError(.stateUnusable, "cannot list \(folder): \(error.localizedDescription)")
        }
        guard let size = names.compactMap({ Int64($0) }).max() else { return nil }
        guard let data = FileManager.default.contents(atPath: folder + "/\(size)") else {
            throw AuditError(.stateUnusable, "cannot read \(folder)/\(size)")
        }
        return (size, [UInt8](data))
    }

    /// Saves a verified checkpoint note (overwriting one of the same size).
    public func save(origin: String, size: Int64, note: [UInt8]) throws(AuditError) {
        let folder = folder(origin: origin)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(note).write(to: URL(fileURLWithPath: folder + "/\(size)"), options: .atomic)
        } catch {
            throw AuditError(.stateUnusable, "cannot save a checkpoint in \(folder): \(error.localizedDescription)",
                             hint: "pass --state DIR with a writable folder")
        }
    }
}

extension String {
    fileprivate func leftPadded(to count: Int) -> String {
        self.count >= count ? self : String(repeating: "0", count: count - self.count) + self
    }
}
