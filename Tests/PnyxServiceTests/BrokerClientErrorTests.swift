import Foundation
@testable import PnyxService
import Testing

/// The broker's refusals reach the administration with the broker's own code.
@Suite("HTTPBrokerClient: errors of the broker's answers")
struct BrokerClientErrorTests {
    @Test("a 4xx with the broker's error body is broker.refused naming the broker's code")
    func refusalKeepsTheBrokersCode() {
        let body = Data(#"{"error":{"code":"poll.already_open","reason":"the poll opened at 12:00"}}"#.utf8)
        let error = HTTPBrokerClient.error(status: 409, body: body, request: "POST /v1/polls")
        #expect(error.code == .brokerRefused)
        #expect(error.status == .conflict)
        #expect(error.reason.contains("poll.already_open"))
        #expect(error.reason.contains("the poll opened at 12:00"))
    }

    @Test("a 5xx, or a body that is not the broker's error, is broker.unavailable")
    func otherAnswersAreUnavailable() {
        let server = HTTPBrokerClient.error(status: 503, body: Data(#"{"error":{"code":"db.connection_failed","reason":"x"}}"#.utf8), request: "POST /v1/polls")
        #expect(server.code == .brokerUnavailable)
        #expect(server.status == .badGateway)
        let proxy = HTTPBrokerClient.error(status: 404, body: Data("<html>not found</html>".utf8), request: "GET /v1/broker")
        #expect(proxy.code == .brokerUnavailable)
        #expect(proxy.reason.contains("<html>not found</html>"))
    }
}
