//! Environment variables an agent would inherit: tokens with known prefixes,
//! secret-looking names with random-looking values, password-manager sessions.

use super::{Ctx, What, instead};
use crate::redact::{Classified, classify, opaque_token_fingerprint};
use crate::{Category, Severity};

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let vars: Vec<(String, String)> = ctx.opts.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (name, value) in vars {
        if value.is_empty() {
            continue;
        }
        if name.starts_with("OP_SESSION_") || name == "BW_SESSION" {
            let manager = if name == "BW_SESSION" { "Bitwarden" } else { "1Password" };
            let what = What {
                category: Category::PasswordManager,
                kind: format!("unlocked {manager} CLI session"),
                severity: Severity::High,
                explanation: "An unlocked password-manager session: an agent can read every password, key and note \
                    in your vault without a prompt, until the session ends.",
                mitigation: instead::ENV,
            };
            let fp = ctx.key.hashed(value.as_bytes());
            ctx.other(format!("env:{name}"), format!("env {name}"), what, Some(fp));
            continue;
        }
        let known = known_name(&name, &value, ctx);
        let Some(found) = known.or_else(|| classify(&name, &value, &ctx.key)) else { continue };
        let what = What {
            category: found.category,
            kind: found.kind,
            severity: found.severity,
            explanation: "Every program you start inherits this variable, an agent included, and the agent's \
                tools and MCP servers with it: it can use the credential as you, or send it anywhere it can reach.",
            mitigation: instead::ENV,
        };
        ctx.other(format!("env:{name}"), format!("env {name}"), what, Some(found.fingerprint));
    }
}

/// Variables whose name alone says what they hold (their values have no
/// telltale prefix): (name, kind, category, severity).
const KNOWN_NAMES: &[(&str, &str, Category, Severity)] = &[
    ("AWS_SECRET_ACCESS_KEY", "AWS secret access key", Category::Cloud, Severity::Critical),
    ("AWS_SESSION_TOKEN", "AWS session token", Category::Cloud, Severity::High),
    ("AZURE_CLIENT_SECRET", "Azure service-principal secret", Category::Cloud, Severity::Critical),
    ("ARM_CLIENT_SECRET", "Azure service-principal secret (Terraform)", Category::Cloud, Severity::Critical),
    ("DIGITALOCEAN_TOKEN", "DigitalOcean API token", Category::Cloud, Severity::Critical),
    ("DIGITALOCEAN_ACCESS_TOKEN", "DigitalOcean API token", Category::Cloud, Severity::Critical),
    ("HCLOUD_TOKEN", "Hetzner Cloud API token", Category::Cloud, Severity::Critical),
    ("CLOUDFLARE_API_TOKEN", "Cloudflare API token", Category::Cloud, Severity::High),
    ("HEROKU_API_KEY", "Heroku API key", Category::Cloud, Severity::High),
    ("VAULT_TOKEN", "HashiCorp Vault token", Category::Cloud, Severity::High),
];

fn known_name(name: &str, value: &str, ctx: &Ctx<'_>) -> Option<Classified> {
    let (_, kind, category, severity) = KNOWN_NAMES.iter().find(|(n, ..)| *n == name)?;
    let value = value.trim();
    if value.len() < 8 || value.starts_with('$') {
        return None;
    }
    // A secret key next to a session token is a temporary credential.
    let severity = if name == "AWS_SECRET_ACCESS_KEY" && ctx.opts.env_var("AWS_SESSION_TOKEN").is_some() {
        Severity::High
    } else {
        *severity
    };
    Some(Classified {
        kind: (*kind).to_owned(),
        category: *category,
        severity,
        fingerprint: opaque_token_fingerprint(value, &ctx.key),
    })
}
