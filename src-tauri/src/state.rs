//! What the shell holds for the life of the process.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use paddock_audit::AuditLog;

pub struct AppState {
    pub data_dir: PathBuf,
    /// Where exports are written: the downloads folder, else the data folder.
    pub export_dir: PathBuf,
    /// The audit trail, or why it could not be opened. The app still starts
    /// without it, and the Audit screen says why.
    pub audit: Result<Arc<AuditLog>, String>,
    /// The HOME the risk audit looks at: `PADDOCK_SCAN_HOME` (tests point it
    /// at a throwaway HOME with fake credentials), else the real one.
    pub scan_home: Option<PathBuf>,
    /// Serializes read-modify-write of `<data dir>/onboarding.json`.
    pub onboarding_lock: Mutex<()>,
    /// The task engine, opened on first use (opening recovers tasks whose
    /// runner died, so it waits until a screen needs it), or why it could not be.
    pub engine: OnceLock<Result<Arc<paddock_engine::Engine>, String>>,
    /// Serializes saves of the settings files (egress policy, webhook rules).
    pub settings_lock: Mutex<()>,
    /// The `paddock` binary the outside-vs-inside audit runs in the sandbox:
    /// the one installed beside this app, or why there is none.
    pub scanner: Result<PathBuf, String>,
    /// The OS keyring services the app's secrets live under.
    pub keyring: KeyringNames,
}

/// Keyring services: the CLI's defaults, or with `PADDOCK_KEYRING_NAMESPACE`
/// appended (`paddock-egress-<ns>`, …), which the CLI reaches with
/// `--keyring-service`. On Linux the keyutils store links every entry into
/// the user's persistent keyring, which every session can search, so tests
/// use a namespace of their own and never see or touch the user's real keys.
pub struct KeyringNames {
    pub egress: String,
    pub webhooks: String,
    /// Service of the AWS admin key (user `aws-admin`).
    pub creds_admin: String,
}

impl KeyringNames {
    fn from_env() -> Result<Self, String> {
        let ns = std::env::var("PADDOCK_KEYRING_NAMESPACE").ok().filter(|n| !n.is_empty());
        if let Some(ns) = &ns {
            if !ns.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') || ns.len() > 64 {
                return Err(format!("PADDOCK_KEYRING_NAMESPACE={ns:?}: use up to 64 of a-z, 0-9, '-' and '_'"));
            }
            tracing::info!(namespace = %ns, "PADDOCK_KEYRING_NAMESPACE is set: secrets go to namespaced keyring services");
        }
        let name = |base: &str| match &ns {
            Some(ns) => format!("{base}-{ns}"),
            None => base.to_owned(),
        };
        Ok(Self {
            egress: name(paddock_egress::KEYRING_SERVICE),
            webhooks: name(paddock_webhooks::KEYRING_SERVICE),
            creds_admin: name(paddock_creds::aws::ADMIN_KEYRING_SERVICE),
        })
    }
}

impl AppState {
    /// `PADDOCK_DATA_DIR` overrides the platform data directory (tests use a
    /// throwaway one); `PADDOCK_EXPORT_DIR` the export folder;
    /// `PADDOCK_SCAN_HOME` the HOME the risk audit scans;
    /// `PADDOCK_KEYRING_NAMESPACE` the keyring services (see [`KeyringNames`]).
    pub fn from_env() -> Result<Self, String> {
        let data_dir = match std::env::var_os("PADDOCK_DATA_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => dirs::data_dir()
                .ok_or("no data directory on this platform; set PADDOCK_DATA_DIR")?
                .join("paddock"),
        };
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let export_dir = std::env::var_os("PADDOCK_EXPORT_DIR")
            .map(PathBuf::from)
            .or_else(dirs::download_dir)
            .unwrap_or_else(|| data_dir.clone());
        let db = data_dir.join("audit.db");
        let audit = AuditLog::open(&db)
            .map(Arc::new)
            .map_err(|e| format!("the audit trail at {} cannot be opened: {e}", db.display()));
        if let Err(e) = &audit {
            tracing::error!("{e}");
        }
        let scan_home = std::env::var_os("PADDOCK_SCAN_HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
        if let Some(home) = &scan_home {
            tracing::info!(home = %home.display(), "PADDOCK_SCAN_HOME is set: the risk audit scans this HOME");
        }
        Ok(Self {
            data_dir,
            export_dir,
            audit,
            scan_home,
            onboarding_lock: Mutex::new(()),
            engine: OnceLock::new(),
            settings_lock: Mutex::new(()),
            scanner: paddock_bin().map(|bin| full_cli_beside(&bin)),
            keyring: KeyringNames::from_env()?,
        })
    }

    /// The lease database `paddock creds` uses with the same data dir.
    pub fn leases_db(&self) -> PathBuf {
        self.data_dir.join("leases.db")
    }

    /// The cloud settings `paddock creds settings` edits with the same data dir.
    pub fn creds_settings(&self) -> PathBuf {
        self.data_dir.join("creds-settings.json")
    }
}

/// The binary that runs `scan` inside the sandbox: `paddock-full` beside `bin`
/// when there is one. The `paddock` launcher only runs the gate and the
/// sandbox itself and hands `scan` to `paddock-full` beside it, which the
/// sandbox does not mount; so the scanner mounted is the full CLI.
fn full_cli_beside(bin: &std::path::Path) -> PathBuf {
    let full = bin.with_file_name(if cfg!(windows) { "paddock-full.exe" } else { "paddock-full" });
    if full.is_file() { full } else { bin.to_owned() }
}

/// The `paddock` binary the engine puts inside the sandbox (the gate hook, the
/// sandbox init) and the outside-vs-inside audit runs there: `PADDOCK_CLI_BIN`,
/// else the one installed beside the app (both are built and shipped together).
pub fn paddock_bin() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("PADDOCK_CLI_BIN").filter(|b| !b.is_empty()) {
        return Ok(PathBuf::from(bin));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate the app binary: {e}"))?;
    let beside = exe.with_file_name(if cfg!(windows) { "paddock.exe" } else { "paddock" });
    if beside.is_file() {
        Ok(beside)
    } else {
        Err(format!(
            "the `paddock` command-line binary is not installed beside the app ({}); install it or set PADDOCK_CLI_BIN",
            beside.display()
        ))
    }
}
