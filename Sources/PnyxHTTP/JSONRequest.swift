public import Hummingbird
public import Foundation

extension Request {
    /// Collects at most `limit` bytes of body (`request.too_large`, 413, beyond) and decodes
    /// them as JSON into `type` (`request.malformed`, 400, with the failing key path).
    public func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T {
        try Self.decodeJSON(type, from: try await collectBody(limit: limit))
    }

    /// Decodes `data` as JSON into `type` as ``decodeJSON(_:limit:)-(T.Type,_)`` does after
    /// collecting the body (`request.malformed`, 400, with the failing key path).
    public static func decodeJSON<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError.malformed("invalid JSON body: \(describe(error))")
        }
    }

    /// Decodes `data` strictly as ``decodeJSON(_:limit:)-(T.Type,_)`` does for a `Codable`
    /// type after collecting the body: `request.malformed`, or `request.unknown_field` for a
    /// key `type` does not know. For routes that collect the body themselves.
    public static func decodeJSON<T: Codable>(_ type: T.Type, from data: Data) throws -> T {
        try decodeStrictJSON(type, from: data)
    }

    /// At most `limit` bytes of body, as collected by ``decodeJSON(_:limit:)-(T.Type,_)``;
    /// beyond, `request.too_large` (413). For routes that parse a tiny body by hand.
    public func collectBody(upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.tooLarge(limit: limit)
        }
    }

    /// Like ``decodeJSON(_:limit:)`` for a type that encodes back to JSON, and strict: a key
    /// that `type` does not know (at any depth) is refused with `request.unknown_field` (400)
    /// rather than silently dropped, so a client never believes a field it sent was honoured.
    /// Keys whose value is `null` are treated as absent.
    public func decodeJSON<T: Codable>(_ type: T.Type, limit: Int) async throws -> T {
        try Self.decodeStrictJSON(type, from: try await collectBody(limit: limit))
    }

    /// Like ``decodeJSON(_:limit:)-(T.Type,_)`` (same limit, same refusals), with a fast
    /// path: `fast` reads the body's bytes first and returns the value when it is certain that
    /// the strict path would decode exactly that value from them; it returns nil for anything
    /// else (any doubt, any refusal), and the strict path then decodes the body and answers
    /// with its own error. So a refusal's code and reason never depend on the fast path.
    public func decodeJSON<T: Codable>(
        _ type: T.Type, limit: Int, fast: (UnsafeRawBufferPointer) -> T?
    ) async throws -> T {
        try Self.decodeJSON(type, from: try await collectBody(upTo: limit), fast: fast)
    }

    /// What ``decodeJSON(_:limit:fast:)`` does once the body is collected: `fast` over the
    /// body's bytes, else the strict decoding (`request.malformed`, `request.unknown_field`).
    /// For handlers that collect the body themselves (the service's entry fast path), so
    /// that both give the same value, or the same code and reason.
    public static func decodeJSON<T: Codable>(
        _ type: T.Type, from body: ByteBuffer, fast: (UnsafeRawBufferPointer) -> T?
    ) throws -> T {
        if let value = body.withUnsafeReadableBytes(fast) { return value }
        return try decodeStrictJSON(type, from: Data(body.readableBytesView))
    }

    /// At most `limit` bytes of body; beyond, `request.too_large` (413).
    private func collectBody(limit: Int) async throws -> Data {
        // HTTPError(.contentTooLarge) or NIOTooManyBytesError (what collect(upTo:) throws)
        // become `request.too_large`.
        Data(try await collectBody(upTo: limit).readableBytesView)
    }

    /// Decodes `data` as `type` and refuses keys `type` does not know (see
    /// ``decodeJSON(_:limit:)-(T.Type,_)``): `request.malformed` or `request.unknown_field`.
    static func decodeStrictJSON<T: Codable>(_ type: T.Type, from data: Data) throws -> T {
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError.malformed("invalid JSON body: \(describe(error))")
        }
        // The keys' structure only: one pass over the body, and the value's keys as its
        // encoding would write them (KeyTreeEncoder), with no JSON written or parsed again.
        guard let given = JSONKeyTree(parsing: data), let known = try? KeyTreeEncoder.tree(of: value) else { return value }
        if let path = given.firstUnknownKey(knownFrom: known) {
            throw APIError(.badRequest, code: "request.unknown_field",
                           reason: "unknown field \(path); remove it (the API refuses fields it does not define)")
        }
        return value
    }

    /// The bearer token of the `Authorization` header, if any.
    public var bearerToken: String? { Self.bearerToken(in: headers) }

    /// The bearer token of the `Authorization` header of `headers`, if any (as ``bearerToken``).
    public static func bearerToken(in headers: HTTPFields) -> String? {
        guard let value = headers[.authorization] else { return nil }
        let prefix = "Bearer "
        guard value.count > prefix.count, value.lowercased().hasPrefix(prefix.lowercased()) else { return nil }
        return String(value.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "(top level)" : keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key \(path(context.codingPath + [key]))"
        case .valueNotFound(_, let context): return "null at \(path(context.codingPath))"
        case .typeMismatch(let type, let context): return "expected \(type) at \(path(context.codingPath))"
        case .dataCorrupted(let context): return "\(context.debugDescription) at \(path(context.codingPath))"
        @unknown default: return "\(error)"
        }
    }
}
