//! Per-tool judging: Bash → shell engine; file tools → path rules; WebFetch →
//! URL rules; MCP and unknown tools → tool rules plus any paths/URLs found in
//! their input.

use std::path::PathBuf;

use serde_json::Value;

use crate::engine::Judge;
use crate::paths::{self, Resolved};
use crate::rules::{Access, RuleSet};
use crate::shell::Word;
use crate::{CommandReport, Context, Finding, HookInput, Verdict};

pub fn judge_tool(rules: &RuleSet, ctx: &Context, input: &HookInput, cwd: Option<PathBuf>) -> Vec<CommandReport> {
    let ti = &input.tool_input;
    let name = input.tool_name.as_str();
    let mut judge = Judge::new(rules, ctx);
    match name {
        "Bash" | "shell" | "local_shell" | "exec_command" => {
            match ti.get("command") {
                Some(Value::String(cmd)) => judge.script(cmd, cwd, 0),
                // Codex's older shell tool: an argv array.
                Some(Value::Array(argv)) => {
                    let words: Option<Vec<Word>> = argv.iter().map(|v| v.as_str().map(Word::lit)).collect();
                    match words {
                        Some(w) if !w.is_empty() => {
                            let code = w.iter().map(|w| shell_quote(&w.text)).collect::<Vec<_>>().join(" ");
                            judge.script(&code, cwd, 0);
                        }
                        _ => return vec![bad_input(name, "tool_input.command is not an array of strings")],
                    }
                }
                _ => return vec![bad_input(name, "tool_input.command is missing")],
            }
            judge.reports
        }
        "Write" | "Edit" | "MultiEdit" | "NotebookEdit" => {
            let Some(p) = ti.get("file_path").or_else(|| ti.get("notebook_path")).and_then(Value::as_str) else {
                return vec![bad_input(name, "tool_input.file_path is missing")];
            };
            vec![path_report(&judge, name, Access::Write, p, cwd.as_deref())]
        }
        "Read" | "Glob" | "Grep" | "LS" => {
            let mut out = Vec::new();
            for key in ["file_path", "path"] {
                if let Some(p) = ti.get(key).and_then(Value::as_str) {
                    out.push(path_report(&judge, name, Access::Read, p, cwd.as_deref()));
                }
            }
            if let Some(p) = ti.get("pattern").and_then(Value::as_str).filter(|_| name == "Glob") {
                out.push(path_report(&judge, name, Access::Read, p, cwd.as_deref()));
            }
            if out.is_empty() {
                out.push(allow(name));
            }
            out
        }
        "apply_patch" => {
            let text = match ti.get("command").or_else(|| ti.get("input")).or_else(|| ti.get("patch")) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(a)) => a.iter().rev().find_map(Value::as_str).unwrap_or_default().to_string(),
                _ => return vec![bad_input(name, "tool_input.command (the patch) is missing")],
            };
            let files = patch_files(&text);
            if files.is_empty() {
                return vec![CommandReport {
                    command: name.into(),
                    verdict: Verdict::Ask,
                    rule_id: "core.unparseable".into(),
                    reason: "a patch that names no file could not be judged".into(),
                }];
            }
            files.iter().map(|f| path_report(&judge, name, Access::Write, f, cwd.as_deref())).collect()
        }
        _ => {
            let mut findings = Vec::new();
            for rule in &rules.tools {
                if rule.names.is_match(name) {
                    findings.push(Finding { verdict: rule.verdict, rule_id: rule.id.clone(), reason: rule.reason.clone() });
                }
            }
            let mut strings = Vec::new();
            collect_strings(ti, &mut strings, 0);
            for s in strings {
                if s.contains("://") {
                    url_findings(rules, s, &mut findings);
                } else if s.starts_with('/') || s.starts_with("~/") {
                    let r = paths::resolve(s, false, cwd.as_deref(), ctx);
                    judge.check_path(Access::Read, &r, s, &mut findings);
                }
            }
            if name == "WebFetch" && ti.get("url").and_then(Value::as_str).is_none() {
                return vec![bad_input(name, "tool_input.url is missing")];
            }
            vec![report(name.to_string(), findings)]
        }
    }
}

fn report(command: String, findings: Vec<Finding>) -> CommandReport {
    match crate::strongest(&findings) {
        Some(f) => CommandReport { command, verdict: f.verdict, rule_id: f.rule_id.clone(), reason: f.reason.clone() },
        None => CommandReport { command, verdict: Verdict::Allow, rule_id: "core.default-allow".into(), reason: "no rule matched".into() },
    }
}

fn allow(name: &str) -> CommandReport {
    report(name.to_string(), Vec::new())
}

fn bad_input(name: &str, what: &str) -> CommandReport {
    CommandReport {
        command: name.into(),
        verdict: Verdict::Deny,
        rule_id: "core.bad-input".into(),
        reason: format!("malformed {name} call: {what}"),
    }
}

fn path_report(judge: &Judge, tool: &str, access: Access, p: &str, cwd: Option<&std::path::Path>) -> CommandReport {
    let r = paths::resolve(p, false, cwd, judge.ctx);
    let mut findings = Vec::new();
    if r == Resolved::Unknown && access == Access::Read {
        findings.push(Finding { verdict: Verdict::Ask, rule_id: "core.unknown-path".into(), reason: format!("cannot resolve {p:?}") });
    }
    judge.check_path(access, &r, p, &mut findings);
    report(format!("{tool} {p}"), findings)
}

fn collect_strings<'v>(v: &'v Value, out: &mut Vec<&'v str>, depth: usize) {
    if depth > 16 {
        return;
    }
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out, depth + 1)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out, depth + 1)),
        _ => {}
    }
}

/// Scheme and host of a URL, lowercased; userinfo and port removed.
fn scheme_host(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit('@').next().unwrap_or(authority);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    Some((scheme.to_ascii_lowercase(), host.trim_end_matches('.').to_ascii_lowercase()))
}

fn url_findings(rules: &RuleSet, url: &str, out: &mut Vec<Finding>) {
    let Some((scheme, host)) = scheme_host(url) else { return };
    for rule in &rules.urls {
        let scheme_ok = rule.schemes.is_empty() || rule.schemes.contains(&scheme);
        let host_ok = rule.hosts.as_ref().is_none_or(|h| h.is_match(&host));
        if scheme_ok && host_ok {
            out.push(Finding { verdict: rule.verdict, rule_id: rule.id.clone(), reason: format!("{}: {url}", rule.reason) });
        }
    }
}

/// Files a Codex `apply_patch` touches (added, updated, deleted, moved to).
fn patch_files(patch: &str) -> Vec<String> {
    patch
        .lines()
        .filter_map(|l| {
            let l = l.trim_end();
            ["*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: "]
                .iter()
                .find_map(|p| l.strip_prefix(p))
                .map(|f| f.trim().to_string())
        })
        .collect()
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_host_ignores_userinfo_and_port() {
        assert_eq!(scheme_host("http://a@169.254.169.254:80/x"), Some(("http".into(), "169.254.169.254".into())));
        assert_eq!(scheme_host("HTTPS://Example.COM./"), Some(("https".into(), "example.com".into())));
        assert_eq!(scheme_host("http://[::1]:8/"), Some(("http".into(), "::1".into())));
    }

    #[test]
    fn patch_files_are_found() {
        let p = "*** Begin Patch\n*** Update File: src/a.rs\n@@\n-x\n+y\n*** Add File: .env\n+K=V\n*** End Patch\n";
        assert_eq!(patch_files(p), vec!["src/a.rs".to_string(), ".env".to_string()]);
    }
}
