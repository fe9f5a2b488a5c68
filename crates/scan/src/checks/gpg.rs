//! GPG secret keys in `private-keys-v1.d`: protected by a passphrase or not.

use super::{Ctx, What, instead};
use crate::fsutil;
use crate::{Category, Severity};

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let dir = ctx.opts.dir_from_env("GNUPGHOME", ".gnupg").join("private-keys-v1.d");
    for path in fsutil::list_dir(&dir, 500) {
        if path.extension().is_none_or(|e| e != "key") {
            continue;
        }
        let Ok(bytes) = fsutil::read_limited(&path, 256 * 1024) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        // Both the extended ("Key: (protected-private-key …") and the old
        // canonical ("(21:protected-private-key…") formats name the type.
        let (kind, severity, explanation) = if text.contains("shadowed-private-key") {
            continue; // A stub pointing at a smartcard: nothing to steal here.
        } else if text.contains("protected-private-key") {
            (
                "GPG secret key (passphrase-protected)",
                Severity::Low,
                "A passphrase-protected GPG key: useless without the passphrase, unless gpg-agent has it cached.",
            )
        } else if text.contains("private-key") {
            (
                "GPG secret key (no passphrase)",
                Severity::High,
                "A GPG key without a passphrase: an agent can sign commits, releases and mail as you, and decrypt \
                 what was sent to you.",
            )
        } else {
            continue;
        };
        let what = What { category: Category::Gpg, kind: kind.to_owned(), severity, explanation, mitigation: instead::FRESH_HOME };
        // The file name is the keygrip, a hash of the public key: safe to show in part.
        let grip = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let fp = (grip.len() >= 8 && grip.is_ascii()).then(|| format!("grip {}…{}", &grip[..4], &grip[grip.len() - 4..]));
        ctx.file("gpg.key", &path, None, what, fp);
    }
}
