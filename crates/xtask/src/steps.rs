//! Runs named steps, keeps going after a failure where later steps are
//! independent, and ends with one summary line.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::process_tree;

/// How long a step may run unless it says otherwise: a cold build of the
/// whole workspace on two cores takes about 6 minutes.
const DEFAULT_LIMIT: Duration = Duration::from_secs(30 * 60);

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
    pub fn run(&mut self, name: &str, cmd: Command) -> Outcome {
        self.run_within(name, cmd, Some(DEFAULT_LIMIT))
    }

    /// Runs `cmd`, stopping it (and all it started) after `limit`: a step that
    /// hangs fails with its name, and the steps after it still run, instead of
    /// holding CI until its own deadline with nothing to show. `None` is for
    /// what a person ends: the app itself, the benchmarks.
    pub fn run_within(&mut self, name: &str, mut cmd: Command, limit: Option<Duration>) -> Outcome {
        println!("\n==> {name}");
        let start = Instant::now();
        let outcome = match cmd.spawn() {
            Ok(mut child) => loop {
                match child.try_wait() {
                    Ok(Some(s)) if s.success() => break Outcome::Passed,
                    Ok(Some(s)) => {
                        eprintln!("xtask: step '{name}' failed with {s}");
                        break Outcome::Failed;
                    }
                    Ok(None) => match limit {
                        Some(limit) if start.elapsed() > limit => {
                            eprintln!(
                                "xtask: step '{name}' did not finish within {} minutes; stopping it and all it started \
                                 (for tests, the last 'has been running for over 60 seconds' above names the one that hung)",
                                limit.as_secs() / 60
                            );
                            process_tree::stop(&mut child);
                            break Outcome::Failed;
                        }
                        _ => std::thread::sleep(Duration::from_millis(200)),
                    },
                    Err(e) => {
                        eprintln!("xtask: step '{name}': cannot wait for {:?}: {e}", cmd.get_program());
                        process_tree::stop(&mut child);
                        break Outcome::Failed;
                    }
                }
            },
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
        self.run_required_within(name, cmd, Some(DEFAULT_LIMIT))
    }

    pub fn run_required_within(&mut self, name: &str, cmd: Command, limit: Option<Duration>) -> Result<(), String> {
        match self.run_within(name, cmd, limit) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_past_its_limit_fails_and_the_next_step_runs() {
        let mut steps = Steps::default();
        let mut hangs = Command::new("sh");
        hangs.args(["-c", "sleep 300 & wait"]);
        let start = Instant::now();
        assert_eq!(steps.run_within("hangs", hangs, Some(Duration::from_secs(1))), Outcome::Failed);
        assert!(start.elapsed() < Duration::from_secs(60), "the stop took {:?}", start.elapsed());
        assert_eq!(steps.run("passes", Command::new("true")), Outcome::Passed);
        assert!(steps.finish().is_err());
    }
}
