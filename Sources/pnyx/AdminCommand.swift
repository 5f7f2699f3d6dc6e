import ArgumentParser
import Foundation
import PnyxClient
import PnyxCrypto

/// `pnyx admin …`: the administration's command line over the service's HTTP API.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Administer polls on a petition service: create, publish, open, close, moderate, certify, countersign, export.",
        discussion: """
            The admin token is read from --token-file, else from PNYX_ADMIN_TOKEN. Errors print the \
            service's stable code and reason and exit with status 1.
            """,
        subcommands: [
            AdminCreate.self, AdminPublish.self, AdminOpen.self, AdminClose.self, AdminProposals.self, AdminAccept.self,
            AdminReject.self, AdminCertify.self, AdminCountersign.self, AdminExport.self, AdminKeygen.self,
        ])
}

/// The service address and the admin token, shared by the subcommands.
struct AdminConnection: ParsableArguments {
    @Option(help: "The service's base URL.") var service: String = "http://127.0.0.1:8080"
    @Option(help: "A file holding the admin token (default: the PNYX_ADMIN_TOKEN variable).") var tokenFile: String?

    func client() throws -> AdminClient {
        guard let url = URL(string: service), url.scheme == "http" || url.scheme == "https" else {
            throw ValidationError("--service must be an http(s) URL")
        }
        return AdminClient(serviceURL: url, token: try token())
    }

    func token() throws -> String {
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw ValidationError("cannot read the token file \(tokenFile)")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw ValidationError("the token file \(tokenFile) is empty") }
            return token
        }
        guard let token = ProcessInfo.processInfo.environment["PNYX_ADMIN_TOKEN"], !token.isEmpty else {
            throw ValidationError("no admin token: pass --token-file or set PNYX_ADMIN_TOKEN")
        }
        return token
    }
}

/// Runs `body`, printing a ``ClientError`` as `error: code (HTTP n): reason` and exiting 1.
func adminRun(_ body: () async throws -> Void) async throws {
    do { try await body() } catch let error as ClientError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// Prints `value` as indented JSON (sorted keys).
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

func printPoll(_ poll: AdminClient.Poll) { print("\(poll.pollID) \(poll.status) \(poll.kind) \(poll.title)") }

struct AdminCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a draft poll from a JSON draft file; prints '<poll id> <status> <kind> <title>'.")
    @OptionGroup var connection: AdminConnection
    @Argument(help: "The PollDraft JSON file (docs/API.md).") var draft: String

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: draft) else { throw ValidationError("cannot read \(draft)") }
        try await adminRun { printPoll(try await connection.client().create(draftJSON: data)) }
    }
}

struct AdminPublish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "publish", abstract: "Publish a draft (registers it with the broker).")
    @OptionGroup var connection: AdminConnection
    @Argument(help: "The poll id.") var poll: String
    func run() async throws { try await adminRun { printPoll(try await connection.client().publish(poll)) } }
}

struct AdminOpen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "open", abstract: "Open a published poll now.")
    @OptionGroup var connection: AdminConnection
    @Argument(help: "The poll id.") var poll: String
    func run() async throws { try await adminRun { printPoll(try await connection.client().open(poll)) } }
}

struct AdminClose: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close", abstract: "Close an open poll now.")
    @OptionGroup var connection: AdminConnection
    @Argument(help: "The poll id.") var poll: String
    func run() async throws { try await adminRun { printPoll(try await connection.client().close(poll)) } }
}

struct AdminProposals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposals", abstract: "List citizens' proposals: '<id> <status> <title>' (and the reason or poll id).")
    @OptionGroup var connection: AdminConnection
    @Option(help: "Only pending, accepted or rejected proposals.") var status: String?
    func run() async throws {
        try await adminRun {
            for proposal in try await connection.client().proposals(status: status) {
                let extra = proposal.reason.map { " — \($0)" } ?? proposal.pollID.map { " → \($0)" } ?? ""
                print("\(proposal.proposalID) \(proposal.status) \(proposal.draft.title)\(extra)")
            }
        }
    }
}

struct AdminAccept: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "accept", abstract: "Accept a proposal: creates its draft poll.")
    @OptionGroup var connection: AdminConnection
    @Argument(help: "The proposal id.") var proposal: Int64
    @Option(help: "New opening time (Unix seconds).") var opensAt: Int64?
    @Option(help: "New closing time (Unix seconds).") var closesAt: Int64?
    func run() async throws {
        try await adminRun { printPoll(try await connection.client().accept(proposal, opensAt: opensAt, closesAt: closesAt)) }
    }
}

struct AdminReject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reject", abstract: "Reject a proposal with a reason (logged).")
    @OptionGroup var connection: AdminConnection
    @Argument(help: "The proposal id.") var proposal: Int64
    @Option(help: "Why (shown to everyone).") var reason: String
    func run() async throws { try await adminRun { printPoll(try await connection.client().reject(proposal, reason: reason)) } }
}

/// The parts of a certificate an administrator reads, as JSON.
struct CertificateSummary: Encodable {
    let statement: String
    let thresholdIndex: UInt16
    let reachedAtSize: UInt64
    let checkpointSize: UInt64
    let position: Int64
    let countersignatures: [String]

    init(_ certificate: AdminClient.Certificate) {
        let c = certificate.certificate.certificate
        statement = c.statement
        thresholdIndex = c.thresholdIndex
        reachedAtSize = c.reachedAtSize
        checkpointSize = c.checkpointSize
        position = certificate.position
        countersignatures = certificate.countersignatures.map { "\($0.role.rawValue): \($0.name)" }
    }
}

struct AdminCertify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certify", abstract: "Certify a reached threshold (the service signs and logs the certificate).")
    @OptionGroup var connection: AdminConnection
    @Argument(help: "The poll id.") var poll: String
    @Option(help: "The threshold index.") var threshold: Int = 0
    func run() async throws {
        try await adminRun { try printJSON(CertificateSummary(try await connection.client().certify(poll, threshold: threshold))) }
    }
}

struct AdminCountersign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "countersign",
        abstract: "Countersign a certificate with an official's key (signed here; the key file never leaves this machine).")
    @OptionGroup var connection: AdminConnection
    @Argument(help: "The poll id.") var poll: String
    @Option(help: "The threshold index.") var threshold: Int = 0
    @Option(help: "The countersigning key file (pnyx admin keygen).") var keyFile: String
    func run() async throws {
        try await adminRun {
            let key = try AdminClient.readKey(at: keyFile)
            try printJSON(CertificateSummary(try await connection.client().countersign(poll, threshold: threshold, key: key)))
        }
    }
}

struct AdminExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write a poll's results and breakdowns (CSV or JSON).")
    @OptionGroup var connection: AdminConnection
    @Argument(help: "The poll id.") var poll: String
    @Option(help: "csv or json.") var format: String = "csv"
    @Option(help: "Write to this file instead of the standard output.") var out: String?
    func run() async throws {
        guard let format = AdminClient.ExportFormat(rawValue: format) else { throw ValidationError("--format is csv or json") }
        try await adminRun {
            let data = try await connection.client().export(poll, format: format)
            if let out {
                guard FileManager.default.createFile(atPath: out, contents: data) else { throw ValidationError("cannot write \(out)") }
            } else {
                FileHandle.standardOutput.write(data)
            }
        }
    }
}

struct AdminKeygen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a new countersigning key (mode 0600); prints its base64 public key for PNYX_SERVICE_COUNTERSIGN_KEYS.")
    @Option(help: "Where to write the key.") var out: String
    func run() async throws {
        try await adminRun { print(Base64.encode(try AdminClient.writeKey(to: out).publicKey.rawRepresentation)) }
    }
}
