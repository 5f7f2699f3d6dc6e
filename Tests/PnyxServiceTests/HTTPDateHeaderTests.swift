import Foundation
import PnyxHTTP
import Testing

/// The `Date` header the fast paths write has the router's form (RFC 9110 IMF-fixdate).
@Suite("HTTPDateHeader: IMF-fixdate by arithmetic")
struct HTTPDateHeaderTests {
    @Test("RFC 9110's example, the epoch, leap days and century years; equal to Foundation's formatter over many instants")
    func format() {
        #expect(HTTPDateHeader.format(unixTime: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDateHeader.format(unixTime: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDateHeader.format(unixTime: 1_709_164_800) == "Thu, 29 Feb 2024 00:00:00 GMT")
        #expect(HTTPDateHeader.format(unixTime: -1) == "Wed, 31 Dec 1969 23:59:59 GMT")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var seconds: Int64 = 946_684_799  // 1999-12-31T23:59:59Z, then steps of about 3 days and 7 hours
        for _ in 0..<5_000 {
            #expect(HTTPDateHeader.format(unixTime: seconds) == formatter.string(from: Date(timeIntervalSince1970: Double(seconds))),
                    "\(seconds)")
            seconds += 284_407
        }
        let now = HTTPDateHeader().value
        #expect(now.hasSuffix(" GMT") && now.count == 29, "\(now)")
    }
}
