//! GCP settings DTOs to and from paddock-creds' `GcpConfig`. Renames, plus
//! the field name in front of each refusal so the window can say which
//! field is wrong; the checks themselves are paddock-creds' own.

use paddock_creds::gcp as creds;
use paddock_ipc::WireError;
use paddock_ipc::settings as dto;

pub fn admin(a: creds::GcpAdminSource) -> dto::GcpAdminSource {
    match a {
        creds::GcpAdminSource::Adc => dto::GcpAdminSource::Adc,
        creds::GcpAdminSource::Keyring { service, user } => dto::GcpAdminSource::Keyring { service, user },
        creds::GcpAdminSource::Impersonate { service_account } => {
            dto::GcpAdminSource::Impersonate { service_account }
        }
    }
}

pub fn config(c: &creds::GcpConfig) -> dto::GcpConfig {
    dto::GcpConfig {
        project: c.project.clone(),
        admin: admin(c.admin.clone()),
        allowed_roles: c.allowed_roles.clone(),
        max_token_lifetime_secs: c.max_token_lifetime_secs,
    }
}

fn refused(field: &str, message: impl std::fmt::Display) -> WireError {
    WireError::invalid_input(format!("{field}: {message}"))
}

/// The edited fields over `base` (the saved section, which keeps what the
/// window does not edit, e.g. a test endpoint), checked field by field with
/// paddock-creds' own checks, then as a whole.
pub fn config_in(d: dto::GcpConfig, base: Option<creds::GcpConfig>) -> Result<creds::GcpConfig, WireError> {
    let project = d.project.trim().to_owned();
    paddock_creds::grants::check_gcp_project(&project).map_err(|m| refused("Project ID", m))?;
    let admin = match d.admin {
        dto::GcpAdminSource::Adc => creds::GcpAdminSource::Adc,
        dto::GcpAdminSource::Keyring { service, user } => {
            let (service, user) = (service.trim().to_owned(), user.trim().to_owned());
            if service.is_empty() || user.is_empty() {
                return Err(refused("Admin credentials", "name the keyring service and user of the service-account key"));
            }
            creds::GcpAdminSource::Keyring { service, user }
        }
        dto::GcpAdminSource::Impersonate { service_account } => {
            creds::GcpAdminSource::Impersonate { service_account: service_account.trim().to_owned() }
        }
    };
    let mut roles: Vec<String> = Vec::new();
    for r in d.allowed_roles.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        if !roles.iter().any(|x| x == r) {
            roles.push(r.to_owned());
        }
    }
    let mut cfg = base.unwrap_or_else(|| creds::GcpConfig::new(project.clone(), admin.clone()));
    cfg.project = project;
    cfg.admin = admin;
    cfg.allowed_roles = roles;
    cfg.max_token_lifetime_secs = d.max_token_lifetime_secs;
    for r in &cfg.allowed_roles {
        paddock_creds::grants::check_gcp_role(r).map_err(|m| refused("Allowed roles", m))?;
        cfg.check_role(r).map_err(|m| refused("Allowed roles", m))?;
    }
    if let creds::GcpAdminSource::Impersonate { .. } = &cfg.admin {
        let probe = creds::GcpConfig { allowed_roles: vec![], endpoint_url: None, ..cfg.clone() };
        probe.validate().map_err(|e| refused("Admin credentials", config_message(e)))?;
    }
    let lifetime = creds::GcpConfig { allowed_roles: vec![], endpoint_url: None, admin: creds::GcpAdminSource::Adc, ..cfg.clone() };
    lifetime.validate().map_err(|e| refused("Longest token lifetime", config_message(e)))?;
    cfg.validate().map_err(|e| WireError::invalid_input(config_message(e)))?;
    Ok(cfg)
}

/// A `CredsError::Config`'s own message, without the error type's prefix.
fn config_message(e: paddock_creds::CredsError) -> String {
    match e {
        paddock_creds::CredsError::Config(m) => m,
        other => other.to_string(),
    }
}
