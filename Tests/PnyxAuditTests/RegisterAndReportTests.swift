import Foundation
import PnyxAudit
import PnyxCore
import PnyxCrypto
import PnyxTransparency
import Testing

@Suite("issuance register and report shape")
struct RegisterAndReportTests {
    /// A "pnyx/issuance/v1" record (docs/PROTOCOL.md, "Broker issuance register").
    static func issuance(_ pollID: PollID, _ attributeClass: AttributeClass) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.writeDomain("pnyx/issuance/v1")
        encoder.write(pollID)
        encoder.writeFixed(SystemRandom().bytes(32))
        encoder.write(attributeClass)
        encoder.writeString("2025-06-10")
        return encoder.bytes
    }

    /// The broker's register export with `perClass` issuances for each class of the fixture.
    static func register(_ fixture: PollFixture, _ perClass: [Int]) throws -> String {
        let broker = try NoteSigner(name: "broker.test/register", privateKey: FixtureKeys.broker)
        var builder = PollLogBuilder(logID: Array("register".utf8) + fixture.pollID.bytes, origin: "broker.test/register/\(fixture.pollID.hex)", signer: broker)
        for (index, count) in perClass.enumerated() {
            for _ in 0..<count { builder.append(payload: issuance(fixture.pollID, fixture.classes[index])) }
        }
        builder.append(payload: issuance(PollID.random(), fixture.classes[0]))  // another poll's: not counted
        builder.checkpoint()
        return try builder.export(to: TestFolders.make("register"), tally: nil)
    }

    static func verify(_ fixture: PollFixture, register: String) throws -> AuditReport {
        try PollAuditor(source: .export(directory: SharedFixture.cleanExport, registerDirectory: register)).run()
    }

    @Test("entries per class within the register's issuances verify; more is register.exceeded")
    func registerBounds() throws {
        let fixture = SharedFixture.clean  // 3 credentials of class 0, 2 of class 1
        let fine = try Self.verify(fixture, register: try Self.register(fixture, [3, 2]))
        #expect(fine.findings.isEmpty, "\(fine.humanText)")
        #expect(fine.summary.registerEntries == 6)

        let short = try Self.verify(fixture, register: try Self.register(fixture, [3, 1]))
        let finding = try #require(short.findings.first { $0.code == .registerExceeded })
        #expect(finding.log == "register" && finding.expected == "at most 1" && finding.computed == "2")
    }

    @Test("a tampered register is reported in the register's log")
    func tamperedRegister() throws {
        let fixture = SharedFixture.clean
        let folder = try Self.register(fixture, [3, 2])
        let path = "tile/entries/000.p/6"
        var bytes = try Audit.read(folder + "/" + path)
        bytes[40] ^= 0x01
        try Audit.write(folder + "/" + path, bytes)
        let report = try Self.verify(fixture, register: folder)
        #expect(report.findings.contains { $0.log == "register" && $0.code == .chainBroken }, "\(report.humanText)")
    }

    @Test("the JSON report: sorted keys, stable shape, findings with code, log, position, evidence")
    func jsonShape() throws {
        let fixture = try PollFixture(tampers: [.outsideWindow])
        let report = try Audit.verify(try fixture.export())
        let bytes = try report.jsonBytes()
        #expect(try report.jsonBytes() == bytes)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(Set(json.keys) == ["command", "source", "origin", "treeSize", "rootHash", "findings", "suppressed", "summary",
                                   "notes", "established", "verified"])
        #expect(json["verified"] as? Bool == false && json["command"] as? String == "verify")
        let findings = try #require(json["findings"] as? [[String: Any]])
        let finding = try #require(findings.first { $0["code"] as? String == "entry.outside_window" })
        #expect(finding["position"] as? Int == Int(fixture.positions[.outsideWindow]!))
        #expect(finding["log"] as? String == "poll")
        #expect(finding["expected"] as? String == "[\(PollFixture.opensAt), \(PollFixture.closesAt))")
        #expect(finding["computed"] as? String == "\(PollFixture.closesAt + 60)")
        // Keys appear sorted in the text.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.range(of: "\"command\"")!.lowerBound < text.range(of: "\"findings\"")!.lowerBound)
        // The report decodes back.
        let decoded = try JSONDecoder().decode(AuditReport.self, from: Data(bytes))
        #expect(decoded.findings == report.findings)
    }

    @Test("findings beyond the per-code cap are counted, not listed")
    func findingsCap() {
        let collector = FindingCollector()
        for position in 0..<(AuditReport.findingsPerCode + 5) {
            collector.add(Finding(.chainBroken, position: Int64(position), "broken"))
        }
        let report = AuditReport(command: "verify", source: "test", collector: collector)
        #expect(report.findings.count == AuditReport.findingsPerCode)
        #expect(report.suppressed == ["chain.broken": 5])
        #expect(report.humanText.contains("… and 5 more chain.broken"))
    }
}
