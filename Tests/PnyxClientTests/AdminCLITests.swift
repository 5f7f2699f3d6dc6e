import Foundation
import PnyxClient
import PnyxCore
import PnyxCrypto
import Testing

/// The built `pnyx` binary's `admin` commands, run as subprocesses against a live service and
/// broker (``AdminWorld``): what they print, their exit statuses and the service's codes.
@Suite("pnyx admin executable against a real service", .serialized)
struct AdminCLITests {
    struct Run: CustomStringConvertible {
        let status: Int32
        let output: String
        let error: String
        var description: String { "exit \(status)\nstdout: \(output)\nstderr: \(error)" }
        /// The first word of the output's first line (a poll id for create/publish/open/close).
        var firstWord: String { String(output.split(separator: " ").first ?? "") }
    }

    /// The executable next to the test bundle (`swift build --build-tests` builds it too).
    static var binary: String? {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("pnyx").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs `pnyx arguments…` on a dispatch thread (never blocking the test's cooperative
    /// threads, which the in-process servers need), with `environment` added to ours.
    static func pnyx(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        let binary = try #require(Self.binary, "build the pnyx product first (swift build --product pnyx)")
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: binary)
                process.arguments = arguments
                var env = ProcessInfo.processInfo.environment
                env.removeValue(forKey: "PNYX_ADMIN_TOKEN")
                env.merge(environment) { _, new in new }
                process.environment = env
                let out = Pipe(), err = Pipe()
                process.standardOutput = out
                process.standardError = err
                do { try process.run() } catch {
                    continuation.resume(throwing: error)
                    return
                }
                // Read stderr on its own thread so neither pipe can fill up and stall the child.
                let errorData = LockedData()
                let reader = Thread { errorData.set(err.fileHandleForReading.readDataToEndOfFile()) }
                reader.start()
                let output = out.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                while !errorData.isSet { usleep(1000) }
                continuation.resume(returning: Run(
                    status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                    error: String(decoding: errorData.value, as: UTF8.self)))
            }
        }
    }

    final class LockedData: @unchecked Sendable {
        private let lock = NSLock()
        private var data: Data?
        func set(_ value: Data) { lock.withLock { data = value } }
        var isSet: Bool { lock.withLock { data != nil } }
        var value: Data { lock.withLock { data ?? Data() } }
    }

    @Test("create → publish → open → certify → countersign → export → close, from the command line")
    func administerAPetition() async throws {
        try await AdminWorld.with { world in
            let service = ["--service", world.serviceURL.absoluteString]
            let tokenFile = world.folder + "/admin.token"
            try Data((AdminWorld.adminToken + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
            let auth = service + ["--token-file", tokenFile]
            let draftFile = world.folder + "/draft.json"
            try world.draftJSON(title: "Un banc au square").write(to: URL(fileURLWithPath: draftFile))

            let created = try await Self.pnyx(["admin", "create"] + auth + [draftFile])
            #expect(created.status == 0, "\(created)")
            #expect(created.output.hasSuffix("draft petition Un banc au square\n"), "\(created)")
            let poll = created.firstWord
            #expect((try? PollID(hex: poll)) != nil, "\(created)")

            // The token from the environment works as well as the token file.
            let published = try await Self.pnyx(["admin", "publish"] + service + [poll],
                                                environment: ["PNYX_ADMIN_TOKEN": AdminWorld.adminToken])
            #expect(published.status == 0, "\(published)")
            #expect(published.output == "\(poll) published petition Un banc au square\n")
            world.clock.advance(3601)
            let opened = try await Self.pnyx(["admin", "open"] + auth + [poll])
            #expect(opened.output == "\(poll) open petition Un banc au square\n", "\(opened)")

            // Not reached yet: the service's code on stderr, exit 1, nothing on stdout.
            let early = try await Self.pnyx(["admin", "certify"] + auth + [poll, "--threshold", "0"])
            #expect(early.status == 1, "\(early)")
            #expect(early.error.contains("certificate.threshold_not_reached"), "\(early)")
            #expect(early.output.isEmpty)

            try await world.sign("A1", poll: poll)
            let certified = try await Self.pnyx(["admin", "certify"] + auth + [poll, "--threshold", "0"])
            #expect(certified.status == 0, "\(certified)")
            struct Summary: Decodable {
                let reachedAtSize: UInt64
                let thresholdIndex: UInt16
                let countersignatures: [String]
            }
            let summary = try JSONDecoder().decode(Summary.self, from: Data(certified.output.utf8))
            #expect(summary.reachedAtSize == 4)
            #expect(summary.thresholdIndex == 0)
            #expect(summary.countersignatures.isEmpty)

            // keygen writes a 0600 key and prints its public key; the service does not know it.
            let strangerFile = world.folder + "/stranger.key"
            let keygen = try await Self.pnyx(["admin", "keygen", "--out", strangerFile])
            #expect(keygen.status == 0, "\(keygen)")
            let strangerKey = try AdminClient.readKey(at: strangerFile)
            #expect(keygen.output == Base64.encode(strangerKey.publicKey.rawRepresentation) + "\n")
            let mode = try FileManager.default.attributesOfItem(atPath: strangerFile)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let again = try await Self.pnyx(["admin", "keygen", "--out", strangerFile])
            #expect(again.status == 1, "\(again)")
            #expect(again.error.contains("client.invalid_input"), "\(again)")
            let refused = try await Self.pnyx(["admin", "countersign"] + auth + [poll, "--key-file", strangerFile])
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.error.contains("countersignature.unknown_key"), "\(refused)")

            // The official's key countersigns.
            let officialFile = world.folder + "/official.key"
            try Data((Base64.encode(AdminWorld.countersigner.seed) + "\n").utf8).write(to: URL(fileURLWithPath: officialFile))
            let countersigned = try await Self.pnyx(["admin", "countersign"] + auth + [poll, "--key-file", officialFile])
            #expect(countersigned.status == 0, "\(countersigned)")
            let signed = try JSONDecoder().decode(Summary.self, from: Data(countersigned.output.utf8))
            #expect(signed.countersignatures == ["official: Claire (mayor's office)"])

            // Exports to stdout and to a file.
            let csv = try await Self.pnyx(["admin", "export"] + auth + [poll])
            #expect(csv.status == 0, "\(csv)")
            #expect(csv.output.contains("participants"))
            let jsonFile = world.folder + "/results.json"
            let json = try await Self.pnyx(["admin", "export"] + auth + [poll, "--format", "json", "--out", jsonFile])
            #expect(json.status == 0, "\(json)")
            let exported = try #require(FileManager.default.contents(atPath: jsonFile))
            #expect((try JSONSerialization.jsonObject(with: exported)) is [String: Any])
            let badFormat = try await Self.pnyx(["admin", "export"] + auth + [poll, "--format", "xml"])
            #expect(badFormat.status == 64, "\(badFormat)")

            let closed = try await Self.pnyx(["admin", "close"] + auth + [poll])
            #expect(closed.output == "\(poll) closed petition Un banc au square\n", "\(closed)")
            let reopen = try await Self.pnyx(["admin", "open"] + auth + [poll])
            #expect(reopen.status == 1)
            #expect(reopen.error.contains("poll.invalid_state"), "\(reopen)")
        }
    }

    @Test("moderation from the command line: proposals listed, rejected with a reason, accepted")
    func moderate() async throws {
        try await AdminWorld.with { world in
            let auth = ["--service", world.serviceURL.absoluteString]
            let env = ["PNYX_ADMIN_TOKEN": AdminWorld.adminToken]
            let citizens = APIClient(baseURL: world.admin.api.baseURL)
            struct Proposed: Decodable { let proposalID: Int64 }
            let first: Proposed = try await citizens.send("POST", "proposals", body: try world.draftJSON(title: "Proposition A"))
                .adminDecoded()
            let second: Proposed = try await citizens.send("POST", "proposals", body: try world.draftJSON(title: "Proposition B"))
                .adminDecoded()

            let pending = try await Self.pnyx(["admin", "proposals"] + auth + ["--status", "pending"], environment: env)
            #expect(pending.status == 0, "\(pending)")
            #expect(pending.output.contains("\(first.proposalID) pending Proposition A"), "\(pending)")
            #expect(pending.output.contains("\(second.proposalID) pending Proposition B"), "\(pending)")

            let rejected = try await Self.pnyx(
                ["admin", "reject"] + auth + ["\(first.proposalID)", "--reason", "Hors compétence communale"], environment: env)
            #expect(rejected.status == 0, "\(rejected)")
            let accepted = try await Self.pnyx(["admin", "accept"] + auth + ["\(second.proposalID)"], environment: env)
            #expect(accepted.status == 0, "\(accepted)")
            #expect(accepted.output.contains(" draft petition Proposition B"), "\(accepted)")
            let decided = try await Self.pnyx(["admin", "accept"] + auth + ["\(first.proposalID)"], environment: env)
            #expect(decided.status == 1)
            #expect(decided.error.contains("proposal.decided"), "\(decided)")

            let all = try await Self.pnyx(["admin", "proposals"] + auth, environment: env)
            #expect(all.output.contains("\(first.proposalID) rejected Proposition A — Hors compétence communale"), "\(all)")
            #expect(all.output.contains("\(second.proposalID) accepted Proposition B → \(accepted.firstWord)"), "\(all)")
        }
    }

    @Test("refusals: no token (usage, 64), a wrong token (auth.required), an unknown poll, a bad URL, an unreachable service")
    func refusals() async throws {
        try await AdminWorld.with { world in
            let service = ["--service", world.serviceURL.absoluteString]
            let noToken = try await Self.pnyx(["admin", "proposals"] + service)
            #expect(noToken.status == 64, "\(noToken)")
            #expect(noToken.error.contains("PNYX_ADMIN_TOKEN"), "\(noToken)")

            let wrong = try await Self.pnyx(["admin", "proposals"] + service, environment: ["PNYX_ADMIN_TOKEN": "not-a-configured-token-0000"])
            #expect(wrong.status == 1, "\(wrong)")
            #expect(wrong.error.contains("auth.required"), "\(wrong)")

            let env = ["PNYX_ADMIN_TOKEN": AdminWorld.adminToken]
            let unknown = try await Self.pnyx(["admin", "publish"] + service + [PollID.random().hex], environment: env)
            #expect(unknown.status == 1, "\(unknown)")
            #expect(unknown.error.contains("poll.unknown"), "\(unknown)")

            let emptyTokenFile = world.folder + "/empty.token"
            FileManager.default.createFile(atPath: emptyTokenFile, contents: Data())
            let empty = try await Self.pnyx(["admin", "proposals"] + service + ["--token-file", emptyTokenFile])
            #expect(empty.status == 64, "\(empty)")

            let badURL = try await Self.pnyx(["admin", "proposals", "--service", "ftp://example"], environment: env)
            #expect(badURL.status == 64, "\(badURL)")

            let down = try await Self.pnyx(["admin", "proposals", "--service", "http://127.0.0.1:1"], environment: env)
            #expect(down.status == 1, "\(down)")
            #expect(down.error.contains("client.unreachable"), "\(down)")
        }
    }
}
