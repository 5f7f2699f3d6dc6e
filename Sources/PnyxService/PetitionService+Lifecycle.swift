public import PnyxCore
import PnyxCrypto
public import PnyxLogStore

extension PetitionService {
    /// Creates a draft poll: signs its definition and starts its log with it (entry 0).
    /// `poll.invalid` if the draft breaks a rule.
    public func createPoll(_ draft: PollDraft, pollID: PollID = .random()) async throws -> PollState {
        let definition = try draft.definition(pollID: pollID, serviceKey: serviceKey, brokerKey: try await brokerKey())
        return try await startLog(definition)
    }

    /// Signs `definition`, creates its log and appends the definition as entry 0.
    func startLog(_ definition: PollDefinition, then event: LifecycleEvent.Kind? = nil) async throws -> PollState {
        let signed = try SignedPollDefinition(signing: definition, with: configuration.serviceKey)
        try await store.createLog(logID: definition.pollID.bytes, verifierKey: verifierKey)
        _ = try await append(LogRecord(recordedAt: currentTime, body: .definition(signed)), to: definition.pollID)
        if let event { _ = try await appendLifecycle(event, to: definition.pollID) }
        invalidate(definition.pollID)
        return try await poll(definition.pollID)
    }

    /// Publishes a draft: registers the signed definition with the broker, checks the key
    /// directory it returns (this poll, signed by the poll's broker key) and logs it.
    public func publish(_ id: PollID) async throws -> PollState {
        let state = try await poll(id)
        guard state.status == "draft" else {
            throw ServiceError.invalidState("poll \(id) is \(state.status); only a draft can be published")
        }
        let directory = try await broker.registerPoll(state.signed)
        do { try directory.verify(for: state.definition) } catch {
            throw ServiceError(.brokerInvalidDirectory, .badGateway, "the broker's key directory does not check: \(error)")
        }
        // The directory must enter the log before the opening time, or every audit reports
        // directory.late: refuse rather than log a poll that can never verify.
        let time = currentTime
        guard time < state.definition.opensAt else {
            throw ServiceError.invalidState(
                "the broker's key directory arrived at \(time), not before the poll's opening time \(state.definition.opensAt); "
                    + "logged now it would fail every audit (directory.late): create a new draft with a later opening time")
        }
        _ = try await appendLifecycle(.published(directory), to: id, at: time)
        return try await poll(id)
    }

    /// Opens a published poll for entries (they are accepted in [opensAt, closesAt)).
    /// Idempotent: an open poll (opened by the schedule, say) is returned as it is.
    public func open(_ id: PollID) async throws -> PollState {
        let state = try await poll(id)
        if state.status == "open" { return state }
        guard state.status == "published" else {
            throw ServiceError.invalidState("poll \(id) is \(state.status); only a published poll can be opened")
        }
        return try await step(.opened, id, to: "open")
    }

    /// Closes an open poll: no entry is accepted after this record. Idempotent: a closed
    /// poll is returned as it is (one `closed` record, whoever closed it).
    public func close(_ id: PollID) async throws -> PollState {
        let state = try await poll(id)
        if state.status == "closed" { return state }
        guard state.status == "open" else {
            throw ServiceError.invalidState("poll \(id) is \(state.status); only an open poll can be closed")
        }
        return try await step(.closed, id, to: "closed")
    }

    /// Logs `kind`; if the append transaction refuses it because another process (or the
    /// schedule) took the poll to `status` first, answers the poll as it now is.
    private func step(_ kind: LifecycleEvent.Kind, _ id: PollID, to status: String) async throws -> PollState {
        do {
            _ = try await appendLifecycle(kind, to: id)
        } catch let error as ServiceError where error.code == .pollInvalidState {
            invalidate(id)
            let now = try await poll(id)
            guard now.status == status else { throw error }
            return now
        }
        return try await poll(id)
    }

    /// Logs the administration's official answer (response, decision, links).
    public func answer(_ id: PollID, text: String, links: [String]) async throws -> LogReceipt {
        _ = try await poll(id)
        guard !text.isEmpty, text.utf8.count <= 32_768 else {
            throw ServiceError(.pollInvalidState, .badRequest, "an answer needs 1 to 32768 bytes of text")
        }
        guard links.count <= LifecycleEvent.maximumLinks, links.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 2_048 }) else {
            throw ServiceError(.pollInvalidState, .badRequest, "an answer has at most 64 links of 1 to 2048 bytes")
        }
        return try await appendLifecycle(.answered(text: text, links: links), to: id)
    }

    /// Appends a lifecycle event dated `given` (default: now) and forgets the cached state.
    func appendLifecycle(_ kind: LifecycleEvent.Kind, to id: PollID, at given: Int64? = nil) async throws -> LogReceipt {
        let time = given ?? currentTime
        defer { invalidate(id) }
        return try await append(LogRecord(recordedAt: time, body: .lifecycle(LifecycleEvent(kind: kind, at: time))), to: id)
    }

    /// The lifecycle records of a poll (position, event), in log order.
    public func lifecycle(_ id: PollID) async throws -> [(position: Int64, event: LifecycleEvent)] {
        let rows = try await pool.query(
            "SELECT position, event FROM service_lifecycle WHERE poll_id = $1 ORDER BY position", [.bytea(id.bytes)])
        return try rows.map { row in
            (try row.decode(Int64.self, at: 0), try LifecycleEvent(canonicalBytes: try row.decode([UInt8].self, at: 1)))
        }
    }
}
