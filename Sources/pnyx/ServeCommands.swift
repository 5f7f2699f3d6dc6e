import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PnyxBroker
import PnyxHTTP
import PnyxService
import PnyxWeb

/// `pnyx broker [serve|import|codes]`: the identity broker. Without a subcommand: `serve`.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker", abstract: "The identity broker: serve it, import the register, issue enrolment codes.",
        subcommands: [BrokerServeCommand.self, BrokerImportCommand.self, BrokerCodesCommand.self],
        defaultSubcommand: BrokerServeCommand.self)
}

/// `pnyx broker serve`: runs the identity broker alone, configured from `PNYX_BROKER_*`
/// environment variables (see `BrokerConfiguration`).
struct BrokerServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the identity broker (configured by PNYX_BROKER_* variables).")

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

/// The broker database of the offline administration commands.
struct BrokerDatabaseOptions: ParsableArguments {
    @Option(help: "The broker's PostgreSQL URL (default: PNYX_BROKER_DATABASE_URL).")
    var databaseURL: String?

    /// The URL from the option or the environment; a usage error when neither is set (never
    /// a guess: these commands write residents and secrets).
    func resolved() throws -> String {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let url = ProcessInfo.processInfo.environment["PNYX_BROKER_DATABASE_URL"], !url.isEmpty { return url }
        throw ValidationError("give the broker's database with --database-url or PNYX_BROKER_DATABASE_URL")
    }
}

/// `pnyx broker import`: imports the residents register (and the area hierarchy) into the
/// broker's database. Every bad row is printed as `file:line: reason`; then nothing is imported.
struct BrokerImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import the residents register and the area hierarchy (CSV); all rows or none.",
        discussion: """
            residents: resident_id,given_name,family_name,birth_date,area_code (one row per current resident; \
            residents missing from the file are deactivated, never deleted).
            areas: code,name,level,parent_code (level: district, commune, agglomeration, departement).
            """)

    @OptionGroup var database: BrokerDatabaseOptions

    @Option(help: "The area hierarchy CSV (default: keep the stored hierarchy).")
    var areas: String?

    @Option(help: "The residents CSV.")
    var residents: String

    func run() async throws {
        let url = try database.resolved()
        let areasText = try areas.map { try String(contentsOfFile: $0, encoding: .utf8) }
        let residentsText = try String(contentsOfFile: residents, encoding: .utf8)
        let admin = try await BrokerAdministration.open(databaseURL: url, logger: quietLogger())
        do {
            let summary = try await admin.importRegister(
                areasCSV: areasText, residentsCSV: residentsText, areasSource: areas ?? "areas.csv", residentsSource: residents)
            await admin.close()
            print("imported: \(summary.added) added, \(summary.updated) updated, \(summary.deactivated) deactivated; "
                  + "\(summary.active) active residents in \(summary.areas) areas")
        } catch let error as BrokerError {
            await admin.close()
            reportRows(error)
            throw ExitCode(65)
        } catch {
            await admin.close()
            throw error
        }
    }
}

/// `pnyx broker codes`: issues one-time enrolment codes and writes them as CSV for a mail merge.
struct BrokerCodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codes",
        abstract: "Issue one-time enrolment codes (CSV for a mail merge: resident_id,given_name,family_name,area_code,code,expires_at).",
        discussion: """
            Without --resident: every active resident who has not enrolled. A new code revokes the resident's \
            earlier unused codes; enrolling with it resets the passphrase. The codes are shown only here \
            (the broker keeps their hashes): the output file is created readable by its owner only.
            """)

    @OptionGroup var database: BrokerDatabaseOptions

    @Option(name: .customLong("resident"), help: "A resident to issue a code to (repeatable).")
    var residentIDs: [String] = []

    @Option(help: "Days a code stays valid.")
    var days: Int = 90

    @Option(name: .shortAndLong, help: "Write the CSV to this file (default: standard output).")
    var output: String?

    func validate() throws {
        guard days >= 1 else { throw ValidationError("--days must be at least 1") }
    }

    func run() async throws {
        let url = try database.resolved()
        let admin = try await BrokerAdministration.open(databaseURL: url, logger: quietLogger())
        let codes: [EnrolmentCode]
        do {
            codes = try await admin.issueCodes(
                residentIDs: residentIDs.isEmpty ? nil : residentIDs, lifetime: .seconds(days * 86_400))
            await admin.close()
        } catch {
            await admin.close()
            throw error
        }
        let csv = EnrolmentCode.csv(codes)
        if let output {
            try writePrivately(Array(csv.utf8), to: output)
            FileHandle.standardError.write(Data("wrote \(codes.count) enrolment codes to \(output)\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data(csv.utf8))
        }
        if !residentIDs.isEmpty, codes.count < Set(residentIDs).count {
            let issued = Set(codes.map(\.residentID))
            let skipped = residentIDs.filter { !issued.contains($0) }
            FileHandle.standardError.write(Data("skipped (unknown or no longer in the register): \(skipped.joined(separator: ", "))\n".utf8))
        }
    }
}

/// Prints a broker error and its itemised rows (`file:line: reason`) to standard error.
func reportRows(_ error: BrokerError) {
    var text = "error: \(error.code.rawValue): \(error.reason)\n"
    for detail in error.details {
        let place = [detail.source, detail.line.map(String.init)].compactMap { $0 }.joined(separator: ":")
        text += place.isEmpty ? "  \(detail.reason)\n" : "  \(place): \(detail.reason)\n"
    }
    FileHandle.standardError.write(Data(text.utf8))
}

/// Creates (or truncates) `path` with mode 0600 and writes `bytes`.
func writePrivately(_ bytes: [UInt8], to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { throw ValidationError("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard fchmod(fd, 0o600) == 0 else { throw ValidationError("cannot restrict \(path) to its owner") }
    var written = 0
    while written < bytes.count {
        let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))") }
        written += n
    }
}

/// Warnings only: the offline commands print their own results.
func quietLogger() -> Logger {
    var logger = Logger(label: "pnyx.broker.admin")
    logger.logLevel = .warning
    return logger
}

/// `pnyx service [serve]`: the petition and ballot service. Without a subcommand: `serve`.
struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service", abstract: "The petition service and its pages.",
        subcommands: [ServiceServeCommand.self], defaultSubcommand: ServiceServeCommand.self)
}

/// `pnyx service serve`: runs the petition and ballot service with its citizen pages,
/// configured from `PNYX_SERVICE_*` environment variables (see `ServiceConfiguration`).
struct ServiceServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the petition service and its pages (configured by PNYX_SERVICE_* variables).")

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
        let app = buildServiceApplication(
            service: service, router: router, address: .hostname(configuration.host, port: configuration.port))
        do { try await app.runService() } catch {
            await service.shutdown()
            throw error
        }
        await service.shutdown()
    }
}
