//! Where the signing secrets come from. A [`Secret`] never prints itself
//! (redacted `Debug`, no `Display`), and errors carry only the entry name,
//! so a secret cannot reach a log line, an error or a delivery record.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::Source;

/// The keyring "service" under which the webhook signing secrets live.
pub const KEYRING_SERVICE: &str = "paddock-webhooks";

/// A signing secret (secrecy's `SecretString`: redacted `Debug`, no `Display`, zeroed on
/// drop). Only `expose_secret` reveals it.
pub use secrecy::{ExposeSecret, SecretString as Secret};

/// Errors name the entry, never its value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "no {0} webhook secret is configured (store one with `paddock webhooks set-secret {0}`)"
    )]
    NotFound(Source),
    #[error("the secret store failed reading the {source_name} webhook secret: {message}")]
    Store {
        source_name: Source,
        message: String,
    },
}

/// A source of the per-integration signing secrets.
pub trait SecretStore: Send + Sync {
    fn get(&self, source: Source) -> Result<Secret, SecretError>;
}

/// The keyring entry name for a source's secret.
pub fn entry_name(source: Source) -> &'static str {
    match source {
        Source::Slack => "slack-signing-secret",
        Source::Github => "github-webhook-secret",
    }
}

/// In-memory store, for tests and embedders that already hold the secrets.
#[derive(Default)]
pub struct MemorySecretStore {
    secrets: RwLock<HashMap<Source, Secret>>,
}

impl MemorySecretStore {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn insert(&self, source: Source, secret: Secret) {
        if let Ok(mut map) = self.secrets.write() {
            map.insert(source, secret);
        }
    }
}

impl SecretStore for MemorySecretStore {
    fn get(&self, source: Source) -> Result<Secret, SecretError> {
        let map = self.secrets.read().map_err(|_| SecretError::Store {
            source_name: source,
            message: "lock poisoned".into(),
        })?;
        map.get(&source)
            .cloned()
            .ok_or(SecretError::NotFound(source))
    }
}

/// The OS keyring (Secret Service/keyutils on Linux, Keychain on macOS,
/// Credential Manager on Windows), entries under [`KEYRING_SERVICE`].
/// Read on every delivery, so `set-secret` takes effect without a restart.
///
/// On Linux the keyutils store keeps entries in the session keyring: the
/// process (or its parent, e.g. `keyctl session -`) must have joined one.
pub struct KeyringSecretStore {
    service: String,
}

impl Default for KeyringSecretStore {
    fn default() -> Self {
        KeyringSecretStore {
            service: KEYRING_SERVICE.into(),
        }
    }
}

impl KeyringSecretStore {
    pub fn new(service: &str) -> Self {
        KeyringSecretStore {
            service: service.into(),
        }
    }

    fn entry(&self, source: Source) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, entry_name(source)).map_err(|e| store_error(source, &e))
    }

    /// Stores a secret (used by `paddock webhooks set-secret` and Settings).
    pub fn set(&self, source: Source, secret: &Secret) -> Result<(), SecretError> {
        self.entry(source)?
            .set_password(secret.expose_secret())
            .map_err(|e| store_error(source, &e))
    }

    pub fn delete(&self, source: Source) -> Result<(), SecretError> {
        match self.entry(source)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(store_error(source, &e)),
        }
    }
}

/// keyring errors describe the store, never the password; the message is
/// still built here from the variant so that stays true.
fn store_error(source: Source, e: &keyring::Error) -> SecretError {
    let message = match e {
        keyring::Error::NoEntry => return SecretError::NotFound(source),
        keyring::Error::PlatformFailure(_) => {
            "platform keyring failure (on Linux: is there a session keyring? try `keyctl session -`)".to_string()
        }
        keyring::Error::NoStorageAccess(_) => "the keyring is locked or not accessible".to_string(),
        keyring::Error::BadEncoding(_) => "the stored value is not UTF-8".to_string(),
        keyring::Error::TooLong(attr, _) => format!("{attr} is too long for this keyring"),
        keyring::Error::Invalid(attr, why) => format!("{attr} is invalid: {why}"),
        keyring::Error::Ambiguous(_) => "more than one matching entry".to_string(),
        _ => "unknown keyring error".to_string(),
    };
    SecretError::Store {
        source_name: source,
        message,
    }
}

impl SecretStore for KeyringSecretStore {
    fn get(&self, source: Source) -> Result<Secret, SecretError> {
        self.entry(source)?
            .get_password()
            .map(Secret::from)
            .map_err(|e| store_error(source, &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print_and_errors_name_only_the_source() {
        let secret = Secret::from("hunter2-signing-secret");
        let shown = format!("{secret:?}");
        assert!(shown.contains("REDACTED") && !shown.contains("hunter2"), "{shown}");
        let store = MemorySecretStore::new();
        store.insert(Source::Github, secret);
        assert_eq!(
            store.get(Source::Github).unwrap().expose_secret(),
            "hunter2-signing-secret"
        );
        let err = store.get(Source::Slack).unwrap_err().to_string();
        assert_eq!(
            err,
            "no slack webhook secret is configured (store one with `paddock webhooks set-secret slack`)"
        );
    }
}
