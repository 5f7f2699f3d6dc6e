import ArgumentParser

/// `pnyx`: the service's command line (dev tools for now).
@main
struct Pnyx: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pnyx", abstract: "Pnyx: verifiable petitions and votes.",
        subcommands: [UpCommand.self, BrokerCommand.self, ServiceCommand.self, DemoCommand.self, LogCommand.self, AdminCommand.self,
                      WalletCommand.self])
}
