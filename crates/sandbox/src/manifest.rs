//! What a sandboxed command may read, write, never see, and which network and
//! environment it gets. Plain data (serde, TOML profiles) plus a builder; the
//! backends turn it into mounts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::env::{DEFAULT_ENV_ALLOW, is_dangerous_env};
use crate::error::SandboxError;

/// Where the private HOME lives inside the sandbox.
pub const SANDBOX_HOME: &str = "/home/agent";
/// Where the egress proxy socket is mounted inside the sandbox (ProxyOnly).
pub const SANDBOX_PROXY_SOCKET: &str = "/run/paddock/egress.sock";
/// Where the sandbox init binary is mounted inside the sandbox (ProxyOnly).
pub const SANDBOX_INIT: &str = "/run/paddock/init";

/// Network access for the sandboxed command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum Network {
    /// Own network namespace with only loopback: no route anywhere.
    #[default]
    None,
    /// Own network namespace; the only way out is the egress proxy's unix socket,
    /// bridged to `127.0.0.1:<port>` inside the namespace, with the proxy
    /// variables (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`) pointing at it.
    ProxyOnly {
        /// The egress proxy's listening unix socket on the host.
        socket: PathBuf,
        /// Loopback port the bridge listens on inside the sandbox.
        #[serde(default = "default_proxy_port")]
        port: u16,
    },
}

fn default_proxy_port() -> u16 {
    3128
}

/// Named, opt-in writable tool caches: the host cache directory is mounted
/// writable at the same place under the private HOME, and the tool's cache
/// variable points at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolCache {
    Cargo,
    Npm,
    Pip,
    Uv,
    Go,
}

impl ToolCache {
    pub const ALL: [ToolCache; 5] = [ToolCache::Cargo, ToolCache::Npm, ToolCache::Pip, ToolCache::Uv, ToolCache::Go];

    /// The name users type (`--cache cargo`, the launch dialog).
    pub fn name(self) -> &'static str {
        match self {
            ToolCache::Cargo => "cargo",
            ToolCache::Npm => "npm",
            ToolCache::Pip => "pip",
            ToolCache::Uv => "uv",
            ToolCache::Go => "go",
        }
    }

    /// Parses a cache name, or says which names exist.
    pub fn from_name(name: &str) -> Result<ToolCache, String> {
        ToolCache::ALL.into_iter().find(|c| c.name() == name).ok_or_else(|| {
            let known: Vec<&str> = ToolCache::ALL.iter().map(|c| c.name()).collect();
            format!("unknown tool cache `{name}` (known: {})", known.join(", "))
        })
    }

    /// `(path relative to HOME, env var pointing at it inside)` pairs.
    pub fn mounts(self) -> &'static [(&'static str, Option<&'static str>)] {
        match self {
            // CARGO_HOME stays the private one; only the download caches are shared.
            ToolCache::Cargo => &[(".cargo/registry", None), (".cargo/git", None)],
            ToolCache::Npm => &[(".npm", Some("npm_config_cache"))],
            ToolCache::Pip => &[(".cache/pip", Some("PIP_CACHE_DIR"))],
            ToolCache::Uv => &[(".cache/uv", Some("UV_CACHE_DIR"))],
            ToolCache::Go => &[
                ("go/pkg/mod", Some("GOMODCACHE")),
                (".cache/go-build", Some("GOCACHE")),
            ],
        }
    }
}

/// A file or directory copied (read-only bind) into the private HOME.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeSeed {
    /// Host path (may start with `~/`).
    pub from: PathBuf,
    /// Path relative to the private HOME.
    pub to: PathBuf,
}

/// The environment the command gets: nothing is inherited unless allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnvPolicy {
    /// Host variables passed through (a trailing `*` matches a prefix, `LC_*`).
    pub allow: Vec<String>,
    /// Variables set explicitly.
    pub set: BTreeMap<String, String>,
}

impl Default for EnvPolicy {
    fn default() -> Self {
        Self {
            allow: DEFAULT_ENV_ALLOW.iter().map(|s| (*s).to_owned()).collect(),
            set: BTreeMap::new(),
        }
    }
}

/// Everything a backend needs to know to build the sandbox. Paths may start
/// with `~/`, expanded against [`Manifest::host_home`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Manifest {
    /// Visible read-only (toolchains, system directories).
    pub read_only: Vec<PathBuf>,
    /// Visible and writable (the task worktree). Mounted at the same path.
    pub writable: Vec<PathBuf>,
    /// Working directory inside; defaults to the first writable path.
    pub workdir: Option<PathBuf>,
    /// Never visible, even when under a read-only or writable path.
    pub never_visible: Vec<PathBuf>,
    /// Paths relative to each writable root that stay read-only (git hooks and
    /// config, shell rc files, agent config dirs).
    pub protected: Vec<PathBuf>,
    /// Files seeded read-only into the private HOME.
    pub home_seed: Vec<HomeSeed>,
    /// Opt-in writable tool caches.
    pub tool_caches: Vec<ToolCache>,
    /// Unix sockets granted to the command (mounted at the same path; creating
    /// AF_UNIX sockets is then allowed by the seccomp filter).
    pub unix_sockets: Vec<PathBuf>,
    pub env: EnvPolicy,
    pub network: Network,
    /// Size limit of the private `/tmp` (tmpfs), MiB.
    pub tmp_size_mib: u64,
    /// Size limit of the private HOME (tmpfs), MiB.
    pub home_size_mib: u64,
    /// uid/gid inside the sandbox; never 0.
    pub uid: u32,
    pub gid: u32,
    /// The real HOME used to expand `~/` (not serialized: the machine's).
    #[serde(skip)]
    pub host_home: Option<PathBuf>,
}

/// System directories a toolchain needs, read-only.
pub const DEFAULT_READ_ONLY: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt",
];

/// Secrets and control sockets that must never be reachable.
pub const DEFAULT_NEVER_VISIBLE: &[&str] = &[
    "~/.ssh",
    "~/.aws",
    "~/.azure",
    "~/.config/gcloud",
    "~/.kube",
    "~/.docker",
    "~/.netrc",
    "~/.git-credentials",
    "~/.config/gh",
    "~/.npmrc",
    "~/.pypirc",
    "~/.cargo/credentials",
    "~/.cargo/credentials.toml",
    "~/.gnupg",
    "~/.password-store",
    "~/.local/share/keyrings",
    "~/.mozilla",
    "~/.config/google-chrome",
    "~/.config/chromium",
    "~/.config/BraveSoftware",
    "~/.config/microsoft-edge",
    "~/snap/firefox",
    "~/Library/Keychains",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/ssh",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/podman",
    "/run/user",
    "/run/dbus",
    "/var/run/dbus",
];

/// Write-protected inside every writable root.
pub const DEFAULT_PROTECTED: &[&str] = &[
    ".git/hooks",
    ".git/config",
    ".git/info",
    ".gitmodules",
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zshenv",
    ".zprofile",
    ".zlogin",
    ".envrc",
    ".claude",
    ".codex",
    ".gemini",
    ".cursor",
    ".vscode",
    ".idea",
    ".mcp.json",
];

impl Default for Manifest {
    fn default() -> Self {
        Self {
            read_only: DEFAULT_READ_ONLY.iter().map(PathBuf::from).collect(),
            writable: Vec::new(),
            workdir: None,
            never_visible: DEFAULT_NEVER_VISIBLE.iter().map(PathBuf::from).collect(),
            protected: DEFAULT_PROTECTED.iter().map(PathBuf::from).collect(),
            home_seed: Vec::new(),
            tool_caches: Vec::new(),
            unix_sockets: Vec::new(),
            env: EnvPolicy::default(),
            network: Network::None,
            tmp_size_mib: 1024,
            home_size_mib: 256,
            uid: 1000,
            gid: 1000,
            host_home: dirs::home_dir(),
        }
    }
}

impl Manifest {
    /// Starts from the defaults: system dirs read-only, nothing writable, no network.
    pub fn builder() -> ManifestBuilder {
        ManifestBuilder {
            manifest: Manifest::default(),
        }
    }

    /// Parses a TOML profile; missing fields take the defaults.
    pub fn from_toml(text: &str) -> Result<Self, SandboxError> {
        let manifest: Manifest =
            toml::from_str(text).map_err(|e| SandboxError::Profile(e.to_string()))?;
        Ok(manifest)
    }

    pub fn to_toml(&self) -> Result<String, SandboxError> {
        toml::to_string(self).map_err(|e| SandboxError::Profile(e.to_string()))
    }

    /// Expands a leading `~/` against the host HOME.
    pub fn expand(&self, path: &Path) -> PathBuf {
        match (path.strip_prefix("~"), &self.host_home) {
            (Ok(rest), Some(home)) => home.join(rest),
            _ => path.to_path_buf(),
        }
    }

    /// Each granted tool cache directory, once: (the host's directory, its path
    /// relative to HOME), where every backend makes it visible in the private HOME.
    pub fn tool_cache_dirs(&self) -> Vec<(PathBuf, &'static str)> {
        let mut caches = self.tool_caches.clone();
        caches.sort();
        caches.dedup();
        caches
            .iter()
            .flat_map(|c| c.mounts().iter())
            .map(|(rel, _)| (self.expand(&Path::new("~").join(rel)), *rel))
            .collect()
    }

    /// Refuses manifests that would undo the isolation: root inside, relative
    /// paths, granting a never-visible path, setting a dangerous variable.
    pub fn validate(&self) -> Result<(), SandboxError> {
        if self.uid == 0 || self.gid == 0 {
            return Err(SandboxError::Manifest(
                "uid and gid inside the sandbox must not be 0 (root)".into(),
            ));
        }
        let never: Vec<PathBuf> = self.never_visible.iter().map(|p| self.expand(p)).collect();
        let granted = self
            .read_only
            .iter()
            .chain(&self.writable)
            .chain(self.home_seed.iter().map(|s| &s.from));
        for path in granted {
            let expanded = self.expand(path);
            if !expanded.is_absolute() {
                return Err(SandboxError::Manifest(format!(
                    "path {} must be absolute (or start with ~/)",
                    path.display()
                )));
            }
            if let Some(secret) = never.iter().find(|n| expanded.starts_with(n)) {
                return Err(SandboxError::Manifest(format!(
                    "{} is inside never-visible {}; remove it from the profile",
                    path.display(),
                    secret.display()
                )));
            }
        }
        for seed in &self.home_seed {
            if seed.to.is_absolute()
                || seed
                    .to
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                return Err(SandboxError::Manifest(format!(
                    "home_seed target {} must be relative to HOME without `..`",
                    seed.to.display()
                )));
            }
        }
        for name in self.env.set.keys() {
            if is_dangerous_env(name) {
                return Err(SandboxError::Manifest(format!(
                    "environment variable {name} can inject code into the sandboxed process and is never passed"
                )));
            }
        }
        if let Network::ProxyOnly { port, .. } = &self.network
            && *port == 0
        {
            return Err(SandboxError::Manifest(
                "proxy bridge port must not be 0".into(),
            ));
        }
        Ok(())
    }
}

/// Builder over [`Manifest`] for callers in code (the engine, tests).
#[derive(Debug, Clone)]
pub struct ManifestBuilder {
    manifest: Manifest,
}

impl ManifestBuilder {
    pub fn read_only(mut self, path: impl Into<PathBuf>) -> Self {
        self.manifest.read_only.push(path.into());
        self
    }
    pub fn writable(mut self, path: impl Into<PathBuf>) -> Self {
        self.manifest.writable.push(path.into());
        self
    }
    pub fn workdir(mut self, path: impl Into<PathBuf>) -> Self {
        self.manifest.workdir = Some(path.into());
        self
    }
    pub fn never_visible(mut self, path: impl Into<PathBuf>) -> Self {
        self.manifest.never_visible.push(path.into());
        self
    }
    pub fn protected(mut self, relative: impl Into<PathBuf>) -> Self {
        self.manifest.protected.push(relative.into());
        self
    }
    pub fn home_seed(mut self, from: impl Into<PathBuf>, to: impl Into<PathBuf>) -> Self {
        self.manifest.home_seed.push(HomeSeed {
            from: from.into(),
            to: to.into(),
        });
        self
    }
    pub fn tool_cache(mut self, cache: ToolCache) -> Self {
        self.manifest.tool_caches.push(cache);
        self
    }
    pub fn unix_socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.manifest.unix_sockets.push(path.into());
        self
    }
    pub fn allow_env(mut self, name: impl Into<String>) -> Self {
        self.manifest.env.allow.push(name.into());
        self
    }
    pub fn set_env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.manifest.env.set.insert(name.into(), value.into());
        self
    }
    pub fn network(mut self, network: Network) -> Self {
        self.manifest.network = network;
        self
    }
    pub fn tmp_size_mib(mut self, mib: u64) -> Self {
        self.manifest.tmp_size_mib = mib;
        self
    }
    pub fn host_home(mut self, home: impl Into<PathBuf>) -> Self {
        self.manifest.host_home = Some(home.into());
        self
    }
    /// Validates and returns the manifest.
    pub fn build(self) -> Result<Manifest, SandboxError> {
        self.manifest.validate()?;
        Ok(self.manifest)
    }
}
