import HummingbirdTesting
import Testing

@Suite("Health")
struct HealthTests {
    @Test("GET /healthz answers 200 when the database answers, on the service and the broker")
    func healthz() async throws {
        try await PnyxWorld.with { world in
            let service = try await world.client.get("/healthz")
            #expect(service.status == .ok)
            #expect(String(buffer: service.body) == #"{"status":"ok"}"#)
            #expect(service.headers[.cacheControl] == "no-store")
            let broker = try await world.brokerClient.get("/healthz")
            #expect(broker.status == .ok)
        }
    }
}
