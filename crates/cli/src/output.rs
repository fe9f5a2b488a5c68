//! What both binaries do with logs and errors.

use std::process::ExitCode;

/// Logs go to stderr (stdout carries hook answers and command output);
/// `-v` raises the level, `RUST_LOG` overrides it.
pub fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

/// A command's result as the process exit status; an error is printed once,
/// with its whole context chain on one line, for a person.
pub fn exit_code(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("paddock: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
