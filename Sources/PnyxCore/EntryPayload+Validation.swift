extension EntryPayload {
    /// Checks the payload against the poll (without the name attestation's signature, which
    /// ``Entry/verify(definition:directory:)`` checks):
    /// - `entry.wrong_payload`: a vote on a petition, a signature on a consultation;
    /// - `entry.invalid_name`: a partial name where the poll allows none, or not "Given F.";
    /// - `entry.invalid_choice`: an unknown or repeated question, a missing answer, an option
    ///   out of range, not exactly one choice for single, more than `maxChoices` for multiple.
    public func validate(for definition: PollDefinition) throws(CoreError) {
        switch (self, definition.kind) {
        case (.withdraw, _):
            return
        case (.sign(let name), .petition):
            guard let name else { return }
            guard definition.allowPartialNames else { throw CoreError(.entryInvalidName, "this poll shows no names") }
            guard NameAttestation.isWellFormed(name.name) else { throw CoreError(.entryInvalidName, "the partial name is not \"Given F.\"") }
        case (.vote(let answers), .consultation):
            try Self.validate(answers: answers, questions: definition.questions)
        case (.sign, .consultation):
            throw CoreError(.entryWrongPayload, "a consultation takes votes, not signatures")
        case (.vote, .petition):
            throw CoreError(.entryWrongPayload, "a petition takes signatures, not votes")
        }
    }

    private static func validate(answers: [Answer], questions: [Question]) throws(CoreError) {
        guard answers.count == questions.count else {
            throw CoreError(.entryInvalidChoice, "\(answers.count) answers for \(questions.count) questions")
        }
        var seen = Set<UInt16>()
        for answer in answers {
            guard seen.insert(answer.questionID).inserted else {
                throw CoreError(.entryInvalidChoice, "question \(answer.questionID) answered twice")
            }
            guard let question = questions.first(where: { $0.id == answer.questionID }) else {
                throw CoreError(.entryInvalidChoice, "no question \(answer.questionID)")
            }
            for choice in answer.choices where Int(choice) >= question.options.count {
                throw CoreError(.entryInvalidChoice, "question \(question.id) has no option \(choice)")
            }
            switch question.kind {
            case .single:
                guard answer.choices.count == 1 else {
                    throw CoreError(.entryInvalidChoice, "question \(question.id) takes exactly one choice")
                }
            case .multiple:
                guard answer.choices.count <= Int(question.maxChoices) else {
                    throw CoreError(.entryInvalidChoice, "question \(question.id) takes at most \(question.maxChoices) choices")
                }
            case .approval:
                break
            }
        }
    }
}
