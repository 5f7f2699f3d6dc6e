public import Foundation
public import PnyxBroker
public import PnyxCore
public import PnyxCrypto
public import PnyxService

/// Starting and stopping the real servers of the integration tests.
public enum TestServers {
    /// A broker configuration with the test settings: `k`, Argon2id's test-only parameters,
    /// an ephemeral port, a pool of 4, rate limits no test reaches; the broker trusts `serviceKey`.
    public static func brokerConfiguration(
        adminToken: String, databaseURL: String, trusting serviceKey: Ed25519.PublicKey, k: Int
    ) throws -> BrokerConfiguration {
        var configuration = BrokerConfiguration(
            adminToken: adminToken, signer: try BrokerSigner.generate(), trustedServiceKeys: [serviceKey], databaseURL: databaseURL)
        configuration.k = k
        configuration.argon2 = .unsafeTestOnly
        configuration.port = 0
        configuration.databasePoolSize = 4
        configuration.rateBurst = 10_000
        configuration.ratePerSecond = 10_000
        return configuration
    }

    /// Starts a broker, runs `body` with it, and shuts it down (also when `body` throws).
    public static func withBroker(
        _ configuration: BrokerConfiguration, now: @escaping @Sendable () -> Date, _ body: (Broker) async throws -> Void
    ) async throws {
        let broker = try await Broker.start(configuration: configuration, now: now)
        do { try await body(broker) } catch {
            await broker.shutdown()
            throw error
        }
        await broker.shutdown()
    }

    /// Starts a petition service, runs `body` with it, and shuts it down (also when `body` throws).
    public static func withService(
        _ configuration: ServiceConfiguration, now: @escaping @Sendable () -> Date, _ body: (PetitionService) async throws -> Void
    ) async throws {
        let service = try await PetitionService.start(configuration: configuration, now: now)
        do { try await body(service) } catch {
            await service.shutdown()
            throw error
        }
        await service.shutdown()
    }

    /// Creates and publishes `drafts` on `service`, moves `clock` into their windows (an hour
    /// and a second) and opens them.
    public static func openPolls(_ drafts: [PollDraft], service: PetitionService, clock: TestClock) async throws -> [PollState] {
        var ids: [PollID] = []
        for draft in drafts {
            let state = try await service.createPoll(draft)
            _ = try await service.publish(state.id)
            ids.append(state.id)
        }
        clock.advance(3601)
        var states: [PollState] = []
        for id in ids { states.append(try await service.open(id)) }
        return states
    }
}
