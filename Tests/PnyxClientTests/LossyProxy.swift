import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.1 relay on 127.0.0.1 (POSIX sockets, a thread per connection) in front of a
/// real server, that loses what a flaky network loses: for the requests `lose` picks, either
/// the answer (the request is forwarded, the server's whole answer read, then the client's
/// connection closed without a byte of it) or the request itself (closed before forwarding).
/// Everything else is relayed unchanged. It records each exchange's method, path and status.
final class LossyProxy: @unchecked Sendable {
    enum Loss: Sendable { case none, answer, request }

    let port: UInt16
    private let upstreamPort: UInt16
    private let socketFD: Int32
    private let lock = NSLock()
    private var decide: @Sendable (_ method: String, _ path: String) -> Loss = { _, _ in .none }
    private var _exchanges: [(method: String, path: String, status: Int?, loss: Loss)] = []

    var url: String { "http://127.0.0.1:\(port)" }
    /// Every request seen: method, path, the server's status (nil when not forwarded), the loss applied.
    var exchanges: [(method: String, path: String, status: Int?, loss: Loss)] { lock.withLock { _exchanges } }

    /// Relays to `http://127.0.0.1:<upstream port>` of `upstream`.
    init(upstream: String) throws {
        guard let port = URL(string: upstream)?.port else { throw ProxyError("no port in \(upstream)") }
        upstreamPort = UInt16(port)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProxyError("socket failed") }
        socketFD = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw ProxyError("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = UInt16(bigEndian: address.sin_port)
        Thread { [self] in acceptLoop() }.start()
    }

    /// From now on, `decide` picks the loss of each request.
    func lose(_ decide: @escaping @Sendable (_ method: String, _ path: String) -> Loss) { lock.withLock { self.decide = decide } }

    func stop() {
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(socketFD, nil, nil)
            guard client >= 0 else { return }
            Thread { [self] in serve(client) }.start()
        }
    }

    /// Serves the requests of one client connection, one at a time.
    private func serve(_ client: Int32) {
        defer { close(client) }
        var buffer: [UInt8] = []
        while let request = Self.readMessage(client, &buffer, isResponse: false) {
            let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
            let method = line.first.map(String.init) ?? ""
            let path = line.count > 1 ? String(line[1]) : ""
            let loss = lock.withLock { decide(method, path) }
            if loss == .request {
                lock.withLock { _exchanges.append((method, path, nil, loss)) }
                return
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            var upstreamBuffer: [UInt8] = []
            guard connected == 0, Self.writeAll(upstream, request),
                  let response = Self.readMessage(upstream, &upstreamBuffer, isResponse: true) else {
                close(upstream)
                return
            }
            close(upstream)
            let status = Int(String(decoding: response.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ").dropFirst().first ?? "")
            lock.withLock { _exchanges.append((method, path, status, loss)) }
            if loss == .answer { return }  // the server answered; the client never hears it
            guard Self.writeAll(client, response) else { return }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 { if errno == EINTR { continue }; return false }
            offset += written
        }
        return true
    }

    /// One whole HTTP/1.1 message (head and a `Content-Length` or chunked body) from `fd`,
    /// keeping what follows it in `buffer`; nil at the end of the stream.
    private static func readMessage(_ fd: Int32, _ buffer: inout [UInt8], isResponse: Bool) -> [UInt8]? {
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return false }
            buffer += chunk[0..<count]
            return true
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if buffer.count >= 4 {
                headEnd = (0...(buffer.count - 4)).first { Array(buffer[$0..<($0 + 4)]) == separator }.map { $0 + 4 }
            }
            if headEnd == nil, !fill() { return nil }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self).lowercased()
        var length = 0
        var chunked = false
        for line in head.split(separator: "\r\n") {
            if line.hasPrefix("content-length:") { length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0 }
            if line.hasPrefix("transfer-encoding:") && line.contains("chunked") { chunked = true }
        }
        if chunked {
            let end: [UInt8] = Array("0\r\n\r\n".utf8)
            while true {
                let body = buffer[headEnd!...]
                if body.count >= 5, let found = (headEnd!...(buffer.count - 5)).first(where: { Array(buffer[$0..<($0 + 5)]) == end }) {
                    let message = Array(buffer[0..<(found + 5)])
                    buffer.removeFirst(found + 5)
                    return message
                }
                if !fill() { return nil }
            }
        }
        while buffer.count < headEnd! + length { if !fill() { return nil } }
        let message = Array(buffer[0..<(headEnd! + length)])
        buffer.removeFirst(headEnd! + length)
        return message
    }
}

struct ProxyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
