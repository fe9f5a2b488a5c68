//! Standalone sandbox init (the same code as `paddock __sandbox-init`), for
//! callers that are not the `paddock` binary (tests, other front ends).

use std::ffi::OsString;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match args.split_first() {
        Some((first, rest)) if first == paddock_sandbox::init::INIT_ARG => {
            paddock_sandbox::init::init_main(rest)
        }
        _ => {
            eprintln!(
                "paddock-sandbox-init runs inside a Paddock sandbox; usage: paddock-sandbox-init {} --proxy-socket S --port P [--deny-unix-sockets] -- CMD...",
                paddock_sandbox::init::INIT_ARG
            );
            ExitCode::from(2)
        }
    }
}
