import Foundation

/// Small accessible SVG charts (no script): horizontal bars and a history curve. Each chart
/// has a title and description, and the numbers are also given as a table for screen readers.
enum SVGCharts {
    /// Horizontal bars, one per (label, count), in the given order.
    static func bars(title: String, rows: [(label: String, count: UInt64)], id: String) -> String {
        let width = 640.0, barHeight = 26.0, gap = 8.0, labelWidth = 180.0
        let height = Double(rows.count) * (barHeight + gap) + gap
        let maximum = Double(rows.map(\.count).max() ?? 0)
        var svg = """
            <svg class="chart" role="img" aria-labelledby="\(id)-title" viewBox="0 0 \(Int(width)) \(Int(max(height, 1)))" \
            preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">
            <title id="\(id)-title">\(HTML.escape(title))</title>

            """
        for (index, row) in rows.enumerated() {
            let y = gap + Double(index) * (barHeight + gap)
            let length = maximum > 0 ? (width - labelWidth - 70) * Double(row.count) / maximum : 0
            svg += """
                <text x="\(Int(labelWidth - 8))" y="\(Int(y + barHeight * 0.7))" text-anchor="end" class="label">\(HTML.escape(row.label))</text>
                <rect x="\(Int(labelWidth))" y="\(Int(y))" width="\(String(format: "%.1f", max(length, 1)))" height="\(Int(barHeight))" class="bar"/>
                <text x="\(String(format: "%.1f", labelWidth + length + 6))" y="\(Int(y + barHeight * 0.7))" class="value">\(row.count)</text>

                """
        }
        svg += "</svg>\n"
        var table = "<table class=\"visually-hidden\"><caption>\(HTML.escape(title))</caption><tbody>"
        for row in rows { table += "<tr><th scope=\"row\">\(HTML.escape(row.label))</th><td>\(row.count)</td></tr>" }
        table += "</tbody></table>\n"
        return svg + table
    }

    /// A step curve of participants over time (hours as Unix seconds).
    static func history(title: String, points: [(hour: Int64, participants: UInt64)], id: String) -> String {
        let width = 640.0, height = 220.0, left = 50.0, bottom = 30.0, top = 10.0, right = 10.0
        guard let first = points.first, let last = points.last else { return "" }
        let span = Double(max(last.hour - first.hour, 3600))
        let maximum = Double(max(points.map(\.participants).max() ?? 1, 1))
        func x(_ hour: Int64) -> Double { left + (width - left - right) * Double(hour - first.hour) / span }
        func y(_ value: UInt64) -> Double { height - bottom - (height - bottom - top) * Double(value) / maximum }
        var path = "M \(String(format: "%.1f", x(first.hour))) \(String(format: "%.1f", y(0)))"
        for point in points {
            path += " L \(String(format: "%.1f", x(point.hour))) \(String(format: "%.1f", y(point.participants)))"
        }
        path += " L \(String(format: "%.1f", x(last.hour) + 1)) \(String(format: "%.1f", y(last.participants)))"
        var svg = """
            <svg class="chart" role="img" aria-labelledby="\(id)-title" viewBox="0 0 \(Int(width)) \(Int(height))" xmlns="http://www.w3.org/2000/svg">
            <title id="\(id)-title">\(HTML.escape(title))</title>
            <line x1="\(Int(left))" y1="\(Int(height - bottom))" x2="\(Int(width - right))" y2="\(Int(height - bottom))" class="axis"/>
            <line x1="\(Int(left))" y1="\(Int(top))" x2="\(Int(left))" y2="\(Int(height - bottom))" class="axis"/>
            <text x="\(Int(left - 6))" y="\(Int(top + 10))" text-anchor="end" class="label">\(Int(maximum))</text>
            <text x="\(Int(left - 6))" y="\(Int(height - bottom))" text-anchor="end" class="label">0</text>
            <text x="\(Int(left))" y="\(Int(height - 8))" class="label">\(HTML.escape(HTML.date(first.hour)))</text>
            <text x="\(Int(width - right))" y="\(Int(height - 8))" text-anchor="end" class="label">\(HTML.escape(HTML.date(last.hour)))</text>
            <path d="\(path)" class="curve"/>
            </svg>

            """
        svg += "<table class=\"visually-hidden\"><caption>\(HTML.escape(title))</caption><tbody>"
        for point in points { svg += "<tr><th scope=\"row\">\(HTML.escape(HTML.date(point.hour)))</th><td>\(point.participants)</td></tr>" }
        svg += "</tbody></table>\n"
        return svg
    }
}
