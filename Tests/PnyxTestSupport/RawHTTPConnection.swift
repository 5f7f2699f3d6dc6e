import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One raw TCP connection to a loopback server, for what an HTTP client library hides:
/// pipelined requests in one send, an answer's exact header lines, a connection closed before
/// its answer. Blocking socket calls, run on a thread of their own (never on the concurrency
/// pool the server's tasks need); a 60 s receive timeout turns a hang into a failure.
public final class RawHTTPConnection: @unchecked Sendable {
    /// One answer as received.
    public struct Answer: Sendable {
        /// The status line, e.g. `HTTP/1.1 201 Created`.
        public var statusLine: String
        /// The header lines in order, `name: value`, as received.
        public var headerLines: [String]
        public var body: [UInt8]

        public var status: Int { Int(statusLine.split(separator: " ")[1]) ?? 0 }

        /// The header lines with the `Date` value replaced (it changes every second).
        public var headerLinesWithoutDate: [String] {
            headerLines.map { $0.lowercased().hasPrefix("date:") ? "date: (any)" : $0 }
        }

        public func header(_ name: String) -> String? {
            let prefix = name.lowercased() + ":"
            return headerLines.first { $0.lowercased().hasPrefix(prefix) }.map {
                String($0.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
            }
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private let socket: Int32
    private var received: [UInt8] = []

    private init(socket: Int32) { self.socket = socket }

    /// Connects to 127.0.0.1:`port`.
    public static func connect(port: Int) async throws -> RawHTTPConnection {
        try await blocking {
            let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket() failed") }
            var timeout = timeval(tv_sec: 60, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard result == 0 else {
                _ = Glibc.close(fd)
                throw Failure(description: "connect() failed")
            }
            return RawHTTPConnection(socket: fd)
        }
    }

    /// Sends `bytes` in one `send`.
    public func send(_ bytes: [UInt8]) async throws {
        try await Self.blocking { [socket] in
            var sent = 0
            while sent < bytes.count {
                let count = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard count > 0 else { throw Failure(description: "send() failed") }
                sent += count
            }
        }
    }

    /// Reads the next answer (its body by `Content-Length`).
    public func answer() async throws -> Answer {
        try await Self.blocking { try self.readAnswer() }
    }

    /// True when the server closed the connection (a read returns end of file) with nothing
    /// more to read.
    public func isClosedByServer() async throws -> Bool {
        try await Self.blocking {
            if !self.received.isEmpty { return false }
            var buffer = [UInt8](repeating: 0, count: 1024)
            let count = buffer.withUnsafeMutableBytes { recv(self.socket, $0.baseAddress, $0.count, 0) }
            return count == 0
        }
    }

    private var closed = false

    /// Closes the socket (once).
    public func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(socket)
    }

    deinit { close() }

    private func readAnswer() throws -> Answer {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var end: Int? = nil
        while end == nil {
            if received.count >= 4 {
                end = (0...(received.count - 4)).first { Array(received[$0..<($0 + 4)]) == separator }
            }
            if end == nil { try fill() }
        }
        let headText = String(decoding: received[0..<end!], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        received.removeFirst(end! + 4)
        let answer = Answer(statusLine: statusLine, headerLines: lines, body: [])
        let length = Int(answer.header("content-length") ?? "0") ?? 0
        while received.count < length { try fill() }
        let body = Array(received[0..<length])
        received.removeFirst(length)
        return Answer(statusLine: statusLine, headerLines: lines, body: body)
    }

    private func fill() throws {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw Failure(description: "the connection ended before a complete answer (\(count))") }
        received += buffer[0..<count]
    }

    /// Runs `work` on a thread of its own.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.start()
        }
    }
}

extension RawHTTPConnection {
    /// The bytes of `POST path` with a JSON `body` (and `extra` header lines).
    public static func post(_ path: String, _ body: [UInt8], extra: [String] = []) -> [UInt8] {
        var head = "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        for line in extra { head += line + "\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    /// The bytes of `GET path`.
    public static func get(_ path: String) -> [UInt8] {
        Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
    }
}
