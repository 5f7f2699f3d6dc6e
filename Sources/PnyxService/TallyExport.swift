import Foundation
public import PnyxCore

/// Results as CSV (RFC 4180): one row per count, `section,key,subkey,value`.
///
/// Sections: `total` (entries recorded, participants, named, eligible), `channel`
/// (online, kiosk, paper — kept apart), `area`, `age_band`, `class`, `option`
/// (key: question id, subkey: option index, plus the option text), `threshold`
/// (key: index; value: current; subkey: `target`/`met`/`reached_at_size` rows), `hour`.
public enum TallyExport {
    /// The CSV text of `summary` for the poll `definition`.
    public static func csv(definition: PollDefinition, summary: TallySummary) -> String {
        var lines = ["section,key,subkey,value,label"]
        func row(_ section: String, _ key: String, _ subkey: String, _ value: String, _ label: String = "") {
            lines.append([section, key, subkey, value, label].map(field).joined(separator: ","))
        }
        row("total", "entries_recorded", "", "\(summary.entriesRecorded)")
        row("total", "participants", "", "\(summary.participants)")
        row("total", "named", "", "\(summary.named)")
        row("total", "eligible", "", "\(summary.eligible)")
        row("total", "log_size", "", "\(summary.logSize)")
        for channel in Channel.allCases { row("channel", channel.name, "", "\(summary.byChannel[channel.name] ?? 0)") }
        for (area, count) in summary.byArea.sorted(by: { $0.key < $1.key }) { row("area", area, "", "\(count)") }
        for (band, count) in summary.byAgeBand.sorted(by: { $0.key < $1.key }) { row("age_band", band, "", "\(count)") }
        for (cls, count) in summary.byClass.sorted(by: { $0.key < $1.key }) { row("class", cls, "", "\(count)") }
        for counts in summary.questions {
            let question = definition.question(id: counts.questionID)
            for (index, count) in counts.options.enumerated() {
                let label = question.map { $0.options.indices.contains(index) ? $0.options[index] : "" } ?? ""
                row("option", "\(counts.questionID)", "\(index)", "\(count)", label)
            }
        }
        for state in summary.thresholds {
            row("threshold", "\(state.index)", "current", "\(state.current)")
            row("threshold", "\(state.index)", "target", state.target.map(String.init) ?? "")
            row("threshold", "\(state.index)", "met", state.met ? "1" : "0")
            row("threshold", "\(state.index)", "reached_at_size", state.reached.map { "\($0.logSize)" } ?? "")
        }
        for hour in summary.hourly {
            row("hour", "\(hour.hour)", "entries", "\(hour.entries)")
            row("hour", "\(hour.hour)", "participants", "\(hour.participants)")
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A CSV field, quoted when it holds a comma, quote or line break (and against formula
    /// injection when it starts with `=`, `+`, `-` or `@` and is not a number).
    static func field(_ text: String) -> String {
        var value = text
        if let first = value.first, "=+-@".contains(first), Int64(value) == nil { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
