import Foundation

/// The benchmark's results: one row per figure, printed as a table and written as a flat
/// JSON object (`key: number`) to `.bench/results.json`.
struct BenchReport {
    struct Row {
        let key: String
        let value: Double
        let unit: String
        /// The bar this figure must meet, e.g. "≥ 0.9", or nil for context figures.
        let bar: String?
        let passes: Bool?
    }

    private(set) var rows: [Row] = []

    /// Records a context figure (a raw rate, a latency) with no bar.
    mutating func record(_ key: String, _ value: Double, unit: String) {
        rows.append(Row(key: key, value: value, unit: unit, bar: nil, passes: nil))
        print(String(format: "  %-36@ %14.3f %@", key as NSString, value, unit as NSString))
    }

    /// Records a figure that must be at least `minimum`.
    mutating func record(_ key: String, _ value: Double, unit: String, atLeast minimum: Double) {
        rows.append(Row(key: key, value: value, unit: unit, bar: "≥ \(minimum)", passes: value >= minimum))
        print(String(format: "  %-36@ %14.3f %@ (bar ≥ %g)", key as NSString, value, unit as NSString, minimum))
    }

    /// Records a figure that must stay below `maximum`.
    mutating func record(_ key: String, _ value: Double, unit: String, below maximum: Double) {
        rows.append(Row(key: key, value: value, unit: unit, bar: "< \(maximum)", passes: value < maximum))
        print(String(format: "  %-36@ %14.3f %@ (bar < %g)", key as NSString, value, unit as NSString, maximum))
    }

    /// The final table, figures with a bar marked PASS or MISS.
    func table() -> String {
        var lines = [String(format: "%-36@ %14@ %-10@ %-10@ %@", "key", "value", "unit", "bar", "")]
        lines.append(String(repeating: "-", count: 80))
        for row in rows {
            let verdict = row.passes.map { $0 ? "PASS" : "MISS" } ?? ""
            lines.append(String(
                format: "%-36@ %14.3f %-10@ %-10@ %@", row.key as NSString, row.value,
                row.unit as NSString, (row.bar ?? "") as NSString, verdict as NSString))
        }
        return lines.joined(separator: "\n")
    }

    /// Writes the flat JSON object of every figure to `path`, creating its folder.
    func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var object: [String: Double] = [:]
        for row in rows { object[row.key] = row.value }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: url)
    }
}
