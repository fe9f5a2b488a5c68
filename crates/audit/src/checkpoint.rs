//! Signed checkpoints: Ed25519 signatures over (sequence, head hash, time), stored in the
//! database *and* appended to a sidecar file (`<db>.checkpoints`, one JSON object a line).
//!
//! The chain alone shows that rows were edited, removed or reordered, but not that the
//! tail was cut off or that the whole file was rebuilt with a fresh, self-consistent chain.
//! The sidecar remembers heads the database once had; the signature shows that whoever
//! wrote a head held the signing key.
//!
//! Where the key lives: a 32-byte Ed25519 seed in `<db>.key`, created 0600 and refused if
//! readable by group or others. Not the OS keyring: on Linux the `keyring` crate's native
//! store is the kernel keyring, which is emptied at reboot (every old checkpoint would
//! become unverifiable), and the Secret Service needs a desktop D-Bus session that the
//! headless, overnight machines Paddock runs on often lack. The file is outside every
//! sandbox's binds, so an agent cannot read it; a user who can write the database as the
//! same account can also read the key, which is why `verify --expect-key` lets the public
//! key be pinned from somewhere else.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::AuditError;

/// One checkpoint, as stored in the `checkpoints` table and in the sidecar file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: u64,
    /// Hex head hash at `seq`.
    pub hash: String,
    pub ts: String,
    /// Hex Ed25519 public key that signed it.
    pub public_key: String,
    /// Hex signature over [`message`].
    pub signature: String,
}

fn message(seq: u64, hash_hex: &str, ts: &str) -> Vec<u8> {
    let mut m = b"paddock-audit-checkpoint-v1\0".to_vec();
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash_hex.as_bytes());
    m.push(0);
    m.extend_from_slice(ts.as_bytes());
    m
}

pub struct KeyPair {
    signing: SigningKey,
}

impl KeyPair {
    pub fn public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().as_bytes())
    }

    pub fn sign(&self, seq: u64, hash_hex: &str, ts: &str) -> Checkpoint {
        let sig = self.signing.sign(&message(seq, hash_hex, ts));
        Checkpoint {
            seq,
            hash: hash_hex.to_owned(),
            ts: ts.to_owned(),
            public_key: self.public_hex(),
            signature: hex::encode(sig.to_bytes()),
        }
    }

    /// Loads the key at `path`, creating it (0600) when missing.
    pub fn load_or_create(path: &Path) -> Result<KeyPair, AuditError> {
        let key_err = |reason: String| AuditError::Key {
            path: path.to_owned(),
            reason,
        };
        if !path.exists() {
            create_key_file(path)?;
        }
        check_permissions(path)?;
        let text = fs::read_to_string(path)
            .map_err(|e| AuditError::io("reading audit signing key", path, e))?;
        let bytes =
            hex::decode(text.trim()).map_err(|_| key_err("is not a hex Ed25519 seed".into()))?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| key_err("must hold exactly 32 bytes (64 hex digits)".into()))?;
        Ok(KeyPair {
            signing: SigningKey::from_bytes(&seed),
        })
    }
}

fn create_key_file(path: &Path) -> Result<(), AuditError> {
    use std::os::unix::fs::OpenOptionsExt;
    let seed = SigningKey::generate(&mut rand::rngs::OsRng).to_bytes();
    // Write a private temporary file, then hard-link it into place: the link fails if
    // another process created the key meanwhile, and nobody ever reads a half-written key.
    let tmp = path.with_extension(format!("key.tmp-{}", uuid::Uuid::new_v4().simple()));
    let write = || -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(hex::encode(seed).as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()
    };
    let result = write().and_then(|()| match fs::hard_link(&tmp, path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let _ = fs::remove_file(&tmp);
    result.map_err(|e| AuditError::io("creating audit signing key", path, e))
}

fn check_permissions(path: &Path) -> Result<(), AuditError> {
    use std::os::unix::fs::PermissionsExt;
    let meta =
        fs::metadata(path).map_err(|e| AuditError::io("reading audit signing key", path, e))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(AuditError::Key {
            path: path.to_owned(),
            reason: format!(
                "is readable by other users (mode {mode:o}); run `chmod 600 {}` and check nobody copied it",
                path.display()
            ),
        });
    }
    Ok(())
}

/// Checks `cp`'s signature against `trusted` (hex public key).
pub fn check_signature(cp: &Checkpoint, trusted: &str) -> Result<(), String> {
    if !cp.public_key.eq_ignore_ascii_case(trusted) {
        return Err(format!(
            "checkpoint at #{} was signed by key {}, not the trusted key {}",
            cp.seq,
            short(&cp.public_key),
            short(trusted)
        ));
    }
    let key_bytes: [u8; 32] = hex::decode(trusted)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| "trusted public key is not 64 hex digits".to_owned())?;
    let key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| "trusted public key is not a valid Ed25519 key")?;
    let sig_bytes: [u8; 64] = hex::decode(&cp.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("checkpoint at #{} has a malformed signature", cp.seq))?;
    key.verify(
        &message(cp.seq, &cp.hash, &cp.ts),
        &Signature::from_bytes(&sig_bytes),
    )
    .map_err(|_| format!("checkpoint at #{} has an invalid signature", cp.seq))
}

pub fn short(key_hex: &str) -> &str {
    key_hex.get(..16).unwrap_or(key_hex)
}

/// When a line appended to the sidecar is fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SidecarSync {
    /// Before [`Sidecar::append`] returns.
    Now,
    /// By a background thread as soon as [`Sidecar::append`] has written the line (and
    /// at the latest when the sidecar is dropped). The line is in the kernel's page cache
    /// when `append` returns, so it survives the process being killed; the fsync, which
    /// takes milliseconds on this class of disk, only guards against power loss, and
    /// need not hold up the append that happened to sign a checkpoint.
    Background,
}

/// The sidecar file beside the database.
pub struct Sidecar {
    pub path: PathBuf,
    sync: SidecarSync,
    /// Started on the first background sync; stopped (after its last fsync) on drop.
    syncer: Mutex<Option<Syncer>>,
}

struct Syncer {
    shared: Arc<SyncShared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct SyncShared {
    state: Mutex<SyncState>,
    wake: Condvar,
}

#[derive(Default)]
struct SyncState {
    pending: bool,
    stop: bool,
    /// The last background fsync's failure, reported by the next append.
    failed: Option<std::io::Error>,
}

impl SyncShared {
    fn lock(&self) -> std::sync::MutexGuard<'_, SyncState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The syncer thread: fsync whenever asked, until told to stop with nothing pending.
    fn run(&self, path: &Path) {
        let mut st = self.lock();
        loop {
            if st.pending {
                st.pending = false;
                drop(st);
                let result = fs::File::open(path).and_then(|f| f.sync_data());
                st = self.lock();
                if let Err(e) = result {
                    st.failed = Some(e);
                }
            } else if st.stop {
                return;
            } else {
                st = self.wake.wait(st).unwrap_or_else(|p| p.into_inner());
            }
        }
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let syncer = self
            .syncer
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(mut syncer) = syncer {
            syncer.shared.lock().stop = true;
            syncer.shared.wake.notify_one();
            if let Some(t) = syncer.thread.take() {
                let _ = t.join();
            }
        }
    }
}

impl Sidecar {
    pub fn for_db(db: &Path, sync: SidecarSync) -> Sidecar {
        let mut p = db.as_os_str().to_owned();
        p.push(".checkpoints");
        Sidecar {
            path: PathBuf::from(p),
            sync,
            syncer: Mutex::new(None),
        }
    }

    /// Has the background thread fsync the file, starting the thread if need be.
    /// Returns false when no thread could be started (the caller then syncs itself).
    fn sync_in_background(&self) -> Result<bool, AuditError> {
        let mut syncer = self.syncer.lock().unwrap_or_else(|p| p.into_inner());
        if syncer.is_none() {
            let shared = Arc::new(SyncShared::default());
            let (theirs, path) = (Arc::clone(&shared), self.path.clone());
            let Ok(thread) = std::thread::Builder::new()
                .name("audit-sidecar-sync".into())
                .spawn(move || theirs.run(&path))
            else {
                return Ok(false);
            };
            *syncer = Some(Syncer {
                shared,
                thread: Some(thread),
            });
        }
        let Some(s) = syncer.as_ref() else {
            return Ok(false);
        };
        let mut st = s.shared.lock();
        if let Some(e) = st.failed.take() {
            return Err(AuditError::io(
                "syncing audit checkpoint file",
                &self.path,
                e,
            ));
        }
        st.pending = true;
        s.shared.wake.notify_one();
        Ok(true)
    }

    pub fn create_empty_if_missing(&self) -> Result<(), AuditError> {
        fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.path)
            .map(drop)
            .map_err(|e| AuditError::io("creating audit checkpoint file", &self.path, e))
    }

    /// Appends checkpoints, one line each in a single write, fsynced as the sidecar's
    /// [`SidecarSync`] says.
    pub fn append(&self, cps: &[Checkpoint]) -> Result<(), AuditError> {
        self.append_with(cps, self.sync)
    }

    /// Appends checkpoints and fsyncs them before returning, whatever the sidecar's mode.
    pub fn append_now(&self, cps: &[Checkpoint]) -> Result<(), AuditError> {
        self.append_with(cps, SidecarSync::Now)
    }

    fn append_with(&self, cps: &[Checkpoint], sync: SidecarSync) -> Result<(), AuditError> {
        if cps.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for cp in cps {
            serde_json::to_writer(&mut buf, cp).map_err(|e| AuditError::Corrupt(e.to_string()))?;
            buf.push(b'\n');
        }
        let io = |e| AuditError::io("appending to audit checkpoint file", &self.path, e);
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        f.write_all(&buf).map_err(io)?;
        if sync == SidecarSync::Background && self.sync_in_background()? {
            return Ok(());
        }
        f.sync_data().map_err(io)
    }

    /// Reads every line; `Err` lines are reported by verify rather than aborting it.
    /// `None` when the file does not exist.
    /// The sequence number on the file's last line, reading only its tail; `None`
    /// when the file is missing, empty, or its last line does not parse.
    pub fn last_seq(&self) -> Result<Option<u64>, AuditError> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = match fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(AuditError::io(
                    "reading audit checkpoint file",
                    &self.path,
                    e,
                ));
            }
        };
        let len = f
            .metadata()
            .map_err(|e| AuditError::io("reading audit checkpoint file", &self.path, e))?
            .len();
        // A checkpoint line is a few hundred bytes; 4 KiB always holds the last one.
        let start = len.saturating_sub(4096);
        let mut tail = String::new();
        f.seek(SeekFrom::Start(start))
            .and_then(|_| f.read_to_string(&mut tail))
            .map_err(|e| AuditError::io("reading audit checkpoint file", &self.path, e))?;
        let last = tail.lines().rev().find(|l| !l.trim().is_empty());
        Ok(last
            .and_then(|l| serde_json::from_str::<Checkpoint>(l).ok())
            .map(|c| c.seq))
    }

    pub fn read(&self) -> Result<Option<Vec<Result<Checkpoint, String>>>, AuditError> {
        let f = match fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(AuditError::io(
                    "reading audit checkpoint file",
                    &self.path,
                    e,
                ));
            }
        };
        let mut out = Vec::new();
        for (n, line) in BufReader::new(f).lines().enumerate() {
            let line =
                line.map_err(|e| AuditError::io("reading audit checkpoint file", &self.path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            out.push(
                serde_json::from_str(&line)
                    .map_err(|e| format!("line {} is not a checkpoint: {e}", n + 1)),
            );
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cps(key: &KeyPair, seqs: std::ops::Range<u64>) -> Vec<Checkpoint> {
        seqs.map(|s| key.sign(s, &"ab".repeat(32), "2026-11-23T02:00:00.000000Z"))
            .collect()
    }

    fn key(dir: &Path) -> KeyPair {
        KeyPair::load_or_create(&dir.join("k.key")).expect("key")
    }

    #[test]
    fn background_sync_keeps_every_line_and_stops_its_thread_on_drop() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = key(dir.path());
        let side = Sidecar::for_db(&dir.path().join("a.db"), SidecarSync::Background);
        side.create_empty_if_missing().expect("create");
        for k in 0..20 {
            side.append(&cps(&key, k * 3 + 1..k * 3 + 4))
                .expect("append");
        }
        // Readable at once: written before append returned, whatever the fsync's progress.
        let lines = side.read().expect("read").expect("exists");
        assert_eq!(lines.len(), 60);
        assert!(
            side.syncer
                .lock()
                .expect("lock")
                .as_ref()
                .is_some_and(|s| s.thread.is_some()),
            "no sync thread"
        );
        drop(side); // joins the thread: returns only after its last fsync
        let again = Sidecar::for_db(&dir.path().join("a.db"), SidecarSync::Now);
        assert_eq!(again.last_seq().expect("tail"), Some(60));
    }

    #[test]
    fn a_failed_background_sync_is_reported_by_the_next_append() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = key(dir.path());
        let side = Sidecar::for_db(&dir.path().join("a.db"), SidecarSync::Background);
        side.create_empty_if_missing().expect("create");
        // The file vanishes before the thread can open it to fsync.
        side.append(&cps(&key, 1..2)).expect("first append");
        std::fs::remove_file(&side.path).expect("remove");
        let shared = Arc::clone(
            &side
                .syncer
                .lock()
                .expect("lock")
                .as_ref()
                .expect("thread started")
                .shared,
        );
        // Ask for another fsync of the missing file and wait (bounded) for its failure.
        shared.lock().pending = true;
        shared.wake.notify_one();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            {
                let st = shared.lock();
                if st.failed.is_some() {
                    break;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the sync thread never ran"
            );
            std::thread::yield_now();
        }
        side.create_empty_if_missing().expect("recreate");
        let err = side
            .append(&cps(&key, 2..3))
            .expect_err("the failed fsync must surface");
        assert!(
            err.to_string().contains("syncing audit checkpoint file"),
            "{err}"
        );
    }
}
