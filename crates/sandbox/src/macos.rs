//! macOS: `sandbox-exec` with a generated deny-by-default SBPL profile.
//!
//! Profile generation is a pure function of the manifest (tested on Linux
//! against expected text); [`crate::sandbox_exec`] runs commands under it.
//! macOS has no network namespaces, so ProxyOnly would allow exactly one
//! outbound TCP destination, a bridge on `localhost:<port>` run by Paddock
//! outside the sandbox, and deny the proxy unix socket itself; that bridge does
//! not exist yet, so the backend refuses ProxyOnly manifests. Verified on
//! Linux: text generation and the command built; not verified: execution on
//! macOS.

use std::fmt::Write;
use std::path::Path;

use crate::backend::{BackendKind, BackendStatus};
use crate::manifest::{Manifest, Network};

/// macOS system locations every process needs to start (dyld shared cache,
/// frameworks, the real /etc), read-only, in addition to the manifest's.
const MACOS_SYSTEM_READ: &[&str] = &[
    "/System",
    "/Library/Apple",
    "/private/etc",
    "/private/var/db/dyld",
    "/private/var/select",
    "/opt/homebrew",
];

/// Quotes a string for SBPL (a Scheme-like string literal).
fn quote(path: &Path) -> String {
    let mut out = String::from("\"");
    for c in path.to_string_lossy().chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Generates the SBPL profile for `manifest`. `home` is the private HOME
/// directory Paddock creates for the run on macOS (no mount namespaces there).
pub fn sbpl_profile(manifest: &Manifest, home: &Path) -> String {
    let mut p = String::new();
    p.push_str("(version 1)\n(deny default)\n");
    p.push_str(
        "(allow process-fork)\n(allow process-exec)\n(allow signal (target same-sandbox))\n",
    );
    p.push_str("(allow sysctl-read)\n(allow file-read-metadata)\n");
    p.push_str("(allow mach-lookup (global-name \"com.apple.system.logger\"))\n");
    p.push_str("(allow file-read* file-write* (literal \"/dev/null\") (literal \"/dev/zero\") (literal \"/dev/tty\"))\n");
    p.push_str("(allow file-read* (literal \"/dev/random\") (literal \"/dev/urandom\"))\n");

    p.push_str("(allow file-read*\n");
    for path in MACOS_SYSTEM_READ {
        let _ = writeln!(p, "  (subpath {})", quote(Path::new(path)));
    }
    for path in &manifest.read_only {
        let _ = writeln!(p, "  (subpath {})", quote(&manifest.expand(path)));
    }
    // Seeds are linked into the private HOME; reading one follows the link.
    for seed in &manifest.home_seed {
        let _ = writeln!(p, "  (subpath {})", quote(&manifest.expand(&seed.from)));
    }
    p.push_str(")\n");

    p.push_str("(allow file-read* file-write*\n");
    for path in &manifest.writable {
        let _ = writeln!(p, "  (subpath {})", quote(&manifest.expand(path)));
    }
    let _ = writeln!(p, "  (subpath {})", quote(home));
    // Opt-in tool caches: the host's own directories, linked into the private HOME.
    for (cache_dir, _) in manifest.tool_cache_dirs() {
        let _ = writeln!(p, "  (subpath {})", quote(&cache_dir));
    }
    p.push_str("  (subpath \"/private/tmp\")\n  (subpath \"/private/var/folders\")\n)\n");

    if !manifest.protected.is_empty() && !manifest.writable.is_empty() {
        p.push_str("(deny file-write*\n");
        for root in &manifest.writable {
            let root = manifest.expand(root);
            for rel in &manifest.protected {
                let _ = writeln!(p, "  (subpath {})", quote(&root.join(rel)));
            }
        }
        p.push_str(")\n");
    }

    p.push_str("(deny file-read* file-write*\n");
    for path in &manifest.never_visible {
        let _ = writeln!(p, "  (subpath {})", quote(&manifest.expand(path)));
    }
    p.push_str(")\n");

    match &manifest.network {
        Network::None => p.push_str("(deny network*)\n"),
        Network::ProxyOnly { socket, port } => {
            let _ = writeln!(
                p,
                "(allow network-outbound (remote tcp \"localhost:{port}\"))"
            );
            let _ = writeln!(
                p,
                "(deny network-outbound (remote unix-socket (path-literal {})))",
                quote(socket)
            );
        }
    }
    p
}

/// The status when the backend cannot even be located (not macOS).
pub fn status() -> BackendStatus {
    BackendStatus {
        kind: BackendKind::SandboxExec,
        available: false,
        detail: "macOS only".into(),
        fix: None,
    }
}
