import Foundation
import PnyxAudit
import Testing

/// The built `pnyx-audit` binary, run as a subprocess: exit statuses 0, 1, 2 and 64.
@Suite("pnyx-audit executable", .serialized)
struct CLITests {
    /// The executable next to the test bundle (`swift test` builds it with the tests).
    static var binary: String? {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("pnyx-audit").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let binary = try #require(Self.binary, "build the pnyx-audit product first (swift build --product pnyx-audit)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }

    @Test("exit 0 on a clean export, with a human summary")
    func verified() throws {
        let result = try Self.run(["verify", "--export", SharedFixture.cleanExport, "--no-state", "--no-progress"])
        #expect(result.status == 0, "\(result)")
        #expect(result.output.contains("VERIFIED"))
    }

    @Test("exit 1 with findings; --json prints the machine report")
    func findings() throws {
        let fixture = try PollFixture(tampers: [.badEntrySignature])
        let result = try Self.run(["verify", "--export", try fixture.export(), "--no-state", "--json"])
        #expect(result.status == 1, "\(result)")
        let report = try JSONDecoder().decode(AuditReport.self, from: Data(result.output.utf8))
        #expect(report.findings.contains { $0.code == .entryInvalidSignature && $0.position == fixture.positions[.badEntrySignature] })
        // Not a terminal: plain progress lines on standard error.
        #expect(result.error.contains("progress: 100%"))
    }

    @Test("exit 2 when the source cannot be read")
    func unreadable() throws {
        let result = try Self.run(["verify", "--export", TestFolders.make("nothing"), "--no-state"])
        #expect(result.status == 2, "\(result)")
        #expect(result.error.contains("audit.fetch_failed"))
    }

    @Test("exit 64 on a usage error")
    func usage() throws {
        #expect(try Self.run(["verify"]).status == 64)
        #expect(try Self.run(["verify", "--export", "a", "--service", "http://127.0.0.1:1"]).status == 64)
        #expect(try Self.run(["no-such-command"]).status == 64)
    }

    @Test("diff and receipt from the command line; saved state across verify runs")
    func diffReceiptState() throws {
        let fixture = SharedFixture.clean
        let folder = SharedFixture.cleanExport
        let diff = try Self.run(["diff", folder + "/checkpoints/\(fixture.midCheckpointSize)", folder + "/checkpoint", "--export", folder])
        #expect(diff.status == 0, "\(diff)")
        let receiptFile = TestFolders.make("receipt") + "/receipt.json"
        try Data(try JSONEncoder().encode(try fixture.receipt(position: fixture.firstEntry, checkpointSize: fixture.midCheckpointSize)))
            .write(to: URL(fileURLWithPath: receiptFile))
        let receipt = try Self.run(["receipt", receiptFile, "--export", folder])
        #expect(receipt.status == 0 && receipt.output.contains("inclusion proof"), "\(receipt)")

        let state = TestFolders.make("clistate")
        #expect(try Self.run(["verify", "--export", folder, "--state", state, "--no-progress"]).status == 0)
        let forked = try PollFixture(pollID: fixture.pollID)
        let second = try Self.run(["verify", "--export", try forked.export(), "--state", state, "--no-progress"])
        #expect(second.status == 1 && second.output.contains("history.forked"), "\(second)")
    }
}
