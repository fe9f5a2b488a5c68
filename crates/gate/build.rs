//! Converts the built-in TOML rule packs to JSON at build time: the hook is
//! a short-lived process and serde_json parses several times faster than
//! toml, which matters for its start-up (see docs/benchmarks/gate.md). The
//! TOML files stay the source of truth and are embedded too.

// A build script reports failure by panicking, with the message cargo shows.
#![allow(clippy::panic)]

use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new("packs");
    println!("cargo:rerun-if-changed=packs");
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    entries.sort();
    for path in entries {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json = serde_json::to_string(&value).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        std::fs::write(Path::new(&out).join(format!("{name}.json")), json)
            .unwrap_or_else(|e| panic!("cannot write {name}.json: {e}"));
    }
}
