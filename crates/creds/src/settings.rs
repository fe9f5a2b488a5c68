//! `<data>/creds-settings.json`: the cloud settings the app's Settings screen and `paddock creds
//! settings` edit — which project and admin credential source to use, which roles a lease may
//! get. Secret-free by construction: admin sources are *names* (a keyring entry, a profile,
//! "ADC"), never credentials. Written whole and atomically (temp file, fsync, rename).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::aws::AwsConfig;
use crate::error::CredsError;
use crate::gcp::GcpConfig;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CredsSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<AwsConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcp: Option<GcpConfig>,
}

impl CredsSettings {
    /// `<data>/creds-settings.json`, next to `leases.db`.
    pub fn default_path() -> Result<PathBuf, CredsError> {
        Ok(crate::store::LeaseStore::default_path()?.with_file_name("creds-settings.json"))
    }

    /// The saved settings; empty ones when there is no file yet.
    pub fn load(path: &Path) -> Result<Self, CredsError> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                CredsError::Config(format!(
                    "{} is damaged (line {}, column {}: {}); fix it or move it away",
                    path.display(),
                    e.line(),
                    e.column(),
                    e.classify_name()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(CredsError::Config(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// Validates, then writes atomically.
    pub fn save(&self, path: &Path) -> Result<(), CredsError> {
        if let Some(a) = &self.aws {
            a.validate()?;
        }
        if let Some(g) = &self.gcp {
            g.validate()?;
        }
        let io = |e: std::io::Error| CredsError::Config(format!("cannot write {}: {e}", path.display()));
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = dir.join(format!(".creds-settings.{}.tmp", std::process::id()));
        let json = serde_json::to_string_pretty(self).map_err(|e| CredsError::Config(e.to_string()))?;
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            f.write_all(json.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, path).map_err(io)
    }
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    /// The kind of problem, without serde's message (which could quote the file).
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Data => "a field has the wrong type or an unknown value",
            serde_json::error::Category::Eof => "the file ends early",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcp::GcpAdminSource;

    #[test]
    fn settings_round_trip_refuse_invalid_configs_and_name_a_damaged_file() {
        let dir = std::env::temp_dir().join(format!("paddock-settings-{}", uuid::Uuid::new_v4()));
        let path = dir.join("creds-settings.json");
        assert_eq!(CredsSettings::load(&path).unwrap(), CredsSettings::default());
        let s = CredsSettings {
            gcp: Some(GcpConfig::new("my-project-1", GcpAdminSource::Keyring { service: "paddock".into(), user: "gcp-admin".into() })),
            ..Default::default()
        };
        s.save(&path).unwrap();
        assert_eq!(CredsSettings::load(&path).unwrap(), s);

        let mut bad = s.clone();
        if let Some(g) = bad.gcp.as_mut() {
            g.allowed_roles.push("roles/owner".into());
        }
        let err = bad.save(&path).unwrap_err().to_string();
        assert!(err.contains("allowed role `roles/owner` is refused"), "{err}");
        assert_eq!(CredsSettings::load(&path).unwrap(), s, "a refused save leaves the file as it was");

        std::fs::write(&path, "{\"gcp\": {\"project\": \"my-pro").unwrap();
        let err = CredsSettings::load(&path).unwrap_err().to_string();
        assert!(err.contains("creds-settings.json is damaged") && err.contains("the file ends early"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
