import Foundation
import HummingbirdTesting
import PnyxCore
@testable import PnyxService
import Testing

@Suite("OpenAPI document (real router, real PostgreSQL)")
struct OpenAPITests {
    @Test("every registered route is in /v1/openapi.json with its answers and error codes, and every documented one is registered")
    func documentMatchesRouter() async throws {
        try await PnyxWorld.with { world in
            let router = buildServiceRouter(service: world.service)
            let registered = ServiceAPI.registered(router)
            #expect(registered.count >= 30)
            // Router → list.
            for route in registered {
                #expect(ServiceAPI.documented.contains(route), "\(route) is registered but not documented in ServiceAPI")
            }
            // List → router (the endpoints of other parts only once they are registered).
            for endpoint in ServiceAPI.endpoints where endpoint.part == .service {
                let route = "\(endpoint.method.uppercased()) \(endpoint.path)"
                #expect(registered.contains(route), "\(route) is documented but not registered")
            }

            // The served document.
            let response = try await world.client.get("/v1/openapi.json")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(response.bytes)) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
            var served: Set<String> = []
            for (path, operations) in paths {
                for (method, value) in operations {
                    served.insert("\(method.uppercased()) \(path)")
                    let operation = try #require(value as? [String: Any])
                    let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(path)")
                    #expect(responses.keys.contains { $0.hasPrefix("2") }, "\(method) \(path) has no success answer")
                    #expect(responses["500"] != nil)
                    // Every schema reference resolves.
                    let text = String(decoding: try JSONSerialization.data(withJSONObject: value), as: UTF8.self)
                    for match in text.matches(of: /#\/components\/schemas\/([A-Za-z]+)/) {
                        #expect(schemas[String(match.1)] != nil, "\(method) \(path) refers to \(match.1)")
                    }
                    // Every error code has a status in the document.
                    for code in operation["x-error-codes"] as? [String] ?? [] {
                        #expect(ServiceAPI.errorStatus[code] != nil, "\(code) has no status")
                    }
                }
            }
            // The served paths are exactly the registered routes plus the document itself.
            #expect(served == registered.union(["GET /v1/openapi.json"]))
            // Authentication is declared on the administration endpoints.
            let certify = try #require(paths["/v1/admin/polls/{poll}/certify"]?["post"] as? [String: Any])
            #expect((certify["security"] as? [[String: [String]]])?.first?.keys.first == "admin")
            let entries = try #require(paths["/v1/polls/{poll}/entries"]?["post"] as? [String: Any])
            let codes = try #require(entries["x-error-codes"] as? [String])
            #expect(codes.contains("entry.replayed"))
            #expect(codes.contains("credential.invalid_signature"))
        }
    }

    @Test("the service's own error codes each have a documented status")
    func errorCodes() {
        let codes: [ServiceError.Code] = [
            .pollUnknown, .pollNotOpen, .pollInvalidState, .nullifierReused, .entryReplayed, .channelNotAllowed, .authRequired,
            .authForbidden, .proposalUnknown, .proposalDecided, .thresholdNotReached, .certificateUnknown,
            .countersignatureInvalid, .countersignatureUnknownKey, .brokerUnavailable, .brokerInvalidDirectory,
            .proofInvalidRange, .logNotFound, .tallyMismatch,
        ]
        for code in codes { #expect(ServiceAPI.errorStatus[code.rawValue] != nil, "\(code)") }
    }
}
