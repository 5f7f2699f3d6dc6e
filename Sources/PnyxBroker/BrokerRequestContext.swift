public import Hummingbird

/// The request context of the broker's routes: Hummingbird's core storage plus the
/// client's address (for the per-address rate limit).
public struct BrokerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address, or `"local"` when there is none (in-process tests).
    public let remoteAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress ?? "local"
    }
}
