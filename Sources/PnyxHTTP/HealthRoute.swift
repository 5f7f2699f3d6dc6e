public import Hummingbird
public import PnyxPostgres

extension Router {
    /// `GET /healthz`: 200 `{"status":"ok"}` when the database answers, 503
    /// `db.connection_failed` (or another `db.*` code) when it does not. For load balancers
    /// and orchestrators; no authentication, no caching.
    public func addHealthRoute(pool: PostgresPool) {
        get("healthz") { _, _ -> Response in
            do {
                _ = try await pool.query("SELECT 1")
            } catch let error as PostgresError {
                throw APIError(.serviceUnavailable, code: error.code.rawValue, reason: "the database does not answer; retry later")
            }
            var headers: HTTPFields = [:]
            headers[.cacheControl] = "no-store"
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
    }
}
