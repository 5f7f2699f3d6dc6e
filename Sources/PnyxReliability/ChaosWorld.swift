import Foundation
import PnyxCore
import PnyxCrypto
import PnyxTransparency
#if canImport(Glibc)
import Glibc
#endif

/// The processes of a chaos run: a durable private PostgreSQL, the broker (`pnyx broker`)
/// and one or two services (`pnyx service`), each a separate OS process started from the
/// built `pnyx` executable, plus the HTTP clients that reach them.
final class ChaosWorld: @unchecked Sendable {
    static let adminToken = "chaos-admin-token-0123456789abcdef"
    static let brokerAdminToken = "chaos-broker-admin-0123456789abcdef"
    static let passphrase = "correct horse battery staple"

    let directory: String
    let cluster: ChaosCluster
    let broker: ManagedProcess
    let brokerURL: String
    /// Services on the same database (index 0 always runs; index 1 in the two-process phase).
    let services: [ManagedProcess]
    let serviceURLs: [String]
    let serviceKey: Ed25519.PrivateKey
    let verifierKey: String
    let pnyxPath: String
    let brokerEnvironment: [String: String]

    private init(directory: String, cluster: ChaosCluster, broker: ManagedProcess, brokerURL: String,
                 services: [ManagedProcess], serviceURLs: [String], serviceKey: Ed25519.PrivateKey, verifierKey: String,
                 pnyxPath: String, brokerEnvironment: [String: String]) {
        self.directory = directory
        self.cluster = cluster
        self.broker = broker
        self.brokerURL = brokerURL
        self.services = services
        self.serviceURLs = serviceURLs
        self.serviceKey = serviceKey
        self.verifierKey = verifierKey
        self.pnyxPath = pnyxPath
        self.brokerEnvironment = brokerEnvironment
    }

    /// Starts the cluster, the broker and service A; service B is configured, not started.
    static func start(directory: String, pnyxPath: String, say: @Sendable (String) -> Void) async throws -> ChaosWorld {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let cluster = try await ChaosCluster.start(directory: directory + "/pg")
        let brokerDatabase = try await cluster.cluster.createDatabase(named: "pnyx_broker")
        let serviceDatabase = try await cluster.cluster.createDatabase(named: "pnyx_service")
        say("PostgreSQL (durable) in \(directory)/pg")

        let serviceKey = Ed25519.PrivateKey()
        let serviceSigner = try NoteSigner(name: "chaos.pnyx.test", privateKey: serviceKey)
        let brokerSigner = try NoteSigner(name: "broker.chaos.pnyx.test", privateKey: Ed25519.PrivateKey())
        try write(serviceSigner.signerKey + "\n", to: directory + "/service.key")
        try write(brokerSigner.signerKey + "\n", to: directory + "/broker.key")

        let brokerPort = try freePort()
        let brokerURL = "http://127.0.0.1:\(brokerPort)"
        let brokerEnvironment = [
            "PNYX_BROKER_DATABASE_URL": brokerDatabase,
            "PNYX_BROKER_HOST": "127.0.0.1",
            "PNYX_BROKER_PORT": "\(brokerPort)",
            "PNYX_BROKER_K": "1",
            "PNYX_BROKER_ADMIN_TOKEN": brokerAdminToken,
            "PNYX_BROKER_KEY_FILE": directory + "/broker.key",
            "PNYX_BROKER_TRUSTED_SERVICE_KEYS": Base64.encode(serviceKey.publicKey.rawRepresentation),
            "PNYX_BROKER_LOG_ORIGIN_PREFIX": "chaos.pnyx.test/broker/register/",
            "PNYX_BROKER_RATE_PER_SECOND": "100000",
            "PNYX_BROKER_RATE_BURST": "100000",
            "PNYX_BROKER_LOCKOUT_ATTEMPTS": "5",
        ]
        let broker = ManagedProcess(
            name: "broker", executable: pnyxPath, arguments: ["broker"],
            environment: brokerEnvironment, logPath: directory + "/broker.log")

        var services: [ManagedProcess] = []
        var urls: [String] = []
        for label in ["A", "B"] {
            let port = try freePort()
            urls.append("http://127.0.0.1:\(port)")
            services.append(ManagedProcess(
                name: "service \(label)", executable: pnyxPath, arguments: ["service"],
                environment: [
                    "PNYX_SERVICE_DATABASE_URL": serviceDatabase,
                    "PNYX_BROKER_URL": brokerURL,
                    "PNYX_SERVICE_KEY_FILE": directory + "/service.key",
                    "PNYX_SERVICE_ADMIN_TOKENS": "chaos:\(adminToken)",
                    "PNYX_SERVICE_LOG_ORIGIN_PREFIX": "chaos.pnyx.test/poll/",
                    "PNYX_SERVICE_CHECKPOINT_INTERVAL_MS": "200",
                    "PNYX_SERVICE_POOL_SIZE": "6",
                    // The verifier reads the latest checkpoint right after the load and needs
                    // every acknowledged entry under it: no read cache (its refresh lags).
                    "PNYX_SERVICE_READ_REFRESH_MS": "0",
                    "PNYX_SERVICE_HOST": "127.0.0.1",
                    "PNYX_SERVICE_PORT": "\(port)",
                ],
                logPath: directory + "/service-\(label).log"))
        }
        let world = ChaosWorld(
            directory: directory, cluster: cluster, broker: broker, brokerURL: brokerURL, services: services,
            serviceURLs: urls, serviceKey: serviceKey, verifierKey: serviceSigner.verifier.verifierKey, pnyxPath: pnyxPath,
            brokerEnvironment: brokerEnvironment)
        do {
            try broker.start()
            try await world.waitHealthy(brokerURL, process: broker)
            say("broker: pid \(broker.pid ?? 0), \(brokerURL)")
            try await world.startService(0)
            say("service A: pid \(services[0].pid ?? 0), \(urls[0])")
        } catch {
            await world.shutdown()
            throw error
        }
        return world
    }

    /// Starts service `index` and waits until its `/healthz` answers 200.
    func startService(_ index: Int) async throws {
        try services[index].start()
        try await waitHealthy(serviceURLs[index], process: services[index])
    }

    /// Polls `/healthz` until 200 (at most `seconds`).
    func waitHealthy(_ base: String, process: ManagedProcess? = nil, seconds: Double = 60) async throws {
        let client = HTTPProbe(base, timeout: 2)
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            do {
                _ = try await client.send("GET", "healthz")
                return
            } catch { last = error.description }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ReliabilityError(.noRecovery, "\(base)/healthz did not answer 200 within \(Int(seconds)) s (last: \(last))\n"
            + (process.map { "--- \($0.name) log ---\n" + $0.logTail() } ?? ""))
    }

    /// Stops every process (services, broker) and the cluster.
    func shutdown() async {
        for service in services { await service.stop(signal: SIGTERM) }
        await broker.stop(signal: SIGTERM)
        cluster.stop()
    }

    func serviceClient(_ index: Int = 0, timeout: TimeInterval = 30) -> HTTPProbe {
        HTTPProbe(serviceURLs[index] + "/v1", timeout: timeout)
    }

    func brokerClient(timeout: TimeInterval = 30) -> HTTPProbe {
        HTTPProbe(brokerURL + "/v1", timeout: timeout)
    }

    static func write(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ReliabilityError(.setupFailed, "cannot write \(path)")
        }
    }

    /// A loopback TCP port that is free now (bound to port 0, then released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ReliabilityError(.setupFailed, "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ReliabilityError(.setupFailed, "bind(127.0.0.1:0) failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
