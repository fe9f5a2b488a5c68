//! Runs named steps, keeps going after a failure where later steps are
//! independent, and ends with one summary line.

use std::process::Command;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
}

#[derive(Default)]
pub struct Steps {
    done: Vec<(String, Outcome, f64)>,
}

impl Steps {
    pub fn run(&mut self, name: &str, mut cmd: Command) -> Outcome {
        println!("\n==> {name}");
        let start = Instant::now();
        let outcome = match cmd.status() {
            Ok(s) if s.success() => Outcome::Passed,
            Ok(s) => {
                eprintln!("xtask: step '{name}' failed with {s}");
                Outcome::Failed
            }
            Err(e) => {
                eprintln!("xtask: step '{name}' could not start {:?}: {e}", cmd.get_program());
                Outcome::Failed
            }
        };
        self.done.push((name.to_owned(), outcome, start.elapsed().as_secs_f64()));
        outcome
    }

    /// A step that everything after it needs: stop at once if it fails.
    pub fn run_required(&mut self, name: &str, cmd: Command) -> Result<(), String> {
        match self.run(name, cmd) {
            Outcome::Passed => Ok(()),
            Outcome::Failed => {
                self.print_summary();
                Err(format!("'{name}' failed; nothing after it can run"))
            }
        }
    }

    /// Records a step that could not run because an earlier one failed.
    pub fn skip_failed(&mut self, name: &str, why: &str) {
        eprintln!("xtask: step '{name}' not run: {why}");
        self.done.push((name.to_owned(), Outcome::Failed, 0.0));
    }

    fn print_summary(&self) {
        println!("\n==> summary");
        for (name, outcome, secs) in &self.done {
            let mark = if *outcome == Outcome::Passed { "ok  " } else { "FAIL" };
            println!("  {mark} {name} ({secs:.0} s)");
        }
    }

    pub fn finish(self) -> Result<(), String> {
        self.print_summary();
        let failed = self.done.iter().filter(|(_, o, _)| *o == Outcome::Failed).count();
        if failed == 0 { Ok(()) } else { Err(format!("{failed} step(s) failed")) }
    }
}
