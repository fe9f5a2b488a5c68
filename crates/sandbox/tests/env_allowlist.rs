//! Data-driven: tests/data/env_cases.toml, one case per host variable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::ffi::OsString;

use paddock_sandbox::Manifest;
use paddock_sandbox::env::sandbox_env;

#[derive(serde::Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    var: String,
    #[serde(default)]
    allow: Option<Vec<String>>,
    expect: String,
}

#[test]
fn env_cases() {
    let text = include_str!("data/env_cases.toml");
    let cases: Cases = toml::from_str(text).unwrap();
    assert!(cases.case.len() >= 25);
    for case in cases.case {
        let mut manifest = Manifest::default();
        if let Some(allow) = &case.allow {
            manifest.env.allow = allow.clone();
        }
        let host: Vec<(OsString, OsString)> =
            vec![(case.var.clone().into(), "value-from-host".into())];
        let env = sandbox_env(&manifest, host);
        let passed = env
            .get(&OsString::from(&case.var))
            .is_some_and(|v| v == "value-from-host");
        let expected = match case.expect.as_str() {
            "passed" => true,
            "stripped" => false,
            other => panic!("case {}: bad expect {other}", case.name),
        };
        assert_eq!(
            passed, expected,
            "case {}: {} should be {}",
            case.name, case.var, case.expect
        );
    }
}

#[test]
fn fixed_variables_cannot_be_overridden_by_host() {
    let manifest = Manifest::default();
    let host = vec![
        ("HOME".into(), "/root".into()),
        ("PATH".into(), "/usr/bin".into()),
    ];
    let env = sandbox_env(&manifest, host);
    assert_eq!(env[&OsString::from("HOME")], "/home/agent");
    assert_eq!(env[&OsString::from("PATH")], "/usr/bin");
    assert_eq!(env[&OsString::from("PADDOCK_SANDBOX")], "1");
}

#[test]
fn explicit_dangerous_variable_is_refused_by_validation() {
    for name in [
        "LD_PRELOAD",
        "NODE_OPTIONS",
        "BASH_ENV",
        "PERL5OPT",
        "PYTHONSTARTUP",
        "GIT_CONFIG_KEY_0",
    ] {
        let err = Manifest::builder().set_env(name, "x").build().unwrap_err();
        assert!(err.to_string().contains(name), "{name}: {err}");
    }
    assert!(
        Manifest::builder()
            .set_env("RUST_LOG", "debug")
            .build()
            .is_ok()
    );
}
