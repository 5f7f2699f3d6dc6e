// pnyx-audit: the thin executable over PnyxAudit. It parses arguments, builds the source,
// runs one library call and maps the outcome to an exit status:
// 0 verified, 1 findings, 2 could not fetch or read, 64 usage error.
import ArgumentParser
import Foundation
import PnyxAudit

struct PnyxAuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pnyx-audit",
        abstract: "Verify Pnyx polls from their public log, without trusting the service or the broker.",
        discussion: """
            Exit status: 0 verified, 1 findings, 2 could not fetch or read, 64 usage error.
            A source is an export folder (--export DIR) or a running service (--service URL --poll ID).
            """,
        version: PnyxAudit.version,
        subcommands: [Verify.self, Diff.self, ReceiptCommand.self, WitnessCommand.self, Keygen.self])
}

/// Where the log is: an export folder or a service.
struct SourceOptions: ParsableArguments {
    @Option(name: .customLong("export"), help: "An export folder (the log layout, tally.json beside it).")
    var exportDirectory: String?
    @Option(help: "The service's base URL (the log is under URL/polls/ID/log/).")
    var service: String?
    @Option(help: "The poll id (hex), with --service.")
    var poll: String?
    @Option(name: .customLong("log-key"), help: "Pin the log's checkpoint key <name>+<id>+<base64> (default: the source's verifier.txt).")
    var logKey: String?
    @Flag(help: "Print the report as JSON (sorted keys) instead of text.")
    var json = false

    func validate() throws {
        guard (exportDirectory == nil) != (service == nil) else {
            throw ValidationError("give exactly one source: --export DIR or --service URL --poll ID")
        }
    }

    /// The poll source; `poll` overrides ``poll`` (the receipt's poll id).
    func source(poll overridePoll: String? = nil, broker: String? = nil, register: String? = nil) throws -> PollSource {
        if let exportDirectory { return .export(directory: exportDirectory, registerDirectory: register) }
        guard let service, let url = URL(string: service), url.scheme != nil else {
            throw ValidationError("--service needs an http(s) URL")
        }
        guard let poll = overridePoll ?? poll else { throw ValidationError("--service needs --poll ID") }
        return .service(url, poll: poll, broker: broker.flatMap { URL(string: $0) })
    }
}

/// Prints a report and exits with its status.
func finish(_ report: AuditReport, json: Bool) throws -> Never {
    if json {
        FileHandle.standardOutput.write(Data(try report.jsonBytes() + [0x0A]))
    } else {
        print(report.humanText, terminator: "")
    }
    throw ExitCode(report.exitStatus)
}

/// Runs `body`, mapping an ``AuditError`` to its message on standard error and its status.
func running(_ body: () throws -> Void) throws {
    do { try body() } catch let error as AuditError {
        FileHandle.standardError.write(Data("pnyx-audit: \(error)\n".utf8))
        throw ExitCode(error.exitStatus)
    }
}

func readFile(_ path: String, _ what: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw AuditError(.unreadable, "cannot read \(what) \(path)")
    }
    return [UInt8](data)
}

extension PnyxAuditCommand {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify everything: chain, tree, checkpoints, entries, credentials, tallies, certificates, register, growth.")

        @OptionGroup var source: SourceOptions
        @Option(help: "The broker's base URL (its issuance register in the log layout under URL/polls/ID/register/log/).") var broker: String?
        @Option(help: "The issuance register's export folder.") var register: String?
        @Option(name: .customLong("register-key"), help: "Pin the register's checkpoint key.") var registerKey: String?
        @Option(help: "The folder of saved checkpoints (default ~/.pnyx-audit).") var state: String?
        @Flag(name: .customLong("no-state"), help: "Neither compare with nor save checkpoints.") var noState = false
        @Option(help: "Threads for signature checks (default: every core).") var jobs: Int?
        @Flag(name: .customLong("no-progress"), help: "No progress output on standard error.") var noProgress = false

        func run() throws {
            try running {
                let options = PollAuditor.Options(
                    trustedLogKey: source.logKey,
                    state: noState ? nil : CheckpointStore(root: state ?? CheckpointStore.defaultRoot),
                    progress: noProgress ? nil : StandardErrorProgress(),
                    concurrency: jobs, trustedRegisterKey: registerKey)
                let auditor = PollAuditor(source: try source.source(broker: broker, register: register), options: options)
                try finish(try auditor.run(), json: source.json)
            }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove that checkpoint NEW extends checkpoint OLD (consistency proof from the source's tiles).")

        @Argument(help: "The earlier signed checkpoint file.") var old: String
        @Argument(help: "The later signed checkpoint file.") var new: String
        @OptionGroup var source: SourceOptions

        func run() throws {
            try running {
                let poll = try source.source()
                let log = try SourceLog(fetcher: poll.log, trustedKey: source.logKey)
                let report = try CheckpointDiff(log: log).run(
                    old: try readFile(old, "checkpoint"), new: try readFile(new, "checkpoint"), source: poll.description)
                try finish(report, json: source.json)
            }
        }
    }

    struct ReceiptCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "receipt",
            abstract: "Check a citizen's receipt: in the log under its checkpoint, and that checkpoint in today's log.")

        @Argument(help: "The receipt JSON file.") var file: String
        @OptionGroup var source: SourceOptions
        @Option(name: .customLong("witness-key"), help: "A witness's cosignature verifier key to check (repeatable).")
        var witnessKeys: [String] = []

        func run() throws {
            try running {
                let bytes = try readFile(file, "receipt")
                let pollID = (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])?["pollID"] as? String
                let poll = try source.source(poll: source.poll ?? pollID)
                let witnesses = try ReceiptAuditor.witnesses(verifierKeys: witnessKeys)
                let log = try SourceLog(fetcher: poll.log, trustedKey: source.logKey)
                try finish(try ReceiptAuditor(log: log, witnesses: witnesses).run(receipt: bytes, source: poll.description),
                           json: source.json)
            }
        }
    }

    struct WitnessCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "witness",
            abstract: "Follow a log, cosign each checkpoint that extends the last one, and submit the cosignatures.")

        @OptionGroup var source: SourceOptions
        @Option(help: "The witness's signer key file (PRIVATE+KEY+…; make one with `pnyx-audit keygen NAME`).") var key: String
        @Option(help: "The folder of cosigned checkpoints (default ~/.pnyx-audit/witness).") var state: String?
        @Option(help: "Seconds between two looks at the log.") var interval: Double = 60
        @Flag(help: "Look once and exit (status 1 if the log forked).") var once = false
        @Flag(name: .customLong("no-submit"), help: "Print cosignatures without POSTing them.") var noSubmit = false

        func run() throws {
            try running {
                let poll = try source.source()
                let log = try SourceLog(fetcher: poll.log, trustedKey: source.logKey)
                var submitURL: URL? = nil
                if !noSubmit, let service = source.service, let id = source.poll {
                    let base = service.hasSuffix("/") ? service : service + "/"
                    submitURL = URL(string: base + "polls/\(id)/log/cosignatures")
                }
                let witness = Witness(cosigner: try Witness.cosigner(keyFile: key), log: log,
                                      state: CheckpointStore(root: state ?? CheckpointStore.defaultRoot + "/witness"),
                                      submitURL: submitURL)
                while true {
                    let outcome = try witness.step(timestamp: UInt64(Date().timeIntervalSince1970))
                    switch outcome {
                    case .cosigned(let line, let checkpoint):
                        print("cosigned size \(checkpoint.size)" + (submitURL.map { " and submitted to \($0.absoluteString)" } ?? "") + ":")
                        print(line, terminator: "")
                    case .unchanged(let checkpoint):
                        print("unchanged at size \(checkpoint.size)")
                    case .refused(let finding):
                        print("NOT cosigned: \(finding)")
                        if once { throw ExitCode(1) }
                    }
                    if once { return }
                    Thread.sleep(forTimeInterval: max(1, interval))
                }
            }
        }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a witness key: the signer key (secret) on standard output, the verifier key on standard error.")

        @Argument(help: "The witness's name (no spaces, no +).") var name: String

        func run() throws {
            try running {
                let key = try Witness.generateKey(name: name)
                print(key.signerKey)
                FileHandle.standardError.write(Data("verifier key: \(key.verifierKey)\n".utf8))
            }
        }
    }
}

PnyxAuditCommand.main()
