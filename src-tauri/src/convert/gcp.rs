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
    // One field at a time, so a refusal names the right one.
    let lifetime = creds::GcpConfig { allowed_roles: vec![], endpoint_url: None, admin: creds::GcpAdminSource::Adc, ..cfg.clone() };
    lifetime.validate().map_err(|e| refused("Longest token lifetime", config_message(e)))?;
    if let creds::GcpAdminSource::Impersonate { .. } = &cfg.admin {
        let probe = creds::GcpConfig { allowed_roles: vec![], endpoint_url: None, ..cfg.clone() };
        probe.validate().map_err(|e| refused("Admin credentials", config_message(e)))?;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn input(project: &str, admin: dto::GcpAdminSource, roles: &[&str], secs: u64) -> dto::GcpConfig {
        dto::GcpConfig {
            project: project.into(),
            admin,
            allowed_roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            max_token_lifetime_secs: secs,
        }
    }

    #[test]
    fn each_refusal_names_its_field_and_a_good_config_keeps_what_the_window_does_not_edit() {
        let keyring = || dto::GcpAdminSource::Keyring { service: "paddock".into(), user: "gcp-admin".into() };
        let viewer = "roles/storage.objectViewer";
        let cases: Vec<(&str, dto::GcpConfig, &str)> = vec![
            ("bad project", input("Acme Data", keyring(), &[viewer], 3600), "Project ID: `Acme Data` is not a GCP project id"),
            ("basic role", input("acme-data", keyring(), &[viewer, "roles/owner"], 3600), "Allowed roles: role `roles/owner` is never granted"),
            ("iam role", input("acme-data", keyring(), &["roles/iam.serviceAccountTokenCreator"], 3600), "Allowed roles: role `roles/iam.serviceAccountTokenCreator` is never granted"),
            ("role shape", input("acme-data", keyring(), &["storage.objectViewer"], 3600), "Allowed roles: `storage.objectViewer` is not an IAM role name"),
            ("lifetime", input("acme-data", keyring(), &[viewer], 50_000), "Longest token lifetime: max token lifetime 50000 s"),
            (
                "impersonate",
                input("acme-data", dto::GcpAdminSource::Impersonate { service_account: "admin".into() }, &[viewer], 3600),
                "Admin credentials: `admin` is not a service account email",
            ),
            (
                "keyring entry",
                input("acme-data", dto::GcpAdminSource::Keyring { service: " ".into(), user: "gcp-admin".into() }, &[viewer], 3600),
                "Admin credentials: name the keyring service and user",
            ),
        ];
        for (name, cfg, want) in cases {
            let err = config_in(cfg, None).expect_err(name);
            assert_eq!(err.code, paddock_ipc::ErrorCode::InvalidInput, "{name}");
            assert!(err.message.starts_with(want), "{name}: {}", err.message);
        }

        let mut base = creds::GcpConfig::new("old-project", creds::GcpAdminSource::Adc);
        base.endpoint_url = Some("http://127.0.0.1:9".into());
        let cfg = config_in(input(" acme-data ", keyring(), &[viewer, " roles/bigquery.dataViewer", viewer, ""], 1800), Some(base))
            .expect("valid");
        assert_eq!(cfg.project, "acme-data");
        assert_eq!(cfg.allowed_roles, [viewer, "roles/bigquery.dataViewer"]);
        assert_eq!(cfg.max_token_lifetime_secs, 1800);
        assert_eq!(cfg.endpoint_url.as_deref(), Some("http://127.0.0.1:9"), "the test endpoint is kept");
        assert_eq!(config(&cfg).admin, keyring());
    }
}
