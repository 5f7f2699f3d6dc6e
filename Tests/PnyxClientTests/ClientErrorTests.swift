import Foundation
import Testing
@testable import PnyxClient

@Suite struct ClientErrorTests {
    @Test func anAPIErrorBodyKeepsItsCode() {
        let body = Data(#"{"error":{"code":"issuance.already_issued","reason":"one credential per poll"}}"#.utf8)
        let error = APIClient.error(from: body, status: 409, method: "POST", url: "http://x/v1/polls/a/credential")
        #expect(error == ClientError(code: "issuance.already_issued", status: 409, reason: "one credential per poll"))
    }

    @Test func aForeignBodyIsABadResponse() {
        let error = APIClient.error(from: Data("<html>502</html>".utf8), status: 502, method: "GET", url: "http://x/")
        #expect(error.code == ClientError.Code.badResponse.rawValue)
        #expect(error.status == 502)
        #expect(error.reason.contains("<html>502</html>"))
    }

    @Test func nothingListeningIsUnreachable() async {
        // Port 9 (discard) on loopback: nothing listens there in the test environment.
        let client = APIClient(baseURL: URL(string: "http://127.0.0.1:9/v1")!, timeout: 5)
        await #expect(throws: ClientError.self) { let _: [String] = try await client.get("polls") }
        do { let _: [String] = try await client.get("polls") } catch { #expect(error.code == "client.unreachable") }
    }
}
