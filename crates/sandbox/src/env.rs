//! The sandbox environment: an allowlist over the host's, minus variables that
//! inject code into whatever runs next (loader, interpreters, shells, git).

use std::collections::BTreeMap;
use std::ffi::OsString;

use crate::manifest::{Manifest, Network, SANDBOX_HOME};

/// Host variables passed through by default: locale and terminal only.
pub const DEFAULT_ENV_ALLOW: &[&str] = &[
    "PATH",
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TERM",
    "COLORTERM",
    "NO_COLOR",
    "TZ",
];

/// Exact names that load code into a process or redirect a tool's config.
const DANGEROUS_EXACT: &[&str] = &[
    "NODE_OPTIONS",
    "NODE_PATH",
    "PYTHONSTARTUP",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONUSERBASE",
    "PERL5OPT",
    "PERL5LIB",
    "PERLLIB",
    "PERL5DB",
    "RUBYOPT",
    "RUBYLIB",
    "BASH_ENV",
    "ENV",
    "ZDOTDIR",
    "PROMPT_COMMAND",
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "DOTNET_STARTUP_HOOKS",
    "GCONV_PATH",
    "GLIBC_TUNABLES",
    "HOSTALIASES",
    "RESOLV_HOST_CONF",
    "NLSPATH",
    "GIT_EXEC_PATH",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_ASKPASS",
    "GIT_EDITOR",
    "GIT_PAGER",
    "GIT_TEMPLATE_DIR",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "SSH_ASKPASS",
    "SSH_AUTH_SOCK",
    "DBUS_SESSION_BUS_ADDRESS",
    "DBUS_SYSTEM_BUS_ADDRESS",
    "DOCKER_HOST",
    "CONTAINER_HOST",
    "XDG_RUNTIME_DIR",
    "PAGER",
    "EDITOR",
    "VISUAL",
];

/// Prefixes of such variables (`LD_PRELOAD`, `LD_AUDIT`, `DYLD_INSERT_LIBRARIES`,
/// `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_0`...).
const DANGEROUS_PREFIX: &[&str] = &["LD_", "DYLD_", "GIT_CONFIG", "MALLOC_", "BASH_FUNC_"];

/// True when the variable can make the next process run attacker code.
pub fn is_dangerous_env(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    DANGEROUS_EXACT.contains(&upper.as_str())
        || DANGEROUS_PREFIX.iter().any(|p| upper.starts_with(p))
}

fn allowed(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => p == name,
    })
}

/// The complete environment of the sandboxed command, computed from the
/// manifest and the host environment `host` (passed in so tests can feed one).
pub fn sandbox_env(
    manifest: &Manifest,
    host: impl IntoIterator<Item = (OsString, OsString)>,
) -> BTreeMap<OsString, OsString> {
    sandbox_env_with_home(manifest, host, SANDBOX_HOME)
}

/// Same, for a backend whose private HOME is at `home` rather than at
/// [`SANDBOX_HOME`] (sandbox-exec has no mount namespace to put it there).
pub fn sandbox_env_with_home(
    manifest: &Manifest,
    host: impl IntoIterator<Item = (OsString, OsString)>,
    home: &str,
) -> BTreeMap<OsString, OsString> {
    let mut env = BTreeMap::new();
    for (name, value) in host {
        let Some(key) = name.to_str() else { continue };
        if allowed(&manifest.env.allow, key) && !is_dangerous_env(key) {
            env.insert(name, value);
        }
    }
    env.entry("PATH".into())
        .or_insert_with(|| "/usr/local/bin:/usr/bin:/bin".into());
    for (key, value) in [
        ("HOME", home),
        ("USER", "agent"),
        ("LOGNAME", "agent"),
        ("TMPDIR", "/tmp"),
        ("SHELL", "/bin/sh"),
        ("PADDOCK_SANDBOX", "1"),
    ] {
        env.insert(key.into(), value.into());
    }
    for cache in &manifest.tool_caches {
        for (rel, var) in cache.mounts() {
            if let Some(var) = var {
                env.insert((*var).into(), format!("{home}/{rel}").into());
            }
        }
    }
    if let Network::ProxyOnly { port, .. } = &manifest.network {
        let url = format!("http://127.0.0.1:{port}");
        for key in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            env.insert(key.into(), url.clone().into());
        }
        for key in ["NO_PROXY", "no_proxy"] {
            env.insert(key.into(), "localhost,127.0.0.1,::1".into());
        }
    }
    for (key, value) in &manifest.env.set {
        if !is_dangerous_env(key) {
            env.insert(key.into(), value.into());
        }
    }
    env
}
