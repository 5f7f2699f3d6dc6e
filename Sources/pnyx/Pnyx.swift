import ArgumentParser

/// `pnyx`: the service's command line (dev tools for now).
@main
struct Pnyx: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pnyx", abstract: "Pnyx: verifiable petitions and votes.",
        subcommands: [DemoCommand.self, LogCommand.self])
}

/// `pnyx demo`: the demo `make run` starts (to be filled in).
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run the demo.")

    func run() async throws {
        print("pnyx: nothing to run yet")
    }
}
