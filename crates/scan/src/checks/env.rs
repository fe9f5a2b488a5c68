//! Environment variables an agent would inherit: tokens with known prefixes,
//! secret-looking names with random-looking values, password-manager sessions.

use super::{Ctx, What, instead};
use crate::redact::classify;
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
        let Some(found) = classify(&name, &value, &ctx.key) else { continue };
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
