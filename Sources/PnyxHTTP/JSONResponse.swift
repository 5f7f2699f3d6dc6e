public import Hummingbird
public import Foundation

/// JSON responses with a deterministic encoding (sorted keys), so that equal values give
/// equal bytes and equal ETags.
public enum JSONResponse {
    /// The encoder every Pnyx JSON response uses.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// Encodes `value` as the response body with `status` and `headers`.
    public static func make(
        _ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]
    ) throws -> Response {
        let bytes = try Array(encoder().encode(value))
        return bytesResponse(bytes, status: status, headers: headers, contentType: "application/json; charset=utf-8")
    }

    /// A response with raw `bytes`.
    public static func bytesResponse(
        _ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], contentType: String
    ) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
