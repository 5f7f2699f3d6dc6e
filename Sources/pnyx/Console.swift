import Foundation

/// What `pnyx up` tells its user, written at once (not through `print`'s buffer): into a pipe
/// or a file (`make run | tee run.log`) the banner with the enrolment codes would otherwise
/// wait in the buffer while the demo runs.
enum Console {
    /// `text` and a newline on standard output.
    static func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// `text` and a newline on standard error.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
