//! How long the first-run audit takes on a realistic HOME and repo.
//!
//! `cargo bench -p paddock-scan --bench scan -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use paddock_scan::{ScanOptions, bypass_warnings, scan};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A HOME with a typical spread of credential files, a repo of 2,000 source
/// files plus a 5,000-file node_modules (skipped), and 200 env vars.
fn world(dir: &Path) -> ScanOptions {
    let home = dir.join("home");
    let repo = home.join("src/app");
    let mut aws = String::new();
    for i in 0..20 {
        aws.push_str(&format!("[p{i}]\naws_access_key_id = AKIAZ7QWERTYUIOP{i:04}\naws_secret_access_key = Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz9Xc8Vb7N\n"));
    }
    write(&home.join(".aws/credentials"), &aws);
    for i in 0..10 {
        write(&home.join(format!(".ssh/id_{i}")), "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n");
        write(&home.join(format!(".ssh/id_{i}.pub")), "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ jane@laptop\n");
    }
    write(&home.join(".npmrc"), "//registry.npmjs.org/:_authToken=npm_Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz9Xc8\n");
    write(&home.join(".bashrc"), &"export PATH=$HOME/bin:$PATH\n".repeat(500));
    write(&home.join(".claude/settings.json"), r#"{"permissions":{"defaultMode":"acceptEdits"}}"#);
    for d in 0..200 {
        for f in 0..10 {
            write(&repo.join(format!("src/m{d}/f{f}.rs")), "fn main() {}\n");
        }
    }
    for d in 0..500 {
        for f in 0..10 {
            write(&repo.join(format!("node_modules/p{d}/f{f}.js")), "module.exports = 1;\n");
        }
    }
    for i in 0..20 {
        write(&repo.join(format!("svc{i}/.env")), "API_TOKEN=Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz9Xc8\nDEBUG=1\nPORT=8080\n");
    }
    let mut env = BTreeMap::new();
    for i in 0..180 {
        env.insert(format!("SOME_SETTING_{i}"), format!("value-{i}"));
    }
    for i in 0..20 {
        env.insert(format!("SERVICE_{i}_TOKEN"), format!("ghp_Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz9X{i:03}"));
    }
    let mut opts = ScanOptions::for_home(home, env);
    opts.repos = vec![repo];
    opts.system_root = dir.join("root");
    opts.system_checks = false;
    opts
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let opts = world(dir.path());
    let findings = scan(&opts).findings.len();
    assert!(findings > 60, "world too small: {findings} findings");
    c.bench_function("scan: realistic home + 7,000-file repo", |b| b.iter(|| scan(&opts)));
    c.bench_function("bypass_warnings: same world", |b| b.iter(|| bypass_warnings(&opts)));
    let mut env_only = ScanOptions::for_home(dir.path().join("empty"), opts.env.clone());
    env_only.system_root = dir.path().join("root");
    env_only.system_checks = false;
    c.bench_function("scan: 200 env vars only", |b| b.iter(|| scan(&env_only)));
}

criterion_group!(benches, bench);
criterion_main!(benches);
