extension PollDefinition {
    /// The most questions in a consultation.
    public static let maximumQuestions = 32
    /// The most thresholds in a poll.
    public static let maximumThresholds = 16
    /// The fewest and most options of a question.
    public static let optionCountRange = 2...64
    /// The longest title, in UTF-8 bytes.
    public static let maximumTitleByteCount = 512
    /// The longest poll text, in UTF-8 bytes (the whole record must fit in one log leaf).
    public static let maximumTextByteCount = 32_768
    /// The longest question or option text, in UTF-8 bytes.
    public static let maximumQuestionTextByteCount = 2_048
    /// The most areas in an eligibility scope.
    public static let maximumAreaScope = 1_000

    /// Checks every rule a published poll must follow; throws `poll.invalid` with the reason.
    ///
    /// Rules: title 1…512 bytes, text ≤ 32 KiB; closes after it opens; reference date and
    /// area codes well formed; petitions have no questions; consultations 1…32 questions with
    /// distinct ids, 2…64 options, `maxChoices` = 1 for single, 1…options for multiple,
    /// = options for approval; thresholds: absolute count ≥ 1, share 1…10 000 basis points,
    /// areas minimums ≥ 1 at the disclosed area level (not `none`); at most 16 thresholds.
    public func validate() throws(CoreError) {
        func fail(_ reason: String) -> CoreError { CoreError(.pollInvalid, reason) }
        guard !title.isEmpty, title.utf8.count <= Self.maximumTitleByteCount else {
            throw fail("the title must have 1 to \(Self.maximumTitleByteCount) bytes")
        }
        guard text.utf8.count <= Self.maximumTextByteCount else { throw fail("the text exceeds \(Self.maximumTextByteCount) bytes") }
        guard closesAt > opensAt else { throw fail("the poll must close after it opens") }
        guard eligibility.areaScope.count <= Self.maximumAreaScope else { throw fail("too many areas in the eligibility scope") }
        for area in eligibility.areaScope where !AreaCodes.isValid(area) {
            throw fail("malformed area code \"\(area)\" in the eligibility scope")
        }
        guard eligibility.minimumAge >= 16 else { throw fail("the minimum age must be at least 16") }
        switch kind {
        case .petition:
            guard questions.isEmpty else { throw fail("a petition has no questions") }
        case .consultation:
            guard (1...Self.maximumQuestions).contains(questions.count) else {
                throw fail("a consultation has 1 to \(Self.maximumQuestions) questions")
            }
            guard !allowPartialNames else { throw fail("partial names are for petitions only") }
        }
        var ids = Set<UInt16>()
        for question in questions {
            guard ids.insert(question.id).inserted else { throw fail("question id \(question.id) repeats") }
            try question.validate()
        }
        guard thresholds.count <= Self.maximumThresholds else { throw fail("at most \(Self.maximumThresholds) thresholds") }
        for (index, threshold) in thresholds.enumerated() {
            switch threshold {
            case .absolute(let count):
                guard count >= 1 else { throw fail("threshold \(index): the count must be at least 1") }
            case .shareOfEligible(let basisPoints):
                guard (1...10_000).contains(basisPoints) else { throw fail("threshold \(index): basis points must be 1 to 10000") }
            case .areas(let minimumPerArea, let minimumAreas, let areaLevel):
                guard minimumPerArea >= 1, minimumAreas >= 1 else { throw fail("threshold \(index): minimums must be at least 1") }
                guard areaLevel != .none, areaLevel == disclosure.areaLevel else {
                    throw fail("threshold \(index): the area level must be the disclosed area level")
                }
            }
        }
    }
}

extension Question {
    /// Checks the question's own rules; throws `poll.invalid`.
    public func validate() throws(CoreError) {
        func fail(_ reason: String) -> CoreError { CoreError(.pollInvalid, "question \(id): \(reason)") }
        guard !text.isEmpty, text.utf8.count <= PollDefinition.maximumQuestionTextByteCount else {
            throw fail("the text must have 1 to \(PollDefinition.maximumQuestionTextByteCount) bytes")
        }
        guard PollDefinition.optionCountRange.contains(options.count) else { throw fail("a question has 2 to 64 options") }
        for option in options where option.isEmpty || option.utf8.count > PollDefinition.maximumQuestionTextByteCount {
            throw fail("an option must have 1 to \(PollDefinition.maximumQuestionTextByteCount) bytes")
        }
        switch kind {
        case .single:
            guard maxChoices == 1 else { throw fail("a single-choice question has maxChoices 1") }
        case .multiple:
            guard maxChoices >= 1, Int(maxChoices) <= options.count else { throw fail("maxChoices must be 1 to the number of options") }
        case .approval:
            guard Int(maxChoices) == options.count else { throw fail("an approval question has maxChoices = the number of options") }
        }
    }
}
