//! rdig: dig-compatible DNS lookup tool. Thin binary: arguments in, `resolver::dig::run`, exit code out.

fn main() -> std::process::ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    std::process::ExitCode::from(resolver::dig::run(&arguments))
}
