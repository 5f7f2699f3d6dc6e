internal import COpenSSL

/// Turns OpenSSL's thread-local error queue into ``CryptoError`` values.
enum OpenSSLError {
    /// Drains the calling thread's OpenSSL error queue (`ERR_get_error` until empty) and
    /// returns every entry rendered by `ERR_error_string_n`, joined by "; ". Empty when the
    /// queue was empty.
    @discardableResult
    static func drain() -> String {
        var messages: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            buffer.withUnsafeMutableBufferPointer { ERR_error_string_n(code, $0.baseAddress, $0.count) }
            let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            messages.append(text)
        }
        return messages.joined(separator: "; ")
    }

    /// A ``CryptoError`` with `code` and `reason`, carrying the drained OpenSSL error queue.
    static func error(_ code: CryptoError.Code, _ reason: String) -> CryptoError {
        let message = drain()
        return CryptoError(code, reason, libraryMessage: message.isEmpty ? nil : message)
    }

    /// `crypto.library_failure` for a failed OpenSSL call named `call`.
    static func failure(_ call: String) -> CryptoError {
        error(.libraryFailure, "\(call) failed")
    }
}
