import ArgumentParser
import Hummingbird
import Logging
import PnyxBroker
import PnyxService
import PnyxWeb

/// `pnyx broker`: runs the identity broker alone, configured from `PNYX_BROKER_*`
/// environment variables (see `BrokerConfiguration`).
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker", abstract: "Run the identity broker (configured by PNYX_BROKER_* variables).")

    @Option(help: "Log level (trace, debug, info, notice, warning, error).")
    var logLevel: Logger.Level = .info

    func run() async throws {
        var logger = Logger(label: "pnyx.broker")
        logger.logLevel = logLevel
        let broker = try await Broker.start(configuration: BrokerConfiguration(), logger: logger)
        do { try await buildBrokerApplication(broker: broker).runService() } catch {
            await broker.shutdown()
            throw error
        }
        await broker.shutdown()
    }
}

/// `pnyx service`: runs the petition and ballot service with its citizen pages, configured
/// from `PNYX_SERVICE_*` environment variables (see `ServiceConfiguration`).
struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service", abstract: "Run the petition service and its pages (configured by PNYX_SERVICE_* variables).")

    @Option(help: "The broker's URL as citizens' browsers reach it (default: PNYX_BROKER_URL).")
    var publicBrokerURL: String?

    @Option(help: "Log level (trace, debug, info, notice, warning, error).")
    var logLevel: Logger.Level = .info

    func run() async throws {
        var logger = Logger(label: "pnyx.service")
        logger.logLevel = logLevel
        let configuration = try ServiceConfiguration()
        let service = try await PetitionService.start(configuration: configuration, logger: logger)
        let router = buildWebRouter(
            service: service, configuration: WebConfiguration(brokerURL: publicBrokerURL ?? configuration.brokerURL))
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "pnyx-service"),
            logger: logger)
        do { try await app.runService() } catch {
            await service.shutdown()
            throw error
        }
        await service.shutdown()
    }
}
