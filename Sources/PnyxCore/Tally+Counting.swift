extension Tally {
    mutating func count(_ entry: Entry, recordedAt: Int64) {
        let contribution = contribution(of: entry)
        let key = Nullifier(entry.credential.oneTimeKey)
        if let previous = latest.updateValue(contribution, forKey: key) { add(previous, sign: -1) }
        add(contribution, sign: 1)
        entriesRecorded += 1
        let hour = recordedAt - ((recordedAt % 3600) + 3600) % 3600
        var bucket = hourly[hour] ?? HourCount(entries: 0, participants: 0)
        bucket.entries += 1
        bucket.participants = participants
        hourly[hour] = bucket
    }

    private mutating func contribution(of entry: Entry) -> Contribution {
        let attributeClass = entry.credential.attributeClass
        let classIndex: UInt32
        if let index = self.classIndex[attributeClass] {
            classIndex = index
        } else {
            classIndex = UInt32(classes.count)
            classes.append(attributeClass)
            self.classIndex[attributeClass] = classIndex
        }
        switch entry.payload {
        case .sign(let name):
            return Contribution(classIndex: classIndex, answerSet: .max, channel: entry.channel, counted: true, named: name != nil)
        case .vote(let answers):
            let normalized = answers.sorted { $0.questionID < $1.questionID }
            let setIndex: UInt32
            if let index = answerSetIndex[normalized] {
                setIndex = index
            } else {
                setIndex = UInt32(answerSets.count)
                answerSets.append(normalized)
                answerSetIndex[normalized] = setIndex
            }
            return Contribution(classIndex: classIndex, answerSet: setIndex, channel: entry.channel, counted: true, named: false)
        case .withdraw:
            return Contribution(classIndex: classIndex, answerSet: .max, channel: entry.channel, counted: false, named: false)
        }
    }

    /// Adds (`sign` = 1) or removes (−1) a contribution from every count.
    private mutating func add(_ contribution: Contribution, sign: Int) {
        guard contribution.counted else { return }
        func bump(_ value: inout UInt64) { value = sign > 0 ? value + 1 : value - 1 }
        bump(&participants)
        if contribution.named { bump(&named) }
        bump(&byChannel[contribution.channel, default: 0])
        let attributeClass = classes[Int(contribution.classIndex)]
        bump(&byClass[attributeClass, default: 0])
        if byClass[attributeClass] == 0 { byClass[attributeClass] = nil }
        if let area = attributeClass.areaCode {
            let before = byArea[area, default: 0]
            bump(&byArea[area, default: 0])
            let after = byArea[area, default: 0]
            if after == 0 { byArea[area] = nil }
            updateAreaThresholds(before: before, after: after)
        }
        if let band = attributeClass.ageBand {
            bump(&byAgeBand[band, default: 0])
            if byAgeBand[band] == 0 { byAgeBand[band] = nil }
        }
        if byChannel[contribution.channel] == 0 { byChannel[contribution.channel] = nil }
        guard contribution.answerSet != .max, let definition else { return }
        for answer in answerSets[Int(contribution.answerSet)] {
            guard let question = definition.questions.firstIndex(where: { $0.id == answer.questionID }) else { continue }
            for choice in answer.choices { bump(&optionCounts[question][Int(choice)]) }
        }
    }

    private mutating func updateAreaThresholds(before: UInt64, after: UInt64) {
        guard let definition else { return }
        for (index, threshold) in definition.thresholds.enumerated() {
            guard case .areas(let minimum, _, _) = threshold else { continue }
            if before < minimum && after >= minimum { areasMeeting[index, default: 0] += 1 }
            if before >= minimum && after < minimum { areasMeeting[index, default: 0] -= 1 }
        }
    }

    /// The eligible residents: the sum of the key directory's eligible counts (0 before it is published).
    public var eligible: UInt64 { directory?.eligibleTotal ?? 0 }

    /// The current value and target of threshold `index` (target `nil`: not reachable yet,
    /// a share of eligible residents before the directory is published).
    public func progress(ofThreshold index: Int) -> (current: UInt64, target: UInt64?) {
        guard let definition, definition.thresholds.indices.contains(index) else { return (0, nil) }
        switch definition.thresholds[index] {
        case .absolute(let count):
            return (participants, count)
        case .shareOfEligible(let basisPoints):
            guard eligible > 0 else { return (participants, nil) }
            // ceil(eligible × bp / 10 000) without overflow for any u64 eligible.
            let (high, low) = eligible.multipliedFullWidth(by: UInt64(basisPoints))
            let (quotient, remainder) = UInt64(10_000).dividingFullWidth((high, low))
            return (participants, remainder == 0 ? quotient : quotient + 1)
        case .areas(_, let minimumAreas, _):
            return (areasMeeting[index, default: 0], UInt64(minimumAreas))
        }
    }

    /// Whether threshold `index` is met now.
    public func isMet(threshold index: Int) -> Bool {
        let (current, target) = progress(ofThreshold: index)
        guard let target else { return false }
        return current >= target
    }

    mutating func checkThresholds(recordedAt: Int64) {
        for index in reached.indices where reached[index] == nil && isMet(threshold: index) {
            reached[index] = Reached(recordedAt: recordedAt, logSize: logSize)
        }
    }
}
