//! Data-driven corpus: every case in tests/corpus/*.toml is decided by the
//! gate (never executed) and every mismatch is reported by name.

// clippy.toml's allow-*-in-tests covers #[test] fns, not this file's helpers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/corpus_files.rs"]
mod corpus_files;

use std::path::{Path, PathBuf};

use corpus_files::{Benign, Dangerous, Tools, read};
use paddock_gate::{Context, Gate, HookInput, Verdict};

const WORKTREE: &str = "/home/dev/project";

fn ctx() -> Context {
    Context {
        worktree: Some(PathBuf::from(WORKTREE)),
        home: Some(PathBuf::from("/home/dev")),
        temp_dirs: vec![PathBuf::from("/tmp"), PathBuf::from("/var/tmp")],
    }
}

fn check(failures: &mut Vec<String>, name: &str, d: &paddock_gate::Decision, expect: Verdict, rule: Option<&str>) {
    let got_rule = d.rule_id.as_deref().unwrap_or("");
    if d.verdict != expect || rule.is_some_and(|r| r != got_rule) {
        failures.push(format!(
            "{name:?}: expected {}{}, got {} [{got_rule}] ({})",
            expect.as_str(),
            rule.map(|r| format!(" [{r}]")).unwrap_or_default(),
            d.verdict.as_str(),
            d.reason
        ));
    }
}

#[test]
fn dangerous_commands_are_denied_or_asked() {
    let corpus: Dangerous = read("dangerous.toml");
    assert!(corpus.cases.len() >= 250, "only {} dangerous cases", corpus.cases.len());
    let gate = Gate::with_builtin_packs();
    let ctx = ctx();
    let mut failures = Vec::new();
    let mut names = std::collections::HashSet::new();
    for c in &corpus.cases {
        let name = c.name.clone().unwrap_or_else(|| c.command.clone());
        assert!(names.insert(name.clone()), "duplicate case {name:?}");
        assert_ne!(c.expect, Verdict::Allow, "{name:?}: the dangerous corpus holds deny/ask cases only");
        let d = gate.decide_command(&c.command, Some(Path::new(WORKTREE)), &ctx);
        check(&mut failures, &name, &d, c.expect, c.rule.as_deref());
    }
    assert!(failures.is_empty(), "{} of {} dangerous cases failed:\n{}", failures.len(), corpus.cases.len(), failures.join("\n"));
}

#[test]
fn everyday_commands_are_allowed() {
    let corpus: Benign = read("benign.toml");
    let total: usize = corpus.group.iter().map(|g| g.commands.len()).sum();
    assert!(total >= 500, "only {total} benign cases");
    let gate = Gate::with_builtin_packs();
    let ctx = ctx();
    let mut failures = Vec::new();
    for g in &corpus.group {
        for cmd in &g.commands {
            let d = gate.decide_command(cmd, Some(Path::new(WORKTREE)), &ctx);
            check(&mut failures, &format!("{}: {cmd}", g.name), &d, Verdict::Allow, Some("core.default-allow"));
        }
    }
    assert!(failures.is_empty(), "{} of {total} benign cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn tool_calls_are_judged_by_path_and_url_rules() {
    let corpus: Tools = read("tools.toml");
    let gate = Gate::with_builtin_packs();
    let ctx = ctx();
    let mut failures = Vec::new();
    for c in &corpus.cases {
        let input = HookInput {
            cwd: Some(WORKTREE.into()),
            tool_name: c.tool.clone(),
            tool_input: serde_json::from_str(&c.input).map_err(|e| format!("{}: bad input JSON: {e}", c.name)).unwrap(),
            ..Default::default()
        };
        let d = gate.decide(&input, &ctx);
        check(&mut failures, &c.name, &d, c.expect, c.rule.as_deref());
    }
    assert!(failures.is_empty(), "{} of {} tool cases failed:\n{}", failures.len(), corpus.cases.len(), failures.join("\n"));
}
