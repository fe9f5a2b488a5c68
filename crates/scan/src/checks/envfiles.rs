//! `.env` files in the repositories the user chose.

use std::path::{Path, PathBuf};

use super::{Ctx, What, instead};
use crate::redact::classify;
use crate::{Category, fsutil};

/// Directories never worth walking into (dependencies, build output, VCS).
const SKIP_DIRS: &[&str] =
    &[".git", "node_modules", "target", "vendor", ".venv", "venv", "dist", "build", "__pycache__", ".next", ".tox"];
const MAX_DEPTH: usize = 5;
const MAX_ENTRIES: usize = 20_000;

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let repos = ctx.opts.repos.clone();
    for repo in repos {
        let mut files = Vec::new();
        let mut budget = MAX_ENTRIES;
        walk(&repo, 0, &mut budget, &mut files);
        if budget == 0 {
            ctx.note(format!("stopped looking for .env files in {} after {MAX_ENTRIES} entries", ctx.opts.display(&repo)));
        }
        let tracked = tracked(&repo, &files, ctx.opts.command_timeout);
        for file in files {
            let committed = tracked.contains(&file);
            env_file(ctx, &file, committed);
        }
        remote_tokens(ctx, &repo);
    }
}

/// Which of `files` git tracks (so every clone and worktree has them): one
/// `git ls-files` for all of them.
fn tracked(repo: &Path, files: &[PathBuf], timeout: std::time::Duration) -> Vec<PathBuf> {
    if files.is_empty() {
        return Vec::new();
    }
    let rels: Vec<&Path> = files.iter().filter_map(|f| f.strip_prefix(repo).ok()).collect();
    let mut cmd = fsutil::git(repo);
    cmd.args(["ls-files", "-z", "--"]).args(&rels);
    match fsutil::run_with_timeout(&mut cmd, timeout) {
        Ok(Some(out)) if out.status.success() => out
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| repo.join(String::from_utf8_lossy(p).as_ref()))
            .collect(),
        _ => Vec::new(),
    }
}

/// Passwords or tokens written into remote URLs (`https://user:token@host/...`):
/// every worktree's git config has them.
fn remote_tokens(ctx: &mut Ctx<'_>, repo: &Path) {
    let cmd = fsutil::run_with_timeout(
        fsutil::git(repo).args(["config", "--local", "--get-regexp", r"^remote\..*\.url$"]),
        ctx.opts.command_timeout,
    );
    let Ok(Some(out)) = cmd else { return };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for line in text.lines() {
        let Some((key, url)) = line.split_once(' ') else { continue };
        let Some(host) = crate::redact::url_with_password(url) else { continue };
        let name = key.trim_start_matches("remote.").trim_end_matches(".url");
        let password = url.split_once("://").and_then(|(_, r)| r.rsplit_once('@')).and_then(|(u, _)| u.split_once(':'));
        let fp = password.map(|(_, pw)| {
            crate::redact::known_token(pw, &ctx.key).map_or_else(|| ctx.key.hashed(pw.as_bytes()), |c| c.fingerprint)
        });
        let what = What {
            category: Category::Vcs,
            kind: format!("token in git remote URL (host {host})"),
            severity: crate::Severity::High,
            explanation: "A password or token written into the remote's URL, in the repo's .git/config: anything \
                working in the repo can read it and push as you.",
            mitigation: instead::TOKENS,
        };
        ctx.file("git.remote_token", &repo.join(".git/config"), Some(name), what, fp);
    }
}

pub(crate) fn is_env_file(name: &str) -> bool {
    name == ".env" || name.starts_with(".env.") || (name.ends_with(".env") && name.len() > 4)
}

fn walk(dir: &Path, depth: usize, budget: &mut usize, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for entry in rd.filter_map(Result::ok) {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let name = entry.file_name().to_string_lossy().into_owned();
        // file_type() does not follow symlinks: a link loop cannot trap the walk.
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if depth < MAX_DEPTH && !SKIP_DIRS.contains(&name.as_str()) {
                walk(&entry.path(), depth + 1, budget, out);
            }
        } else if is_env_file(&name) {
            out.push(entry.path());
        }
    }
}

fn env_file(ctx: &mut Ctx<'_>, path: &Path, committed: bool) {
    let Ok(bytes) = fsutil::read_bounded(path) else { return };
    let text = String::from_utf8_lossy(&bytes);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else { continue };
        let name = name.trim();
        // Drop a trailing comment after an unquoted value.
        let value = if value.trim_start().starts_with(['"', '\'']) { value } else { value.split(" #").next().unwrap_or(value) };
        let Some(found) = classify(name, value, &ctx.key) else { continue };
        let what = What {
            category: Category::EnvFile,
            kind: if committed { format!("{} (committed to git)", found.kind) } else { found.kind },
            severity: found.severity,
            explanation: if committed {
                "This .env file is committed: every clone, every task worktree and everyone with read access to \
                 the repository has the value. Take it out of git and rotate it."
            } else {
                "An agent working in this repo reads .env files as a matter of course (to run tests, to debug), \
                 and from there the value can end up in its context, its logs or a commit."
            },
            mitigation: if committed { instead::ENV_FILE_COMMITTED } else { instead::ENV_FILE },
        };
        let detail = format!("{name}, line {}", n + 1);
        ctx.file("envfile", path, Some(&detail), what, Some(found.fingerprint));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn env_file_names() {
        for yes in [".env", ".env.local", ".env.production", "prod.env"] {
            assert!(super::is_env_file(yes), "{yes}");
        }
        for no in ["env", ".envrc", "environment.ts", ".env_"] {
            assert!(!super::is_env_file(no), "{no}");
        }
    }
}
