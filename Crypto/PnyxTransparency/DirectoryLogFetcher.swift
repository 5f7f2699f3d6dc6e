import Foundation

/// A ``LogFetcher`` reading an export from a local folder.
public struct DirectoryLogFetcher: LogFetcher, Sendable {
    /// The export folder.
    public let directory: String

    /// A fetcher for the export in `directory`.
    public init(directory: String) { self.directory = directory }

    public func fetch(_ path: String) throws -> [UInt8] {
        guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
            throw TransparencyError(.exportMissingFile, "refusing path \(path)")
        }
        guard let data = FileManager.default.contents(atPath: directory + "/" + path) else {
            throw TransparencyError(.exportMissingFile, "\(path) is missing from \(directory)")
        }
        return [UInt8](data)
    }
}
