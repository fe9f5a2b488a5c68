//! SSH private keys (encrypted or not) and a live ssh-agent.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use sha2::{Digest, Sha256};

use super::{Ctx, What, instead};
use crate::fsutil;
use crate::{Category, Severity};

pub(super) fn run(ctx: &mut Ctx<'_>) {
    keys(ctx);
    agent(ctx);
}

/// What a private key file is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct KeyInfo {
    pub format: &'static str,
    pub algorithm: Option<String>,
    pub encrypted: bool,
    /// `SHA256:…` of the public key, as `ssh-keygen -l` and `ssh-add -l` show it.
    pub public_fingerprint: Option<String>,
}

fn keys(ctx: &mut Ctx<'_>) {
    let dir = ctx.opts.home.join(".ssh");
    for path in fsutil::list_dir(&dir, 500) {
        // Private keys are a few KiB; anything bigger is not one.
        let Ok(bytes) = fsutil::read_limited(&path, 64 * 1024) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        let Some(mut info) = classify_key(&text) else { continue };
        if info.public_fingerprint.is_none() {
            info.public_fingerprint = pub_file_fingerprint(&path);
        }
        let state = if info.encrypted { "encrypted" } else { "unencrypted" };
        let algo = info.algorithm.as_deref().map(|a| format!(", {a}")).unwrap_or_default();
        let what = What {
            category: Category::Ssh,
            kind: format!("SSH private key ({state}, {}{algo})", info.format),
            severity: if info.encrypted { Severity::Low } else { Severity::High },
            explanation: if info.encrypted {
                "A passphrase-protected SSH key: useless to an agent without the passphrase, unless it is loaded \
                 in a running ssh-agent (see that finding)."
            } else {
                "An SSH key with no passphrase: an agent can copy it and log in to every server and git host that \
                 trusts it, from anywhere, until you remove it there."
            },
            mitigation: instead::SSH,
        };
        // A public key fingerprint is public; with none, a keyed hash of the file.
        let fp = info.public_fingerprint.clone().unwrap_or_else(|| ctx.key.hashed(&bytes));
        ctx.file("ssh.key", &path, None, what, Some(fp));
    }
}

/// Recognises a private key and whether it is encrypted, from its text.
pub(crate) fn classify_key(text: &str) -> Option<KeyInfo> {
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
        let body = pem_body(text, "OPENSSH PRIVATE KEY")?;
        let bytes = STANDARD.decode(body).ok()?;
        return openssh_info(&bytes);
    }
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return Some(KeyInfo { format: "PKCS#8", algorithm: None, encrypted: true, public_fingerprint: None });
    }
    if text.contains("-----BEGIN PRIVATE KEY-----") {
        return Some(KeyInfo { format: "PKCS#8", algorithm: None, encrypted: false, public_fingerprint: None });
    }
    for algo in ["RSA", "EC", "DSA"] {
        if text.contains(&format!("-----BEGIN {algo} PRIVATE KEY-----")) {
            // Traditional PEM: encryption is announced in a header.
            let encrypted = text.contains("Proc-Type: 4,ENCRYPTED");
            return Some(KeyInfo {
                format: "PEM",
                algorithm: Some(algo.to_ascii_lowercase()),
                encrypted,
                public_fingerprint: None,
            });
        }
    }
    if let Some(rest) = text.strip_prefix("PuTTY-User-Key-File-") {
        let algorithm = rest.lines().next().and_then(|l| l.split_once(':')).map(|(_, a)| a.trim().to_owned());
        let encrypted = !text.lines().any(|l| l.trim() == "Encryption: none");
        return Some(KeyInfo { format: "PuTTY", algorithm, encrypted, public_fingerprint: None });
    }
    None
}

fn pem_body(text: &str, label: &str) -> Option<String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = text[start..].find(&end)? + start;
    Some(text[start..stop].chars().filter(|c| !c.is_whitespace()).collect())
}

/// The unencrypted header of the OpenSSH key format (PROTOCOL.key):
/// magic, cipher name, KDF name (`bcrypt` when encrypted), KDF options,
/// number of keys, then the first public key.
fn openssh_info(bytes: &[u8]) -> Option<KeyInfo> {
    let mut rest = bytes.strip_prefix(b"openssh-key-v1\0")?;
    let cipher = take_string(&mut rest)?;
    let kdf = take_string(&mut rest)?;
    let _kdf_options = take_string(&mut rest)?;
    let _count = take_u32(&mut rest)?;
    let public = take_string(&mut rest)?;
    let mut p = public;
    let algorithm = take_string(&mut p).map(|a| String::from_utf8_lossy(a).into_owned());
    let encrypted = cipher != b"none" || kdf != b"none";
    Some(KeyInfo { format: "OpenSSH", algorithm, encrypted, public_fingerprint: Some(sha256_fingerprint(public)) })
}

fn take_u32(rest: &mut &[u8]) -> Option<u32> {
    let (head, tail) = rest.split_at_checked(4)?;
    *rest = tail;
    Some(u32::from_be_bytes([head[0], head[1], head[2], head[3]]))
}

fn take_string<'b>(rest: &mut &'b [u8]) -> Option<&'b [u8]> {
    let len = usize::try_from(take_u32(rest)?).ok()?;
    let (head, tail) = rest.split_at_checked(len)?;
    *rest = tail;
    Some(head)
}

pub(crate) fn sha256_fingerprint(public_blob: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(public_blob)))
}

/// Fingerprint from `<key>.pub` (`type base64 comment`), if there is one.
fn pub_file_fingerprint(key: &Path) -> Option<String> {
    let mut name = key.file_name()?.to_os_string();
    name.push(".pub");
    let bytes = fsutil::read_limited(&key.with_file_name(name), 16 * 1024).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let blob = STANDARD.decode(text.split_whitespace().nth(1)?).ok()?;
    Some(sha256_fingerprint(&blob))
}

const SSH_AGENTC_REQUEST_IDENTITIES: u8 = 11;
const SSH_AGENT_IDENTITIES_ANSWER: u8 = 12;

/// Asks the agent at `socket` how many keys it holds (the ssh-agent
/// protocol's identity listing; no key material is requested).
pub(crate) fn agent_key_count(socket: &Path, timeout: Duration) -> std::io::Result<u32> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(&[0, 0, 0, 1, SSH_AGENTC_REQUEST_IDENTITIES])?;
    let mut len = [0u8; 4];
    stream.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len).min(1024 * 1024) as usize;
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body)?;
    let mut rest = body.as_slice();
    match rest.split_first() {
        Some((&SSH_AGENT_IDENTITIES_ANSWER, tail)) => {
            rest = tail;
            take_u32(&mut rest).ok_or_else(|| std::io::Error::other("short agent answer"))
        }
        _ => Err(std::io::Error::other("unexpected agent answer")),
    }
}

fn agent(ctx: &mut Ctx<'_>) {
    let Some(sock) = ctx.opts.env_var("SSH_AUTH_SOCK").map(std::path::PathBuf::from) else { return };
    match agent_key_count(&sock, ctx.opts.command_timeout) {
        Ok(n) => {
            let what = What {
                category: Category::Ssh,
                kind: format!("live ssh-agent holding {n} key{}", if n == 1 { "" } else { "s" }),
                severity: if n > 0 { Severity::High } else { Severity::Low },
                explanation: "A running ssh-agent signs for any program that can reach its socket: an agent can log \
                    in to your servers and push to your git hosts with the loaded keys, even passphrase-protected \
                    ones.",
                mitigation: instead::SSH,
            };
            ctx.other("ssh.agent".to_owned(), format!("env SSH_AUTH_SOCK ({})", ctx.opts.display(&sock)), what, None);
        }
        Err(e) => ctx.note(format!("SSH_AUTH_SOCK is set but the agent did not answer: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_encryption_header_is_read() {
        let enc = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert!(classify_key(enc).unwrap().encrypted);
        let plain = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert!(!classify_key(plain).unwrap().encrypted);
        assert!(classify_key("ssh-ed25519 AAAA comment").is_none());
    }

    #[test]
    fn truncated_openssh_keys_are_not_misread() {
        let text = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
            STANDARD.encode(b"openssh-key-v1\0\0\0\0\x04no")
        );
        assert!(classify_key(&text).is_none());
    }
}
