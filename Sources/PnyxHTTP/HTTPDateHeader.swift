import Foundation
import PnyxCore

/// The `Date` header value of a response, `Tue, 24 Nov 2026 15:06:18 GMT` (RFC 9110's
/// IMF-fixdate, the form Hummingbird writes on the router's responses), computed by
/// arithmetic and kept for the current second, for handlers that answer before the router.
public final class HTTPDateHeader: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var second: Int64 = .min
    private var text = ""

    public init() {}

    /// The value for the current second.
    public var value: String {
        let now = Int64(Date().timeIntervalSince1970.rounded(.down))
        return lock.withLock {
            if now != second {
                second = now
                text = Self.format(unixTime: now)
            }
            return text
        }
    }

    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate of a Unix time in seconds (years 1–9999).
    public static func format(unixTime seconds: Int64) -> String {
        guard let date = CivilDate(unixTime: seconds) else { return "" }
        let days = (seconds - ((seconds % 86_400) + 86_400) % 86_400) / 86_400
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        let inDay = ((seconds % 86_400) + 86_400) % 86_400
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var year = String(date.year)
        while year.count < 4 { year = "0" + year }
        return "\(weekday), \(two(Int64(date.day))) \(months[date.month - 1]) \(year) "
            + "\(two(inDay / 3600)):\(two(inDay % 3600 / 60)):\(two(inDay % 60)) GMT"
    }
}
