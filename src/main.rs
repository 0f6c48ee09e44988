fn main() -> std::process::ExitCode {
    depwindow::cli::main()
}
