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
            eprintln!("paddock: error: {}", one_line(&err));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, `a: b: c`, each said once: many
/// errors already print their source in their own message (`cannot read X:
/// {source}`), and repeating it makes a long error unreadable.
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::one_line;

    /// Like a thiserror variant `#[error("cannot read policy: {source}")]`.
    #[derive(Debug)]
    struct Read {
        source: std::io::Error,
    }
    impl std::fmt::Display for Read {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot read policy: {}", self.source)
        }
    }
    impl std::error::Error for Read {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    #[test]
    fn a_cause_already_in_its_parent_message_is_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let err = anyhow::Error::new(Read { source: io }).context("egress policy /x/egress.toml");
        assert_eq!(one_line(&err), "egress policy /x/egress.toml: cannot read policy: No such file or directory");
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(one_line(&plain), "outer: inner");
    }
}
