//! Renders `ui/src/bindings.ts` from the Rust declarations.
//!
//! A test compares the rendering with the committed file and fails when they
//! differ; `UPDATE_BINDINGS=1 cargo test -p paddock-ipc` rewrites it.

use ts_rs::{Config, TS};

use crate::{app, doctor, error};

fn decl<T: TS>(cfg: &Config) -> String {
    format!("export {}", T::decl(cfg))
}

/// Every type that crosses IPC, in a stable order.
pub fn render() -> String {
    // u64 sequences and counts arrive as JSON numbers; they stay below 2^53.
    let cfg = Config::new().with_large_int("number");
    let decls = [
        decl::<error::ErrorCode>(&cfg),
        decl::<error::WireError>(&cfg),
        decl::<app::AppInfo>(&cfg),
        decl::<doctor::CheckStatus>(&cfg),
        decl::<doctor::CheckResult>(&cfg),
        decl::<doctor::CheckEvent>(&cfg),
    ];
    let mut out = String::from(
        "// Generated from crates/ipc by `UPDATE_BINDINGS=1 cargo test -p paddock-ipc`. Do not edit.\n\n",
    );
    for d in decls {
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn committed_bindings_are_current() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings.ts");
        let fresh = super::render();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p paddock-ipc` and commit the result"
        );
    }
}
