//! AWS, Google Cloud, Azure, Kubernetes and Docker registry credentials.

use std::path::Path;

use super::{Ctx, What, ini, instead};
use crate::redact::{known_token, opaque_token_fingerprint};
use crate::{Category, Severity};

pub(super) fn run(ctx: &mut Ctx<'_>) {
    aws(ctx);
    gcloud(ctx);
    azure(ctx);
    kube(ctx);
    docker_config(ctx);
}

const AWS_KEY_EXPLAIN: &str = "An agent can call AWS as you with this key: read and delete data, start machines \
    on your bill, and if the key is an admin's, create new users that outlive the key.";
const AWS_SESSION_EXPLAIN: &str = "A temporary AWS session: until it expires, an agent can call AWS with whatever \
    role it belongs to.";

fn aws(ctx: &mut Ctx<'_>) {
    let aws_dir = ctx.opts.home.join(".aws");
    let creds = ctx.opts.env_var("AWS_SHARED_CREDENTIALS_FILE").map_or_else(|| aws_dir.join("credentials"), Into::into);
    let config = ctx.opts.env_var("AWS_CONFIG_FILE").map_or_else(|| aws_dir.join("config"), Into::into);
    for path in [creds, config] {
        let Some(text) = ctx.read_text(&path) else { continue };
        for section in ini::parse(&text) {
            let profile = section.name.trim_start_matches("profile ").to_owned();
            if let Some(key_id) = section.get("aws_access_key_id") {
                let has_secret = section.get("aws_secret_access_key").is_some_and(|s| !s.is_empty());
                let (kind, severity, fp) = match known_token(key_id, &ctx.key) {
                    Some(c) => (c.kind, c.severity, c.fingerprint),
                    None => ("AWS access key".to_owned(), Severity::High, opaque_token_fingerprint(key_id, &ctx.key)),
                };
                let temporary = section.get("aws_session_token").is_some() || kind.contains("temporary");
                let severity = if !has_secret { Severity::Low } else if temporary { Severity::High.min(severity) } else { severity };
                let what = What {
                    category: Category::Cloud,
                    kind: if has_secret { kind } else { format!("{kind} without its secret") },
                    severity,
                    explanation: if temporary { AWS_SESSION_EXPLAIN } else { AWS_KEY_EXPLAIN },
                    mitigation: instead::CLOUD,
                };
                ctx.file("aws.key", &path, Some(&profile), what, Some(fp));
            } else if section.get("credential_process").is_some() {
                let what = What {
                    category: Category::Cloud,
                    kind: "AWS credential_process profile".to_owned(),
                    severity: Severity::Medium,
                    explanation: "This profile runs a command that prints AWS credentials; an agent can run the \
                        same command and get them.",
                    mitigation: instead::CLOUD,
                };
                ctx.file("aws.process", &path, Some(&profile), what, None);
            } else if section.get("sso_start_url").is_some() || section.get("sso_session").is_some() {
                let what = What {
                    category: Category::Cloud,
                    kind: "AWS SSO profile".to_owned(),
                    severity: Severity::Medium,
                    explanation: "While your SSO login is fresh, an agent can use this profile to act in the \
                        linked AWS accounts with your role.",
                    mitigation: instead::CLOUD,
                };
                ctx.file("aws.sso_profile", &path, Some(&profile), what, None);
            }
        }
    }
    for (dir, what_kind) in [("sso/cache", "AWS SSO token cache"), ("cli/cache", "AWS CLI assumed-role cache")] {
        for path in crate::fsutil::list_dir(&aws_dir.join(dir), 200) {
            if path.extension().is_some_and(|e| e == "json") {
                aws_cache_file(ctx, &path, what_kind);
            }
        }
    }
}

fn aws_cache_file(ctx: &mut Ctx<'_>, path: &Path, kind: &str) {
    let Some(json) = ctx.read_json(path) else { return };
    let creds = json.get("Credentials");
    let has_token = json.get("accessToken").is_some()
        || json.get("refreshToken").is_some()
        || creds.and_then(|c| c.get("SecretAccessKey")).is_some();
    if !has_token {
        return;
    }
    let expires = json
        .get("expiresAt")
        .or_else(|| creds.and_then(|c| c.get("Expiration")))
        .and_then(|v| v.as_str())
        .and_then(parse_time);
    let refreshable = json.get("refreshToken").is_some();
    let expired = expires.is_some_and(|t| t < chrono::Utc::now());
    let (severity, state) = match (refreshable, expired) {
        (true, _) => (Severity::High, "refreshable"),
        (false, false) => (Severity::High, "live"),
        (false, true) => (Severity::Low, "expired"),
    };
    let what = What {
        category: Category::Cloud,
        kind: format!("{kind} ({state})"),
        severity,
        explanation: "A cached AWS login: while it is live (or refreshable) an agent can call AWS as your SSO role \
            without asking you.",
        mitigation: instead::CLOUD,
    };
    ctx.file("aws.cache", path, None, what, None);
}

fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    // AWS writes both RFC 3339 and "2024-01-01T00:00:00UTC".
    let s = s.strip_suffix("UTC").map_or_else(|| s.to_owned(), |t| format!("{t}Z"));
    chrono::DateTime::parse_from_rfc3339(&s).ok().map(|t| t.with_timezone(&chrono::Utc))
}

fn gcloud(ctx: &mut Ctx<'_>) {
    let dir = ctx.opts.dir_from_env("CLOUDSDK_CONFIG", ".config/gcloud");
    let mut key_files = vec![dir.join("application_default_credentials.json")];
    if let Some(p) = ctx.opts.env_var("GOOGLE_APPLICATION_CREDENTIALS") {
        key_files.push(p.into());
    }
    for path in key_files {
        let Some(json) = ctx.read_json(&path) else { continue };
        let typ = json.get("type").and_then(|t| t.as_str()).unwrap_or("unknown");
        let (kind, severity, fp, explanation) = match typ {
            "service_account" => (
                "Google Cloud service-account key",
                Severity::Critical,
                json.get("private_key_id").and_then(|v| v.as_str()).map(|id| opaque_token_fingerprint(id, &ctx.key)),
                "A long-lived key for a Google Cloud service account: an agent can act as that account in every \
                 project it has roles in, until someone deletes the key.",
            ),
            "authorized_user" => (
                "Google Cloud application-default login (refresh token)",
                Severity::High,
                json.get("refresh_token").and_then(|v| v.as_str()).map(|t| ctx.key.hashed(t.as_bytes())),
                "Your gcloud application-default login: an agent can call Google Cloud APIs as you, in every \
                 project you can reach.",
            ),
            _ => (
                "Google Cloud credential configuration",
                Severity::Medium,
                None,
                "A Google Cloud credential configuration (federation or impersonation): an agent can use it to get \
                 Google Cloud tokens.",
            ),
        };
        let what = What { category: Category::Cloud, kind: kind.to_owned(), severity, explanation, mitigation: instead::CLOUD };
        ctx.file("gcloud.adc", &path, None, what, fp);
    }
    for (db, table) in [("credentials.db", "credential"), ("access_tokens.db", "access-token")] {
        let path = dir.join(db);
        if !path.is_file() {
            continue;
        }
        // Reported by presence: opening it would need SQLite and could touch
        // a database gcloud is using; one row per logged-in account is the norm.
        let (kind, severity) = (format!("gcloud {table} database"), Severity::High);
        let what = What {
            category: Category::Cloud,
            kind,
            severity,
            explanation: "gcloud keeps your logins here (refresh tokens): an agent can run gcloud, or read the \
                database, and act as you on Google Cloud.",
            mitigation: instead::CLOUD,
        };
        ctx.file("gcloud.db", &path, None, what, None);
    }
    let legacy = crate::fsutil::list_dir(&dir.join("legacy_credentials"), 100);
    if !legacy.is_empty() {
        // The folder names are account e-mails: count them, never name them.
        let what = What {
            category: Category::Cloud,
            kind: format!("gcloud legacy credentials ({} account{})", legacy.len(), if legacy.len() == 1 { "" } else { "s" }),
            severity: Severity::High,
            explanation: "Per-account copies of your gcloud logins, usable by any program that reads them.",
            mitigation: instead::CLOUD,
        };
        ctx.file("gcloud.legacy", &dir.join("legacy_credentials"), None, what, None);
    }
}

fn azure(ctx: &mut Ctx<'_>) {
    let dir = ctx.opts.dir_from_env("AZURE_CONFIG_DIR", ".azure");
    let sp = dir.join("service_principal_entries.json");
    if let Some(json) = ctx.read_json(&sp) {
        let entries = json.as_array().map_or(0, Vec::len);
        let secret = json.as_array().and_then(|a| a.iter().find_map(|e| e.get("client_secret").and_then(|s| s.as_str())));
        if entries > 0 {
            let what = What {
                category: Category::Cloud,
                kind: format!("Azure service-principal secret ({entries})"),
                severity: Severity::Critical,
                explanation: "Long-lived secrets for Azure service principals: an agent can log in as them and do \
                    whatever their role assignments allow, often subscription-wide.",
                mitigation: instead::CLOUD,
            };
            let fp = secret.map(|s| ctx.key.hashed(s.as_bytes()));
            ctx.file("azure.sp", &sp, None, what, fp);
        }
    }
    for name in ["msal_token_cache.json", "accessTokens.json"] {
        let path = dir.join(name);
        let Some(json) = ctx.read_json(&path) else { continue };
        let refresh = json.get("RefreshToken").and_then(|r| r.as_object()).map_or(0, serde_json::Map::len)
            + json.as_array().map_or(0, |a| a.iter().filter(|e| e.get("refreshToken").is_some()).count());
        if refresh == 0 {
            continue;
        }
        let what = What {
            category: Category::Cloud,
            kind: format!("Azure CLI login ({refresh} refresh token{})", if refresh == 1 { "" } else { "s" }),
            severity: Severity::High,
            explanation: "Your az login: an agent can get fresh Azure tokens from it and act as you in your \
                subscriptions.",
            mitigation: instead::CLOUD,
        };
        ctx.file("azure.login", &path, None, what, None);
    }
    let bin = dir.join("msal_token_cache.bin");
    if bin.is_file() {
        let what = What {
            category: Category::Cloud,
            kind: "Azure CLI token cache".to_owned(),
            severity: Severity::High,
            explanation: "Your az login cache: an agent running az as you gets Azure tokens from it.",
            mitigation: instead::CLOUD,
        };
        ctx.file("azure.login", &bin, None, what, None);
    }
}

fn kube(ctx: &mut Ctx<'_>) {
    let paths: Vec<std::path::PathBuf> = match ctx.opts.env_var("KUBECONFIG") {
        Some(list) => list.split(':').filter(|p| !p.is_empty()).map(Into::into).collect(),
        None => vec![ctx.opts.home.join(".kube/config")],
    };
    for path in paths {
        let Some(text) = ctx.read_text(&path) else { continue };
        // Line-based on purpose: kubeconfig is YAML or JSON, and all we need is
        // whether credential keys are present, not the document.
        let mut statics = 0;
        let mut plugins = 0;
        let mut fp = None;
        for line in text.lines() {
            let line = line.trim().trim_start_matches("- ");
            let Some((k, v)) = line.split_once(':') else { continue };
            let k = k.trim().trim_matches('"');
            let v = v.trim().trim_matches(|c| c == '"' || c == ',' || c == '\'');
            match k {
                "token" | "client-key-data" | "password" if !v.is_empty() => {
                    statics += 1;
                    fp.get_or_insert_with(|| match known_token(v, &ctx.key) {
                        Some(c) => c.fingerprint,
                        None => ctx.key.hashed(v.as_bytes()),
                    });
                }
                "exec" | "auth-provider" => plugins += 1,
                _ => {}
            }
        }
        if statics > 0 {
            let what = What {
                category: Category::Cloud,
                kind: format!("Kubernetes credentials ({statics} in kubeconfig)"),
                severity: Severity::High,
                explanation: "Cluster credentials: an agent can run kubectl as you, read secrets, and change or \
                    delete workloads, with cluster-admin rights on many dev clusters.",
                mitigation: instead::CLOUD,
            };
            ctx.file("kube.static", &path, None, what, fp);
        } else if plugins > 0 {
            let what = What {
                category: Category::Cloud,
                kind: "Kubernetes login plugin (exec/auth-provider)".to_owned(),
                severity: Severity::Medium,
                explanation: "This kubeconfig runs a command to get cluster tokens; an agent running kubectl gets \
                    them the same way, as long as your cloud login is fresh.",
                mitigation: instead::CLOUD,
            };
            ctx.file("kube.plugin", &path, None, what, None);
        }
    }
}

fn docker_config(ctx: &mut Ctx<'_>) {
    let path = ctx.opts.dir_from_env("DOCKER_CONFIG", ".docker").join("config.json");
    let Some(json) = ctx.read_json(&path) else { return };
    if let Some(auths) = json.get("auths").and_then(|a| a.as_object()) {
        for (registry, entry) in auths {
            let secret = entry.get("auth").or_else(|| entry.get("identitytoken")).and_then(|v| v.as_str());
            let Some(secret) = secret.filter(|s| !s.is_empty()) else { continue };
            let what = What {
                category: Category::PackageToken,
                kind: "container registry login".to_owned(),
                severity: Severity::High,
                explanation: "Your registry password (base64, not encrypted): an agent can pull private images \
                    and push over your published ones.",
                mitigation: instead::TOKENS,
            };
            let fp = ctx.key.hashed(secret.as_bytes());
            ctx.file("docker.auth", &path, Some(registry), what, Some(fp));
        }
    }
    if json.get("credsStore").is_some() || json.get("credHelpers").is_some() {
        let what = What {
            category: Category::PackageToken,
            kind: "container registry credential helper".to_owned(),
            severity: Severity::Medium,
            explanation: "Registry logins are kept by a credential helper; any program of yours, an agent \
                included, can ask the helper for them.",
            mitigation: instead::TOKENS,
        };
        ctx.file("docker.helper", &path, None, what, None);
    }
}
