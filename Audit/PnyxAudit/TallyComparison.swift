public import PnyxCore

/// Compares a published tally with the one recomputed from the log at the same log size:
/// one `tally.mismatch` finding per differing count (expected: recomputed, found: published).
public enum TallyComparison {
    /// The findings; empty when every count, breakdown and threshold agrees.
    public static func compare(published: TallySummary, recomputed: TallySummary) -> [Finding] {
        var findings: [Finding] = []
        func check<T: Equatable>(_ field: String, _ recomputedValue: T, _ publishedValue: T, _ show: (T) -> String) {
            guard recomputedValue != publishedValue else { return }
            findings.append(Finding(.tallyMismatch, "the published \(field) is not the count recomputed from the log",
                                    expected: show(recomputedValue), computed: show(publishedValue)))
        }
        func number<T>(_ value: T) -> String { "\(value)" }
        func optional<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "none" }

        check("poll id", recomputed.pollID, published.pollID) { optional($0) }
        check("phase", recomputed.phase, published.phase) { $0.rawValue }
        check("log size", recomputed.logSize, published.logSize, number)
        check("number of entries recorded", recomputed.entriesRecorded, published.entriesRecorded, number)
        check("number of participants", recomputed.participants, published.participants, number)
        check("number of named signatures", recomputed.named, published.named, number)
        check("number of eligible residents", recomputed.eligible, published.eligible, number)
        compareKeyed("count for channel", recomputed.byChannel, published.byChannel, into: &findings)
        compareKeyed("count for class", recomputed.byClass, published.byClass, into: &findings)
        compareKeyed("count for area", recomputed.byArea, published.byArea, into: &findings)
        compareKeyed("count for age band", recomputed.byAgeBand, published.byAgeBand, into: &findings)
        // A row listed twice (a question, an hour, a threshold) would hide behind the keyed
        // comparisons below, which keep the first of each key.
        check("number of question rows", recomputed.questions.count, published.questions.count, number)
        check("number of hourly rows", recomputed.hourly.count, published.hourly.count, number)
        check("number of threshold rows", recomputed.thresholds.count, published.thresholds.count, number)

        let recomputedQuestions = Dictionary(recomputed.questions.map { ($0.questionID, $0.options) }, uniquingKeysWith: { a, _ in a })
        let publishedQuestions = Dictionary(published.questions.map { ($0.questionID, $0.options) }, uniquingKeysWith: { a, _ in a })
        for id in Set(recomputedQuestions.keys).union(publishedQuestions.keys).sorted() {
            check("counts of question \(id)", recomputedQuestions[id] ?? [], publishedQuestions[id] ?? []) {
                $0.map(String.init).joined(separator: "/")
            }
        }

        let recomputedHours = Dictionary(recomputed.hourly.map { ($0.hour, $0) }, uniquingKeysWith: { a, _ in a })
        let publishedHours = Dictionary(published.hourly.map { ($0.hour, $0) }, uniquingKeysWith: { a, _ in a })
        for hour in Set(recomputedHours.keys).union(publishedHours.keys).sorted() {
            check("history of hour \(hour)", recomputedHours[hour], publishedHours[hour]) {
                $0.map { "\($0.entries) entries, \($0.participants) participants" } ?? "none"
            }
        }

        let recomputedThresholds = Dictionary(recomputed.thresholds.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        let publishedThresholds = Dictionary(published.thresholds.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        for index in Set(recomputedThresholds.keys).union(publishedThresholds.keys).sorted() {
            check("state of threshold \(index)", recomputedThresholds[index], publishedThresholds[index]) { state in
                guard let state else { return "none" }
                return "\(state.current)/\(state.target.map(String.init) ?? "?")" + (state.met ? " met" : " not met")
                    + (state.reached.map { ", first reached at log size \($0.logSize)" } ?? "")
            }
        }
        return findings
    }

    private static func compareKeyed(_ field: String, _ recomputed: [String: UInt64], _ published: [String: UInt64],
                                     into findings: inout [Finding]) {
        for key in Set(recomputed.keys).union(published.keys).sorted() where recomputed[key] != published[key] {
            findings.append(Finding(.tallyMismatch, "the published \(field) \(key) is not the count recomputed from the log",
                                    expected: "\(recomputed[key] ?? 0)", computed: "\(published[key] ?? 0)"))
        }
    }
}
