//! AI agent configs (logins, API keys in MCP settings, transcripts) and
//! password-manager CLI set-ups.

use std::path::{Path, PathBuf};

use super::{Ctx, What, instead, json_secrets};
use crate::redact::classify;
use crate::{Category, Severity};

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let home = ctx.opts.home.clone();
    let claude_dir = ctx.opts.dir_from_env("CLAUDE_CONFIG_DIR", ".claude");
    let codex_dir = ctx.opts.dir_from_env("CODEX_HOME", ".codex");
    // (agent, file): JSON files whose string values are checked for secrets.
    let mut json_files: Vec<(&str, PathBuf)> = vec![
        ("Claude Code", claude_dir.join(".credentials.json")),
        ("Claude Code", home.join(".claude.json")),
        ("Claude Code", claude_dir.join("settings.json")),
        ("Codex", codex_dir.join("auth.json")),
        ("GitHub Copilot", home.join(".config/github-copilot/hosts.json")),
        ("GitHub Copilot", home.join(".config/github-copilot/apps.json")),
        ("Cursor", home.join(".cursor/mcp.json")),
        ("Gemini CLI", home.join(".gemini/oauth_creds.json")),
        ("Gemini CLI", home.join(".gemini/settings.json")),
        ("Continue", home.join(".continue/config.json")),
        ("Windsurf", home.join(".codeium/windsurf/mcp_config.json")),
    ];
    for repo in &ctx.opts.repos {
        json_files.push(("MCP (project)", repo.join(".mcp.json")));
        json_files.push(("Cursor (project)", repo.join(".cursor/mcp.json")));
    }
    for (agent, path) in json_files {
        let Some(json) = ctx.read_json(&path) else { continue };
        let secrets = json_secrets(&json, &ctx.key);
        let Some(first) = secrets.first() else { continue };
        let n = secrets.len();
        let what = What {
            category: Category::AiAgent,
            kind: format!("{agent} credentials ({n} secret{}: {})", if n == 1 { "" } else { "s" }, first.kind),
            severity: Severity::High,
            explanation: "Login tokens or API keys of an AI tool: an agent can spend on your account, read your \
                conversations, or hand the keys to MCP servers and tools it starts.",
            mitigation: instead::AGENT,
        };
        let fp = first.fingerprint.clone();
        ctx.file("agent.secret", &path, None, what, Some(fp));
    }
    // Other formats: `key: value` / `key = value` lines.
    for path in [home.join(".aider.conf.yml"), codex_dir.join("config.toml")] {
        line_secrets(ctx, "AI agent config", &path);
    }
    transcripts(ctx, &claude_dir.join("projects"), "Claude Code");
    transcripts(ctx, &codex_dir.join("sessions"), "Codex");
    password_managers(ctx);
}

fn line_secrets(ctx: &mut Ctx<'_>, agent: &str, path: &Path) {
    let Some(text) = ctx.read_text(path) else { return };
    let found: Vec<_> = text
        .lines()
        .filter_map(|l| l.split_once([':', '=']))
        .filter_map(|(k, v)| classify(k.trim(), v, &ctx.key))
        .collect();
    let Some(first) = found.first() else { return };
    let what = What {
        category: Category::AiAgent,
        kind: format!("{agent} with {} secret{} ({})", found.len(), if found.len() == 1 { "" } else { "s" }, first.kind),
        severity: Severity::High,
        explanation: "API keys in an AI tool's config: readable by any program you run, an agent included.",
        mitigation: instead::AGENT,
    };
    let fp = first.fingerprint.clone();
    ctx.file("agent.secret", path, None, what, Some(fp));
}

fn transcripts(ctx: &mut Ctx<'_>, dir: &Path, agent: &str) {
    if !dir.is_dir() || crate::fsutil::list_dir(dir, 1).is_empty() {
        return;
    }
    let what = What {
        category: Category::AiAgent,
        kind: format!("{agent} session transcripts"),
        severity: Severity::Low,
        explanation: "Past agent sessions: your code, commands, their output, and anything pasted into them, \
            secrets included. Another agent can read them all.",
        mitigation: instead::AGENT,
    };
    ctx.file("agent.transcripts", dir, None, what, None);
}

fn password_managers(ctx: &mut Ctx<'_>) {
    let home = ctx.opts.home.clone();
    let candidates = [
        (
            home.join(".config/op/config"),
            "1Password CLI set up",
            "The 1Password CLI is signed in here. With desktop-app integration, any program of yours can ask it for \
             secrets; you get an approval prompt, which is easy to click through at 2 a.m.",
        ),
        (
            home.join(".config/Bitwarden CLI/data.json"),
            "Bitwarden CLI vault cache",
            "Your encrypted Bitwarden vault, cached locally. Useless without the master password or a BW_SESSION \
             key, but a target worth protecting.",
        ),
    ];
    for (path, kind, explanation) in candidates {
        if path.is_file() {
            let what = What {
                category: Category::PasswordManager,
                kind: kind.to_owned(),
                severity: Severity::Medium,
                explanation,
                mitigation: instead::FRESH_HOME,
            };
            ctx.file("password_manager", &path, None, what, None);
        }
    }
}
