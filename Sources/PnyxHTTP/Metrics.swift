import Foundation

/// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
/// Prometheus text exposition format 0.0.4 by ``render()``.
///
/// Each server (broker, service) owns its own registry, so several servers can run in one
/// process (tests, `pnyx up`) without a process-wide bootstrap. Metric handles are cheap to
/// keep and thread-safe; asking twice for the same name and labels gives the same series.
/// A name is registered with one kind and one help text: the first registration wins.
public final class MetricsRegistry: @unchecked Sendable {
    /// The kind of a metric family.
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// Default latency buckets, in seconds (1 ms to 10 s).
    public static let defaultLatencyBuckets: [Double] = [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    private final class Family {
        let name: String
        let help: String
        let kind: Kind
        let buckets: [Double]
        var series: [String: Series] = [:]

        init(name: String, help: String, kind: Kind, buckets: [Double]) {
            self.name = name
            self.help = help
            self.kind = kind
            self.buckets = buckets
        }
    }

    private let lock = NSLock()
    private var families: [String: Family] = [:]

    public init() {}

    /// The counter `name` with `labels` (created at zero on first use).
    public func counter(_ name: String, help: String, labels: [String: String] = [:]) -> MetricsCounter {
        MetricsCounter(series: series(name, help: help, kind: .counter, buckets: [], labels: labels).0)
    }

    /// The gauge `name` with `labels`.
    public func gauge(_ name: String, help: String, labels: [String: String] = [:]) -> MetricsGauge {
        MetricsGauge(series: series(name, help: help, kind: .gauge, buckets: [], labels: labels).0)
    }

    /// The histogram `name` with `labels`; `buckets` are upper bounds, ascending (`+Inf` is implied).
    public func histogram(
        _ name: String, help: String, buckets: [Double] = MetricsRegistry.defaultLatencyBuckets,
        labels: [String: String] = [:]
    ) -> MetricsHistogram {
        let (series, bounds) = series(name, help: help, kind: .histogram, buckets: buckets.sorted(), labels: labels)
        return MetricsHistogram(series: series, bounds: bounds)
    }

    /// The series and its family's bucket bounds.
    private func series(
        _ name: String, help: String, kind: Kind, buckets: [Double], labels: [String: String]
    ) -> (Series, [Double]) {
        precondition(Self.isValidName(name), "invalid metric name \(name)")
        let key = Self.labelText(labels)
        return lock.withLock {
            let family: Family
            if let existing = families[name] {
                precondition(existing.kind == kind, "metric \(name) is a \(existing.kind.rawValue), not a \(kind.rawValue)")
                family = existing
            } else {
                family = Family(name: name, help: help, kind: kind, buckets: buckets)
                families[name] = family
            }
            if let existing = family.series[key] { return (existing, family.buckets) }
            let created = Series(bucketCount: family.buckets.count)
            family.series[key] = created
            return (created, family.buckets)
        }
    }

    /// Every metric in the Prometheus text format 0.0.4 (families and series sorted by name).
    public func render() -> String {
        let snapshot: [(Family, [(String, Series.Values)])] = lock.withLock {
            families.keys.sorted().map { name in
                let family = families[name]!
                return (family, family.series.keys.sorted().map { ($0, family.series[$0]!.values) })
            }
        }
        var out = ""
        for (family, series) in snapshot {
            out += "# HELP \(family.name) \(Self.escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            for (labels, values) in series {
                switch family.kind {
                case .counter, .gauge:
                    out += "\(family.name)\(Self.braced(labels)) \(Self.format(values.value))\n"
                case .histogram:
                    var cumulative: UInt64 = 0
                    for (bound, count) in zip(family.buckets, values.buckets) {
                        cumulative += count
                        out += "\(family.name)_bucket\(Self.braced(labels, le: Self.format(bound))) \(cumulative)\n"
                    }
                    out += "\(family.name)_bucket\(Self.braced(labels, le: "+Inf")) \(values.count)\n"
                    out += "\(family.name)_sum\(Self.braced(labels)) \(Self.format(values.value))\n"
                    out += "\(family.name)_count\(Self.braced(labels)) \(values.count)\n"
                }
            }
        }
        return out
    }

    // MARK: Text format

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { c in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: ":")
        }
    }

    /// `a="x",b="y"` sorted by label name, values escaped (`\\`, `\"`, `\n`).
    static func labelText(_ labels: [String: String]) -> String {
        labels.keys.sorted().map { name in
            precondition(isValidName(name) && !name.contains(":"), "invalid label name \(name)")
            return "\(name)=\"\(escapeLabel(labels[name]!))\""
        }.joined(separator: ",")
    }

    static func braced(_ labels: String, le: String? = nil) -> String {
        var parts = labels.isEmpty ? [] : [labels]
        if let le { parts.append("le=\"\(le)\"") }
        return parts.isEmpty ? "" : "{\(parts.joined(separator: ","))}"
    }

    static func escapeLabel(_ value: String) -> String {
        // Most values need nothing (and Foundation's replacing is slow on a per-request path).
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") })
        else { return value }
        return value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Integers without a fraction, other values in Swift's shortest round-tripping form.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// One labelled time series: a value (counter, gauge, histogram sum), and for histograms a
/// count and per-bucket (non-cumulative) counts.
final class Series: @unchecked Sendable {
    struct Values {
        var value: Double = 0
        var count: UInt64 = 0
        var buckets: [UInt64]
    }

    private let lock = NSLock()
    private var state: Values

    init(bucketCount: Int) { state = Values(buckets: Array(repeating: 0, count: bucketCount)) }

    var values: Values { lock.withLock { state } }

    func add(_ delta: Double) { lock.withLock { state.value += delta } }
    func set(_ value: Double) { lock.withLock { state.value = value } }

    func observe(_ value: Double, bounds: [Double]) {
        lock.withLock {
            state.value += value
            state.count += 1
            if let index = bounds.firstIndex(where: { value <= $0 }) { state.buckets[index] += 1 }
        }
    }
}

/// A monotonically increasing count.
public struct MetricsCounter: Sendable {
    let series: Series

    /// Adds `amount` (≥ 0).
    public func increment(by amount: Int = 1) {
        precondition(amount >= 0, "counters only go up")
        series.add(Double(amount))
    }

    /// The current value.
    public var value: Double { series.values.value }
}

/// A value that goes up and down.
public struct MetricsGauge: Sendable {
    let series: Series

    public func increment(by amount: Double = 1) { series.add(amount) }
    public func decrement(by amount: Double = 1) { series.add(-amount) }
    public func set(_ value: Double) { series.set(value) }

    /// The current value.
    public var value: Double { series.values.value }
}

/// A distribution of observations (e.g. latencies in seconds) over fixed buckets.
public struct MetricsHistogram: Sendable {
    let series: Series
    let bounds: [Double]

    init(series: Series, bounds: [Double]) {
        self.series = series
        self.bounds = bounds
    }

    /// Records one observation.
    public func observe(_ value: Double) { series.observe(value, bounds: bounds) }

    /// Records a duration, in seconds.
    public func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        observe(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// Observations so far.
    public var count: UInt64 { series.values.count }
}
