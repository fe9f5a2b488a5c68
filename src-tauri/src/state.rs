//! What the shell holds for the life of the process.

use std::path::PathBuf;

pub struct AppState {
    pub data_dir: PathBuf,
}

impl AppState {
    /// `PADDOCK_DATA_DIR` overrides the platform data directory (tests use a
    /// throwaway one).
    pub fn from_env() -> Result<Self, String> {
        let data_dir = match std::env::var_os("PADDOCK_DATA_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => dirs::data_dir()
                .ok_or("no data directory on this platform; set PADDOCK_DATA_DIR")?
                .join("paddock"),
        };
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        Ok(Self { data_dir })
    }
}
