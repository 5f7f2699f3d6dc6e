public import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging
import PnyxBroker
import PnyxCrypto
import PnyxService
import PnyxWeb
import ServiceLifecycle

/// `pnyx up`: what `make run` starts — the identity broker and the petition service on a
/// private PostgreSQL (two databases), with a demo municipality, a petition close to its
/// threshold, an open consultation and a handful of enrolment codes. Runs until Ctrl-C.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Run the broker and the service with the demo municipality.")

    @Option(help: "The demo's state folder (cluster, keys, enrolment codes).")
    var directory: String = ".pnyx"

    @Option(help: "The service's port (its pages and API).")
    var servicePort: Int = 8080

    @Option(help: "The broker's port.")
    var brokerPort: Int = 8081

    @Flag(help: "Wipe the demo's data and start afresh.")
    var reset: Bool = false

    @Flag(help: "Set up (and seed) the demo, print it, then stop instead of serving.")
    var setupOnly: Bool = false

    @Option(help: "Log level (trace, debug, info, notice, warning, error).")
    var logLevel: Logger.Level = .notice

    func run() async throws {
        var logger = Logger(label: "pnyx")
        logger.logLevel = logLevel
        let state = DemoState(directory: directory)
        if reset { try state.reset() }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let databases = try await DemoDatabases.open(state: state, reset: reset)

        let adminToken = try state.secret("admin-token") { DemoState.token() }
        let officialToken = try state.secret("official-token") { DemoState.token() }
        let brokerSigner = try BrokerSigner(signerKey: state.secret("broker-signer-key") {
            try BrokerSigner.generate(name: "broker.pnyx.demo").noteSigner.signerKey
        })
        let serviceKey = try Ed25519.PrivateKey(seed: Hex.decode(state.secret("service-key-seed") {
            Hex.encode(SystemRandom().bytes(Ed25519.seedByteCount))
        }))

        var brokerConfiguration = BrokerConfiguration(
            adminToken: adminToken, signer: brokerSigner, trustedServiceKeys: [serviceKey.publicKey],
            databaseURL: databases.brokerURL)
        brokerConfiguration.port = brokerPort
        brokerConfiguration.logOriginPrefix = "pnyx.demo/broker/register/"
        let serviceConfiguration = ServiceConfiguration(
            databaseURL: databases.serviceURL, brokerURL: "http://127.0.0.1:\(brokerPort)", serviceKey: serviceKey,
            keyName: "pnyx.demo", adminTokens: [adminToken: "admin"], officialTokens: [officialToken: "official"],
            logOriginPrefix: "pnyx.demo/poll/", port: servicePort)

        let broker = try await Broker.start(configuration: brokerConfiguration, logger: logger)
        let service: PetitionService
        do { service = try await PetitionService.start(configuration: serviceConfiguration, logger: logger) } catch {
            await broker.shutdown()
            try? databases.cluster?.stop()
            throw error
        }
        do {
            try await serve(broker: broker, service: service, state: state, databases: databases, logger: logger,
                            adminToken: adminToken, officialToken: officialToken)
        } catch {
            await service.shutdown()
            await broker.shutdown()
            try? databases.cluster?.stop()
            throw error
        }
        await service.shutdown()
        await broker.shutdown()
        try databases.cluster?.stop()
    }

    /// Runs both HTTP applications, seeds the demo once they listen, and waits for Ctrl-C.
    private func serve(
        broker: Broker, service: PetitionService, state: DemoState, databases: DemoDatabases, logger: Logger,
        adminToken: String, officialToken: String
    ) async throws {        let group = ServiceGroup(
            services: [buildBrokerApplication(broker: broker), serviceWithPages(service, logger: logger)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                do { try await group.run() } catch {
                    Console.error("pnyx: the servers stopped: \(error)")
                    throw error
                }
            }
            do {
                try await Self.waitUntilListening("http://127.0.0.1:\(brokerPort)/v1/broker")
                try await Self.waitUntilListening("http://127.0.0.1:\(servicePort)/v1/service")
                let summary = try await seedIfNeeded(state: state, broker: broker, service: service)
                printBanner(summary: summary, adminToken: adminToken, officialToken: officialToken, databases: databases)
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            if setupOnly { await group.triggerGracefulShutdown() }
            try await tasks.waitForAll()
        }
    }

    /// Seeds the demo the first time; later runs read what was seeded.
    private func seedIfNeeded(state: DemoState, broker: Broker, service: PetitionService) async throws -> DemoSeed.Summary {
        if let data = FileManager.default.contents(atPath: state.seededMarker),
           let summary = try? JSONDecoder().decode(DemoSeed.Summary.self, from: data) {
            Console.say("demo data from \(state.seededMarker) (use --reset to start afresh)")
            return summary
        }
        let summary = try await DemoSeed(broker: broker, service: service).run(codesFile: state.enrolmentCodesFile)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(summary).write(to: URL(fileURLWithPath: state.seededMarker))
        return summary
    }

    private func printBanner(summary: DemoSeed.Summary, adminToken: String, officialToken: String, databases: DemoDatabases) {
        let service = "http://127.0.0.1:\(servicePort)"
        let broker = "http://127.0.0.1:\(brokerPort)"
        var lines = [
            "",
            "Pnyx is running.",
            "  service (pages and API): \(service)/",
            "  identity broker:         \(broker)/v1/broker",
            "  petition (92 of 100 signatures): \(service)/p/\(summary.petition)",
            "  consultation:                    \(service)/p/\(summary.consultation)",
            "  administration page: \(service)/admin (the admin token below, for the service and the broker)",
            "  auditor page:        \(service)/audit",
            "  propose a petition:  \(service)/propose",
            "  admin token:    \(adminToken)",
            "  official token: \(officialToken)",
            "",
            "Enrolment codes (resident id, name, code) — enrol at the broker, choose a passphrase, then take part:",
        ]
        for code in summary.enrolmentCodes {
            lines.append("  \(code.residentID)  \(code.givenName) \(code.familyName)  \(code.code)")
        }
        lines += [
            "",
            "Verify it yourself:",
            "  \(Self.auditorPath) verify --service \(service)/v1 --poll \(summary.petition) --broker \(broker)/v1",
            "",
            "Ctrl-C stops the service, the broker and the private PostgreSQL.",
        ]
        Console.say(lines.joined(separator: "\n"))
    }

    /// The service's application with the citizen pages on the same origin.
    private func serviceWithPages(_ service: PetitionService, logger: Logger) -> some ApplicationProtocol {
        buildServiceApplication(
            service: service,
            router: buildWebRouter(service: service, configuration: WebConfiguration(brokerURL: "http://127.0.0.1:\(brokerPort)")),
            address: .hostname("127.0.0.1", port: servicePort))
    }

    /// The auditor built next to this executable.
    static var auditorPath: String {
        let me = URL(fileURLWithPath: CommandLine.arguments[0])
        return me.deletingLastPathComponent().appendingPathComponent("pnyx-audit").relativePath
    }

    /// Polls `url` until it answers (the servers bind in the background).
    static func waitUntilListening(_ url: String) async throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            var request = URLRequest(url: URL(string: url)!)
            request.timeoutInterval = 2
            if let (_, response) = try? await URLSession.shared.data(for: request),
               (response as? HTTPURLResponse)?.statusCode == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DemoError("\(url) did not answer within 30 s")
    }
}

extension Logger.Level: @retroactive ArgumentParser.ExpressibleByArgument {}
