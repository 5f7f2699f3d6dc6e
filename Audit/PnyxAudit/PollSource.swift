public import Foundation
public import PnyxTransparency

/// Where the auditor reads a poll from: the same files over HTTP or in an export folder.
///
/// | what | export folder `DIR` | service `URL`, poll `ID` |
/// |---|---|---|
/// | the log (``LogExport`` layout) | `DIR/` | `URL/polls/ID/log/` |
/// | the published tally (``PnyxCore/TallySummary`` JSON) | `DIR/tally.json` | `URL/polls/ID/tally` |
/// | the issuance register (same layout) | `--register REGDIR` | `BROKER/polls/ID/register/log/` |
///
/// A missing published tally is a note (counts are recomputed but not compared); a missing
/// log file is a fetch failure (exit status 2).
public struct PollSource {
    /// Shown in reports: the folder or URL.
    public let description: String
    /// The poll's log.
    public let log: any LogFetcher
    /// Reads the published tally JSON; returns nil when none is published.
    public let publishedTally: () throws -> [UInt8]?
    /// The broker's issuance register, if given.
    public let register: (any LogFetcher)?

    public init(description: String, log: any LogFetcher, publishedTally: @escaping () throws -> [UInt8]? = { nil },
                register: (any LogFetcher)? = nil) {
        self.description = description
        self.log = log
        self.publishedTally = publishedTally
        self.register = register
    }

    /// An export folder (the log store's exporter writes it), with `tally.json` beside the log
    /// files when the tally is published, and optionally the register's export folder.
    public static func export(directory: String, registerDirectory: String? = nil) -> PollSource {
        PollSource(
            description: directory, log: DirectoryLogFetcher(directory: directory),
            publishedTally: { FileManager.default.contents(atPath: directory + "/tally.json").map { [UInt8]($0) } },
            register: registerDirectory.map { DirectoryLogFetcher(directory: $0) })
    }

    /// A running service (and optionally broker): the log under `service/polls/<poll>/log/`.
    public static func service(_ service: URL, poll: String, broker: URL? = nil, client: HTTPClient = HTTPClient()) -> PollSource {
        let base = service.absoluteString.hasSuffix("/") ? service.absoluteString : service.absoluteString + "/"
        let pollBase = URL(string: base + "polls/\(poll)/")!
        return PollSource(
            description: pollBase.absoluteString,
            log: HTTPLogFetcher(baseURL: URL(string: pollBase.absoluteString + "log/")!, client: client),
            publishedTally: {
                do { return try client.get(URL(string: pollBase.absoluteString + "tally")!) } catch let error as AuditError where error.isNotFound {
                    return nil
                }
            },
            register: broker.map { broker in
                let text = broker.absoluteString.hasSuffix("/") ? broker.absoluteString : broker.absoluteString + "/"
                return HTTPLogFetcher(baseURL: URL(string: text + "polls/\(poll)/register/log/")!, client: client)
            })
    }
}

extension AuditError {
    /// True for an HTTP 404.
    var isNotFound: Bool { code == .fetchFailed && reason.contains("HTTP 404") }
}
