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
        print("  " + Self.pad(key, 36) + String(format: " %14.3f ", value) + unit)
    }

    /// Records a figure that must be at least `minimum`.
    mutating func record(_ key: String, _ value: Double, unit: String, atLeast minimum: Double) {
        rows.append(Row(key: key, value: value, unit: unit, bar: "≥ \(minimum)", passes: value >= minimum))
        print("  " + Self.pad(key, 36) + String(format: " %14.3f ", value) + unit + " (bar ≥ \(minimum))")
    }

    /// Records a figure that must stay below `maximum`.
    mutating func record(_ key: String, _ value: Double, unit: String, below maximum: Double) {
        rows.append(Row(key: key, value: value, unit: unit, bar: "< \(maximum)", passes: value < maximum))
        print("  " + Self.pad(key, 36) + String(format: " %14.3f ", value) + unit + " (bar < \(maximum))")
    }

    /// The final table, figures with a bar marked PASS or MISS.
    func table() -> String {
        var lines = [Self.pad("key", 36) + " " + Self.pad("value", 14, left: true) + " " + Self.pad("unit", 10) + " "
            + Self.pad("bar", 12)]
        lines.append(String(repeating: "-", count: 84))
        for row in rows {
            let verdict = row.passes.map { $0 ? "PASS" : "MISS" } ?? ""
            lines.append(
                Self.pad(row.key, 36) + String(format: " %14.3f ", row.value) + Self.pad(row.unit, 10) + " "
                    + Self.pad(row.bar ?? "", 12) + " " + verdict)
        }
        return lines.joined(separator: "\n")
    }

    /// `text` padded with spaces to `width` characters (`%-36@` does not pad on Linux).
    static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return left ? padding + text : text + padding
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
