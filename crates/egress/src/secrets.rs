//! Where injected credentials come from. A [`Secret`] never prints itself:
//! its `Debug` is redacted and it has no `Display`, so it cannot end up in
//! a log line or an error message by accident; it is zeroed when dropped.

use std::collections::HashMap;
use std::sync::RwLock;

/// The keyring "service" under which Paddock stores injected credentials.
pub const KEYRING_SERVICE: &str = "paddock-egress";

/// A credential value (secrecy's `SecretString`: redacted `Debug`, no `Display`, zeroed
/// on drop). Only `expose_secret` reveals it.
pub use secrecy::{ExposeSecret, SecretString as Secret};

/// Errors never contain the secret, only the entry name.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("no secret named {0:?} in the secret store")]
    NotFound(String),
    #[error("the secret store failed reading {name:?}: {message}")]
    Store { name: String, message: String },
}

/// A source of secrets by name.
pub trait SecretStore: Send + Sync {
    fn get(&self, name: &str) -> Result<Secret, SecretError>;
}

/// In-memory store, for tests and for callers that already hold the secret.
#[derive(Default)]
pub struct MemorySecretStore {
    secrets: RwLock<HashMap<String, Secret>>,
}

impl MemorySecretStore {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn insert(&self, name: &str, secret: Secret) {
        if let Ok(mut map) = self.secrets.write() {
            map.insert(name.to_string(), secret);
        }
    }
}

impl SecretStore for MemorySecretStore {
    fn get(&self, name: &str) -> Result<Secret, SecretError> {
        let map = self
            .secrets
            .read()
            .map_err(|_| SecretError::Store { name: name.into(), message: "lock poisoned".into() })?;
        map.get(name).cloned().ok_or_else(|| SecretError::NotFound(name.into()))
    }
}

/// The OS keyring (Secret Service/keyutils on Linux, Keychain on macOS,
/// Credential Manager on Windows), entries under [`KEYRING_SERVICE`].
///
/// On Linux the keyutils store keeps entries in the session keyring: the
/// process (or its parent, e.g. `keyctl session -`) must have joined one.
pub struct KeyringSecretStore {
    service: String,
}

impl Default for KeyringSecretStore {
    fn default() -> Self {
        KeyringSecretStore { service: KEYRING_SERVICE.into() }
    }
}

impl KeyringSecretStore {
    pub fn new(service: &str) -> Self {
        KeyringSecretStore { service: service.into() }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, name).map_err(|e| store_error(name, &e))
    }

    /// Stores a secret (used by the Settings page and `paddock egress`).
    pub fn set(&self, name: &str, secret: &Secret) -> Result<(), SecretError> {
        self.entry(name)?.set_password(secret.expose_secret()).map_err(|e| store_error(name, &e))
    }

    pub fn delete(&self, name: &str) -> Result<(), SecretError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(store_error(name, &e)),
        }
    }
}

/// keyring errors describe the store, never the password; we still build
/// the message ourselves from the variant to be sure.
fn store_error(name: &str, e: &keyring::Error) -> SecretError {
    let message = match e {
        keyring::Error::NoEntry => return SecretError::NotFound(name.into()),
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
    SecretError::Store { name: name.into(), message }
}

impl SecretStore for KeyringSecretStore {
    fn get(&self, name: &str) -> Result<Secret, SecretError> {
        self.entry(name)?.get_password().map(Secret::from).map_err(|e| store_error(name, &e))
    }
}
