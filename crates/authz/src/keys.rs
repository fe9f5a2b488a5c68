//! The engine's token signing key: one Ed25519 key pair per install.
//!
//! Stored as `<data dir>/authz.key`, the 64-byte PASETO v4 secret key (seed ‖ public key) in
//! hex, created 0600 and refused when readable by group or others. A file rather than the OS
//! keyring for the same reasons as the audit key: the Linux native keyring is the kernel
//! keyring, emptied at reboot, and the Secret Service needs a desktop D-Bus session that
//! headless overnight machines often lack. Losing the key only invalidates outstanding tokens
//! (they live minutes to hours); deleting the file is how an install rotates it. The file is
//! outside every sandbox's binds, so an agent cannot read it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use pasetors::keys::{AsymmetricKeyPair, AsymmetricPublicKey, AsymmetricSecretKey, Generate};
use pasetors::version4::V4;
use sha2::{Digest, Sha256};

use crate::error::SetupError;

/// File name of the signing key inside the data dir.
pub const KEY_FILE_NAME: &str = "authz.key";

pub struct SigningKeys {
    secret: AsymmetricSecretKey<V4>,
    public: AsymmetricPublicKey<V4>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// A fresh key pair that lives only in memory (tests, or an engine that accepts that a
    /// restart invalidates every token).
    pub fn generate() -> Result<Self, SetupError> {
        let pair = AsymmetricKeyPair::<V4>::generate().map_err(|_| SetupError::KeyGeneration)?;
        Ok(SigningKeys {
            secret: pair.secret,
            public: pair.public,
        })
    }

    /// `<data_dir>/authz.key`.
    pub fn default_path(data_dir: &Path) -> PathBuf {
        data_dir.join(KEY_FILE_NAME)
    }

    /// Loads the key at `path`, creating it (0600) when missing.
    pub fn load_or_create(path: &Path) -> Result<Self, SetupError> {
        if !path.exists() {
            create_key_file(path)?;
        }
        check_permissions(path)?;
        let text = fs::read_to_string(path).map_err(|e| SetupError::io("reading", path, e))?;
        let bad = |reason: &str| SetupError::Key {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let bytes = hex::decode(text.trim()).map_err(|_| bad("is not hex"))?;
        let secret = AsymmetricSecretKey::<V4>::from(&bytes)
            .map_err(|_| bad("is not a 64-byte Ed25519 secret key (seed and public key)"))?;
        let public = AsymmetricPublicKey::<V4>::try_from(&secret)
            .map_err(|_| bad("has an invalid public half"))?;
        Ok(SigningKeys { secret, public })
    }

    /// Short, public fingerprint of the verifying key (first 8 bytes of its SHA-256, hex).
    pub fn key_id(&self) -> String {
        hex::encode(&Sha256::digest(self.public.as_bytes())[..8])
    }

    pub(crate) fn secret(&self) -> &AsymmetricSecretKey<V4> {
        &self.secret
    }

    pub(crate) fn public(&self) -> &AsymmetricPublicKey<V4> {
        &self.public
    }
}

fn create_key_file(path: &Path) -> Result<(), SetupError> {
    use std::os::unix::fs::OpenOptionsExt;
    let pair = AsymmetricKeyPair::<V4>::generate().map_err(|_| SetupError::KeyGeneration)?;
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)
            .map_err(|e| SetupError::io("creating the directory of", path, e))?;
    }
    // Write a private temporary file, then hard-link it into place: the link fails if another
    // process created the key meanwhile, and nobody ever reads a half-written key.
    let tmp = path.with_extension(format!("key.tmp-{}", uuid::Uuid::new_v4().simple()));
    let write = || -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(hex::encode(pair.secret.as_bytes()).as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()
    };
    let result = write().and_then(|()| match fs::hard_link(&tmp, path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let _ = fs::remove_file(&tmp);
    result.map_err(|e| SetupError::io("creating", path, e))
}

fn check_permissions(path: &Path) -> Result<(), SetupError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(path).map_err(|e| SetupError::io("reading", path, e))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SetupError::Key {
            path: path.to_owned(),
            reason: format!(
                "is readable by other users (mode {mode:o}); run `chmod 600 {}`, and since \
                 anyone who read it can mint engine tokens, delete it to rotate the key",
                path.display()
            ),
        });
    }
    Ok(())
}
