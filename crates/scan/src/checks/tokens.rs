//! Package registry and VCS tokens: npm, PyPI, netrc, git credentials, gh, cargo.

use std::path::{Path, PathBuf};

use super::{Ctx, What, ini, instead};
use crate::redact::{Classified, known_token, opaque_token_fingerprint};
use crate::{Category, Severity};

pub(super) fn run(ctx: &mut Ctx<'_>) {
    npmrc(ctx);
    pypirc(ctx);
    netrc(ctx);
    git_credentials(ctx);
    gh(ctx);
    cargo(ctx);
}

/// A token's fingerprint: its known format if it has one, else the opaque rule.
fn token_fp(value: &str, ctx: &Ctx<'_>) -> (Option<Classified>, String) {
    match known_token(value, &ctx.key) {
        Some(c) => {
            let fp = c.fingerprint.clone();
            (Some(c), fp)
        }
        None => (None, opaque_token_fingerprint(value, &ctx.key)),
    }
}

/// A password's fingerprint: a known token format if it is one, else only a keyed hash.
fn password_fp(value: &str, ctx: &Ctx<'_>) -> String {
    known_token(value, &ctx.key).map_or_else(|| ctx.key.hashed(value.as_bytes()), |c| c.fingerprint)
}

const PUBLISH_EXPLAIN: &str = "A registry token: an agent can publish a new version of your packages, which \
    everyone who depends on them then installs.";

fn npmrc(ctx: &mut Ctx<'_>) {
    let mut paths = vec![ctx.opts.env_var("NPM_CONFIG_USERCONFIG").map_or_else(|| ctx.opts.home.join(".npmrc"), PathBuf::from)];
    paths.extend(ctx.opts.repos.iter().map(|r| r.join(".npmrc")));
    for path in paths {
        let Some(text) = ctx.read_text(&path) else { continue };
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else { continue };
            let (k, v) = (k.trim(), v.trim().trim_matches('"'));
            if v.is_empty() || v.starts_with("${") {
                continue;
            }
            let (scope, field) = k.rsplit_once(':').unwrap_or(("", k));
            let scope = scope.trim_start_matches("//").trim_end_matches('/');
            let scope = if scope.is_empty() { "default registry" } else { scope };
            let fp = match field {
                "_authToken" => token_fp(v, ctx).1,
                "_auth" | "_password" => ctx.key.hashed(v.as_bytes()),
                _ => continue,
            };
            let what = What {
                category: Category::PackageToken,
                kind: "npm registry token".to_owned(),
                severity: Severity::High,
                explanation: PUBLISH_EXPLAIN,
                mitigation: instead::TOKENS,
            };
            ctx.file("npm.token", &path, Some(scope), what, Some(fp));
        }
    }
}

fn pypirc(ctx: &mut Ctx<'_>) {
    let path = ctx.opts.home.join(".pypirc");
    let Some(text) = ctx.read_text(&path) else { return };
    for section in ini::parse(&text) {
        let Some(pw) = section.get("password").filter(|p| !p.is_empty()) else { continue };
        let what = What {
            category: Category::PackageToken,
            kind: "PyPI upload credentials".to_owned(),
            severity: Severity::High,
            explanation: PUBLISH_EXPLAIN,
            mitigation: instead::TOKENS,
        };
        let fp = password_fp(pw, ctx);
        ctx.file("pypi.token", &path, Some(&section.name), what, Some(fp));
    }
}

fn netrc(ctx: &mut Ctx<'_>) {
    let path = ctx.opts.env_var("NETRC").map_or_else(|| ctx.opts.home.join(".netrc"), PathBuf::from);
    let Some(text) = ctx.read_text(&path) else { return };
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut machine: Option<&str> = None;
    let mut i = 0;
    while i < words.len() {
        match words[i] {
            "machine" => {
                machine = words.get(i + 1).copied();
                i += 1;
            }
            "default" => machine = Some("default"),
            "password" => {
                if let Some(pw) = words.get(i + 1) {
                    let host = machine.unwrap_or("default");
                    let what = What {
                        category: Category::Vcs,
                        kind: "netrc password".to_owned(),
                        severity: Severity::High,
                        explanation: "A saved password that curl, git and others send automatically: an agent \
                            can log in to this host as you.",
                        mitigation: instead::TOKENS,
                    };
                    let fp = password_fp(pw, ctx);
                    ctx.file("netrc", &path, Some(host), what, Some(fp));
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
}

fn git_credentials(ctx: &mut Ctx<'_>) {
    for path in [ctx.opts.home.join(".git-credentials"), ctx.opts.home.join(".config/git/credentials")] {
        let Some(text) = ctx.read_text(&path) else { continue };
        for line in text.lines() {
            let Some(host) = crate::redact::url_with_password(line.trim()) else { continue };
            let password = line
                .split_once("://")
                .and_then(|(_, rest)| rest.rsplit_once('@'))
                .and_then(|(userinfo, _)| userinfo.split_once(':'))
                .map(|(_, pw)| pw.to_owned())
                .unwrap_or_default();
            let what = What {
                category: Category::Vcs,
                kind: "git credential (stored in plain text)".to_owned(),
                severity: Severity::High,
                explanation: "git's store helper keeps this token in plain text: an agent can push to every repo \
                    you can, including force-pushes and deleting branches.",
                mitigation: instead::TOKENS,
            };
            let fp = password_fp(&percent_decode(&password), ctx);
            ctx.file("git.credentials", &path, Some(&host), what, Some(fp));
        }
    }
}

/// `%40` → `@`: git-credentials stores user-info percent-encoded.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn gh(ctx: &mut Ctx<'_>) {
    let path = ctx.opts.dir_from_env("GH_CONFIG_DIR", ".config/gh").join("hosts.yml");
    let Some(text) = ctx.read_text(&path) else { return };
    // hosts.yml: a host name at column 0, its keys indented below it.
    let mut host: Option<String> = None;
    let mut hosts_with_keyring: Vec<String> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(' ') && line.trim_end().ends_with(':') {
            host = Some(line.trim_end().trim_end_matches(':').to_owned());
            continue;
        }
        let Some((k, v)) = line.trim().split_once(':') else { continue };
        let Some(h) = host.clone() else { continue };
        let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
        match k.trim() {
            "oauth_token" if !v.is_empty() => {
                let what = What {
                    category: Category::Vcs,
                    kind: "GitHub CLI token (in plain text)".to_owned(),
                    severity: Severity::High,
                    explanation: "The gh CLI's login: an agent can push, open and merge pull requests, read private \
                        repos and change settings wherever you can.",
                    mitigation: instead::TOKENS,
                };
                let fp = token_fp(v, ctx).1;
                ctx.file("gh.token", &path, Some(&h), what, Some(fp));
            }
            "user" if !hosts_with_keyring.contains(&h) => hosts_with_keyring.push(h),
            _ => {}
        }
    }
    for h in hosts_with_keyring {
        let what = What {
            category: Category::Vcs,
            kind: "GitHub CLI login (token in the OS keyring)".to_owned(),
            severity: Severity::Medium,
            explanation: "gh is logged in; the token is in your keyring, but any program of yours (an agent \
                included) can print it with `gh auth token`.",
            mitigation: instead::TOKENS,
        };
        // Same id as the plain-text token: if both exist the plain-text one (found first) wins.
        ctx.file("gh.token", &path, Some(&h), what, None);
    }
}

fn cargo(ctx: &mut Ctx<'_>) {
    let dir = ctx.opts.dir_from_env("CARGO_HOME", ".cargo");
    for path in [dir.join("credentials.toml"), dir.join("credentials")] {
        cargo_file(ctx, &path);
    }
}

fn cargo_file(ctx: &mut Ctx<'_>, path: &Path) {
    let Some(text) = ctx.read_text(path) else { return };
    let Ok(doc) = text.parse::<toml::Table>() else {
        let shown = ctx.opts.display(path);
        ctx.note(format!("{shown} is not valid TOML"));
        return;
    };
    let mut tokens: Vec<(String, String)> = Vec::new();
    if let Some(t) = doc.get("registry").and_then(|r| r.get("token")).and_then(|t| t.as_str()) {
        tokens.push(("crates.io".to_owned(), t.to_owned()));
    }
    if let Some(regs) = doc.get("registries").and_then(|r| r.as_table()) {
        for (name, reg) in regs {
            if let Some(t) = reg.get("token").and_then(|t| t.as_str()) {
                tokens.push((name.clone(), t.to_owned()));
            }
        }
    }
    for (registry, token) in tokens {
        let what = What {
            category: Category::PackageToken,
            kind: "cargo registry token".to_owned(),
            severity: Severity::High,
            explanation: PUBLISH_EXPLAIN,
            mitigation: instead::TOKENS,
        };
        let fp = token_fp(&token, ctx).1;
        ctx.file("cargo.token", path, Some(&registry), what, Some(fp));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_decoding() {
        assert_eq!(super::percent_decode("a%40b%2"), "a@b%2");
    }
}
