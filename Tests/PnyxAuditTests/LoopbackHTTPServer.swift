import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (port chosen by the system) for the auditor's HTTP
/// tests, with POSIX sockets only: it serves an export folder as a service would
/// (`GET /polls/<id>/log/<path>`, `GET /polls/<id>/tally`) and records POSTs
/// (`/polls/<id>/log/cosignatures`). One connection at a time, `Connection: close`.
final class LoopbackHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let socketFD: Int32
    private let lock = NSLock()
    private var root: String
    private var _posts: [(path: String, body: String)] = []
    private var stopped = false

    var posts: [(path: String, body: String)] { lock.withLock { _posts } }
    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    /// Serves the export folder `root` as the log of every poll.
    init(root: String) throws {
        self.root = root
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.socketFD = socketFD
        guard socketFD >= 0 else { throw TestError("socket failed") }
        var one: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(socketFD, 16) == 0 else { throw TestError("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        self.port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Serves another folder from now on (a service that changed its log).
    func serve(_ root: String) { lock.withLock { self.root = root } }

    func stop() {
        lock.withLock { stopped = true }
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
    }

    private func acceptLoop() {
        while true {
            let client = accept(socketFD, nil, nil)
            if client < 0 {
                if lock.withLock({ stopped }) { return }
                continue
            }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var headerEnd: Int? = nil
        var contentLength = 0
        while true {
            let count = recv(client, &buffer, buffer.count, 0)
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
            if headerEnd == nil, let range = findHeaderEnd(data) {
                headerEnd = range
                let head = String(decoding: data[0..<range], as: UTF8.self)
                for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let headerEnd, data.count >= headerEnd + 4 + contentLength { break }
        }
        guard let headerEnd else { return }
        let head = String(decoding: data[0..<headerEnd], as: UTF8.self)
        let requestLine = head.split(separator: "\r\n").first.map(String.init) ?? ""
        let parts = requestLine.split(separator: " ")
        guard parts.count >= 2 else { return respond(client, 400, []) }
        let method = String(parts[0]), path = String(parts[1])
        let body = Array(data[(headerEnd + 4)...].prefix(contentLength))
        let components = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if method == "POST" {
            lock.withLock { _posts.append((path, String(decoding: body, as: UTF8.self))) }
            return respond(client, 204, [])
        }
        // polls/<id>/log/<rest…> or polls/<id>/tally
        guard components.count >= 3, components[0] == "polls", !components.contains("..") else { return respond(client, 404, []) }
        let root = lock.withLock { self.root }
        let file: String
        if components[2] == "tally", components.count == 3 {
            file = root + "/tally.json"
        } else if components[2] == "log", components.count > 3 {
            file = root + "/" + components[3...].joined(separator: "/")
        } else {
            return respond(client, 404, [])
        }
        guard let contents = FileManager.default.contents(atPath: file) else { return respond(client, 404, Array("not found".utf8)) }
        respond(client, 200, [UInt8](contents))
    }

    private func findHeaderEnd(_ data: [UInt8]) -> Int? {
        guard data.count >= 4 else { return nil }
        for i in 0...(data.count - 4) where data[i] == 13 && data[i + 1] == 10 && data[i + 2] == 13 && data[i + 3] == 10 {
            return i
        }
        return nil
    }

    private func respond(_ client: Int32, _ status: Int, _ body: [UInt8]) {
        let reason = [200: "OK", 204: "No Content", 400: "Bad Request", 404: "Not Found"][status] ?? "Status"
        var out = Array("HTTP/1.1 \(status) \(reason)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
        out += body
        var sent = 0
        while sent < out.count {
            let count = out[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return }
            sent += count
        }
    }
}
