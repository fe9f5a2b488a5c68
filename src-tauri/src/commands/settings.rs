//! Settings: the egress policy file (allow/deny rules, injected services and
//! their keyring entries) and the webhook integrations (signing secrets,
//! auto-run rules, deliveries, proposals).
//!
//! Secrets travel one way: from the window into the OS keyring. No command
//! returns a secret; statuses say only whether an entry holds a value.

use std::path::PathBuf;

use paddock_egress::settings::{self as egress_settings, PolicyDoc};
use paddock_egress::{KeyringSecretStore as EgressKeyring, Secret as EgressSecret, SecretError, SecretStore as _};
use paddock_ipc::WireError;
use paddock_ipc::settings::{
    EgressPolicy, EgressSettings, IntegrationsOverview, SecretPresence, SecretStatus, TaskProposal, WebhookRules,
    WebhookSecretStatus, WebhookSource,
};
use paddock_webhooks::SecretStore as _;

use super::blocking;
use crate::convert::settings as convert;
use crate::state::AppState;

/// The longest secret accepted (API keys and signing secrets are far shorter).
const MAX_SECRET_BYTES: usize = 8 * 1024;

pub(super) fn audit(state: &AppState, action: &str, resource: &str, detail: serde_json::Value) {
    if let Ok(log) = &state.audit {
        let ev = paddock_audit::NewEvent::new(paddock_audit::Actor::User, paddock_audit::Kind::Config, action)
            .resource(resource)
            .outcome("ok")
            .detail(detail);
        if let Err(e) = log.append(ev) {
            tracing::error!("settings change not recorded in the audit trail: {e}");
        }
    }
}

fn secret_value(secret: &str) -> Result<&str, WireError> {
    let value = secret.trim_end_matches(['\n', '\r']);
    if value.trim().is_empty() {
        return Err(WireError::invalid_input("the secret is empty; paste the value to store"));
    }
    if value.len() > MAX_SECRET_BYTES {
        return Err(WireError::invalid_input(format!("the secret is longer than {MAX_SECRET_BYTES} bytes")));
    }
    Ok(value)
}

// ---------------------------------------------------------------- egress

fn egress_path(state: &AppState) -> PathBuf {
    state.data_dir.join(egress_settings::POLICY_FILE_NAME)
}

/// Entry names are what `paddock egress set-secret NAME` accepts: no empty
/// or control characters (the keyring stores them as attribute values).
fn entry_name(name: &str) -> Result<&str, WireError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
        return Err(WireError::invalid_input("a keyring entry name is 1–128 printable characters"));
    }
    Ok(name)
}

fn egress_presence(service: &str, name: &str) -> (SecretPresence, Option<String>) {
    match EgressKeyring::new(service).get(name) {
        Ok(_) => (SecretPresence::Stored, None),
        Err(SecretError::NotFound(_)) => (SecretPresence::Missing, None),
        Err(e) => (SecretPresence::Unknown, Some(e.to_string())),
    }
}

fn load_egress(path: PathBuf, service: &str) -> Result<EgressSettings, WireError> {
    let doc = egress_settings::load(&path).map_err(|e| {
        let mut w = convert::policy_error(e);
        w.message = format!("{}; fix or move {} to edit it here", w.message, path.display());
        w
    })?;
    let exists = doc.is_some();
    let policy = doc.map(convert::policy).unwrap_or(EgressPolicy { allow: vec![], deny: vec![], services: vec![] });
    let mut keyring_problem = None;
    let mut secrets: Vec<SecretStatus> = Vec::new();
    for svc in &policy.services {
        if secrets.iter().any(|s| s.name == svc.secret) {
            continue;
        }
        let (presence, problem) = egress_presence(service, &svc.secret);
        keyring_problem = keyring_problem.or(problem);
        secrets.push(SecretStatus { name: svc.secret.clone(), presence });
    }
    let example = PolicyDoc::parse(egress_settings::EXAMPLE_POLICY)
        .map_err(|e| WireError::internal(format!("the built-in example policy does not load: {e}")))?;
    Ok(EgressSettings {
        path: path.display().to_string(),
        exists,
        policy,
        secrets,
        keyring_problem,
        example: convert::policy(example),
    })
}

#[tauri::command]
pub async fn egress_settings(state: tauri::State<'_, AppState>) -> Result<EgressSettings, WireError> {
    let path = egress_path(&state);
    let service = state.keyring.egress.clone();
    blocking(move || load_egress(path, &service)).await
}

/// Saves the rules and services into the policy file, keeping the rest of
/// it. Refused (file untouched) when the result would not load.
#[tauri::command]
pub async fn egress_settings_save(
    state: tauri::State<'_, AppState>,
    policy: EgressPolicy,
) -> Result<EgressSettings, WireError> {
    let path = egress_path(&state);
    let doc = convert::policy_doc(policy);
    let _guard = state.settings_lock.lock().map_err(|_| WireError::internal("settings lock poisoned"))?;
    egress_settings::save(&path, &doc).map_err(convert::policy_error)?;
    audit(
        &state,
        "egress.policy.save",
        &path.display().to_string(),
        serde_json::json!({
            "allow": doc.allow.iter().map(|r| &r.id).collect::<Vec<_>>(),
            "deny": doc.deny.iter().map(|r| &r.id).collect::<Vec<_>>(),
            "services": doc.services.iter().map(|s| &s.name).collect::<Vec<_>>(),
        }),
    );
    load_egress(path, &state.keyring.egress)
}

/// Stores an injected service's key in the OS keyring. The value is never
/// sent back, logged or recorded; only the entry name is.
#[tauri::command]
pub async fn egress_set_secret(
    state: tauri::State<'_, AppState>,
    name: String,
    secret: String,
) -> Result<SecretStatus, WireError> {
    let name = entry_name(&name)?.to_owned();
    let value = secret_value(&secret)?;
    EgressKeyring::new(&state.keyring.egress)
        .set(&name, &EgressSecret::from(value))
        .map_err(|e| WireError::new(paddock_ipc::ErrorCode::Unavailable, e.to_string()))?;
    audit(&state, "egress.secret.set", &name, serde_json::json!({ "keyring_service": state.keyring.egress }));
    let (presence, _) = egress_presence(&state.keyring.egress, &name);
    Ok(SecretStatus { name, presence })
}

#[tauri::command]
pub async fn egress_clear_secret(state: tauri::State<'_, AppState>, name: String) -> Result<SecretStatus, WireError> {
    let name = entry_name(&name)?.to_owned();
    EgressKeyring::new(&state.keyring.egress)
        .delete(&name)
        .map_err(|e| WireError::new(paddock_ipc::ErrorCode::Unavailable, e.to_string()))?;
    audit(&state, "egress.secret.clear", &name, serde_json::json!({ "keyring_service": state.keyring.egress }));
    let (presence, _) = egress_presence(&state.keyring.egress, &name);
    Ok(SecretStatus { name, presence })
}

// -------------------------------------------------------------- webhooks

fn rules_path(state: &AppState) -> PathBuf {
    state.data_dir.join("webhook-rules.toml")
}

fn webhooks_db(state: &AppState) -> PathBuf {
    state.data_dir.join("webhooks.db")
}

fn webhook_presence(service: &str, source: paddock_webhooks::Source) -> WebhookSecretStatus {
    let (presence, problem) = match paddock_webhooks::KeyringSecretStore::new(service).get(source) {
        Ok(_) => (SecretPresence::Stored, None),
        Err(paddock_webhooks::SecretError::NotFound(_)) => (SecretPresence::Missing, None),
        Err(e) => (SecretPresence::Unknown, Some(e.to_string())),
    };
    let endpoints = match source {
        paddock_webhooks::Source::Slack => "/slack/commands, /slack/events",
        paddock_webhooks::Source::Github => "/github",
    };
    WebhookSecretStatus { source: convert::source(source), presence, problem, endpoints: endpoints.to_owned() }
}

fn load_rules(path: PathBuf) -> Result<WebhookRules, WireError> {
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(WireError::internal(format!("cannot read {}: {e}", path.display()))),
    };
    let (rules, error) = match text.as_deref().map(paddock_webhooks::Rules::parse) {
        None => (Vec::new(), None),
        Some(Ok(r)) => (r.auto_run.into_iter().map(convert::rule_out).collect(), None),
        Some(Err(e)) => (Vec::new(), Some(e)),
    };
    Ok(WebhookRules {
        path: path.display().to_string(),
        exists: text.is_some(),
        text: text.unwrap_or_default(),
        rules,
        error,
    })
}

fn open_store(path: &std::path::Path) -> Result<paddock_webhooks::Store, WireError> {
    paddock_webhooks::Store::open(path).map_err(convert::store_error)
}

#[tauri::command]
pub async fn integrations_overview(state: tauri::State<'_, AppState>) -> Result<IntegrationsOverview, WireError> {
    let rules = rules_path(&state);
    let db = webhooks_db(&state);
    let service = state.keyring.webhooks.clone();
    blocking(move || {
        let (deliveries, proposals) = if db.exists() {
            let store = open_store(&db)?;
            (
                store.list_deliveries(50).map_err(convert::store_error)?,
                store.list_proposals(None).map_err(convert::store_error)?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(IntegrationsOverview {
            secrets: [paddock_webhooks::Source::Slack, paddock_webhooks::Source::Github]
                .into_iter()
                .map(|s| webhook_presence(&service, s))
                .collect(),
            rules: load_rules(rules)?,
            deliveries: deliveries.into_iter().map(convert::delivery).collect(),
            proposals: proposals.into_iter().map(convert::proposal).collect(),
            db: db.display().to_string(),
            serve_command: if service == paddock_webhooks::KEYRING_SERVICE {
                "paddock webhooks serve".to_owned()
            } else {
                format!("paddock webhooks serve --keyring-service {service}")
            },
        })
    })
    .await
}

/// Stores a signing secret in the OS keyring; it is never shown again.
#[tauri::command]
pub async fn webhooks_set_secret(
    state: tauri::State<'_, AppState>,
    source: WebhookSource,
    secret: String,
) -> Result<WebhookSecretStatus, WireError> {
    let source = convert::source_in(source);
    let value = secret_value(&secret)?;
    paddock_webhooks::KeyringSecretStore::new(&state.keyring.webhooks)
        .set(source, &paddock_webhooks::Secret::from(value))
        .map_err(|e| WireError::new(paddock_ipc::ErrorCode::Unavailable, e.to_string()))?;
    audit(&state, "webhooks.secret.set", source.as_str(), serde_json::json!({ "source": source.as_str() }));
    Ok(webhook_presence(&state.keyring.webhooks, source))
}

#[tauri::command]
pub async fn webhooks_clear_secret(
    state: tauri::State<'_, AppState>,
    source: WebhookSource,
) -> Result<WebhookSecretStatus, WireError> {
    let source = convert::source_in(source);
    paddock_webhooks::KeyringSecretStore::new(&state.keyring.webhooks)
        .delete(source)
        .map_err(|e| WireError::new(paddock_ipc::ErrorCode::Unavailable, e.to_string()))?;
    audit(&state, "webhooks.secret.clear", source.as_str(), serde_json::json!({ "source": source.as_str() }));
    Ok(webhook_presence(&state.keyring.webhooks, source))
}

/// Validates and saves the auto-run rules file (refused, file untouched,
/// when a rule is invalid, e.g. one that would run anything anyone asks).
#[tauri::command]
pub async fn webhooks_save_rules(state: tauri::State<'_, AppState>, text: String) -> Result<WebhookRules, WireError> {
    let path = rules_path(&state);
    let _guard = state.settings_lock.lock().map_err(|_| WireError::internal("settings lock poisoned"))?;
    let rules = paddock_webhooks::Rules::save(&path, &text).map_err(|e| match e {
        paddock_webhooks::RulesError::Invalid { message, .. } => WireError::invalid_input(message),
        other => WireError::internal(other.to_string()),
    })?;
    audit(
        &state,
        "webhooks.rules.save",
        &path.display().to_string(),
        serde_json::json!({ "rules": rules.auto_run.iter().map(|r| &r.id).collect::<Vec<_>>() }),
    );
    load_rules(path)
}

/// A person's decision on a pending proposal; recorded in the audit trail.
#[tauri::command]
pub async fn webhooks_decide(
    state: tauri::State<'_, AppState>,
    id: String,
    approve: bool,
) -> Result<TaskProposal, WireError> {
    let id = uuid::Uuid::parse_str(id.trim())
        .map_err(|_| WireError::invalid_input(format!("{id:?} is not a proposal id")))?;
    let db = webhooks_db(&state);
    let audit_log = state.audit.as_ref().ok().cloned();
    blocking(move || {
        let p = open_store(&db)?.decide_proposal(id, approve, chrono::Utc::now()).map_err(convert::store_error)?;
        if let Some(log) = audit_log {
            let ev = paddock_audit::NewEvent::new(
                paddock_audit::Actor::User,
                paddock_audit::Kind::Approval,
                if approve { "proposal.approve" } else { "proposal.reject" },
            )
            .resource(p.repo.clone())
            .outcome(p.state.as_str())
            .detail(serde_json::json!({ "proposal": p.id.to_string(), "source": p.source.as_str(), "sender": p.sender }));
            if let Err(e) = log.append(ev) {
                tracing::error!("proposal decision not recorded in the audit trail: {e}");
            }
        }
        Ok(convert::proposal(p))
    })
    .await
}
