import Hummingbird
import PnyxCore
import PnyxHTTP

extension ServiceRoutes {
    func addEntryRoutes(to router: RouterGroup<BasicRequestContext>) {
        // A citizen's entry (online channel): answers its receipt once durably committed.
        router.post("polls/:poll/entries") { request, context -> Response in
            let id = try pollID(context)
            let entry = try await request.decodeJSON(Entry.self, limit: bodyLimit, fast: EntryBodyDecoder.decode)
            let receipt = try await service.submit(entry, to: id, by: .citizen)
            return try receiptResponse(receipt)
        }
        // A kiosk or paper entry recorded by an authenticated official.
        router.post("official/polls/:poll/entries") { request, context -> Response in
            let official = try official(request)
            let id = try pollID(context)
            let entry = try await request.decodeJSON(Entry.self, limit: bodyLimit, fast: EntryBodyDecoder.decode)
            let receipt = try await service.submit(entry, to: id, by: .official(name: official))
            return try receiptResponse(receipt)
        }
    }

    /// 201 with the receipt (``ReceiptJSON``: the bytes `JSONResponse.make` would write) and
    /// ``ReceiptJSON/headers`` (``EntrySubmitFastPath`` answers with the same).
    private func receiptResponse(_ receipt: Receipt) throws -> Response {
        Response(status: .created, headers: ReceiptJSON.headers, body: .init(byteBuffer: ByteBuffer(bytes: try ReceiptJSON.bytes(receipt))))
    }
}
