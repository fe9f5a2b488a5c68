use std::process::ExitCode;

use paddock_doctor::Status;

#[derive(clap::Args)]
pub struct Args {}

/// Prints one line per check; exits 1 when a required tool is missing.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    let mut missing = 0;
    for check in paddock_doctor::checks() {
        let f = check.run(None);
        let mark = match f.status {
            Status::Ok => "ok     ",
            Status::Warn => "warn   ",
            Status::Missing => {
                missing += 1;
                "MISSING"
            }
        };
        println!("{mark} {:<40} {}", f.title, f.detail);
        if let Some(fix) = f.fix.filter(|_| f.status != Status::Ok) {
            println!("        fix: {fix}");
        }
    }
    Ok(if missing == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
