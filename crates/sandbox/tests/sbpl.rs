//! macOS SBPL profile generation, tested on any OS against expected text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::path::Path;

use paddock_sandbox::macos::sbpl_profile;
use paddock_sandbox::{Manifest, Network};

fn manifest() -> Manifest {
    let mut m = Manifest::builder()
        .host_home("/Users/dev")
        .writable("/Users/dev/src/app")
        .read_only("~/.rustup")
        .network(Network::ProxyOnly {
            socket: "/Users/dev/Library/Paddock/egress.sock".into(),
            port: 3128,
        })
        .build()
        .unwrap();
    m.read_only
        .retain(|p| p != Path::new("/lib32") && p != Path::new("/lib64"));
    m
}

#[test]
fn profile_matches_expected_text() {
    let got = sbpl_profile(
        &manifest(),
        Path::new("/Users/dev/Library/Paddock/homes/task-1"),
    );
    let expected = include_str!("data/macos_proxy_only.sb");
    assert_eq!(got, expected, "generated profile differs; got:\n{got}");
}

#[test]
fn profile_is_deny_by_default_and_denies_network_without_proxy() {
    let mut m = manifest();
    m.network = Network::None;
    let got = sbpl_profile(&m, Path::new("/h"));
    assert!(got.starts_with("(version 1)\n(deny default)\n"));
    assert!(got.contains("(deny network*)"));
    assert!(!got.contains("network-outbound"));
}

#[test]
fn quotes_and_backslashes_in_paths_are_escaped() {
    let mut m = manifest();
    m.writable = vec!["/Users/dev/we\"ird\\dir".into()];
    let got = sbpl_profile(&m, Path::new("/h"));
    assert!(
        got.contains(r#"(subpath "/Users/dev/we\"ird\\dir")"#),
        "{got}"
    );
    assert!(
        !got.contains("we\"ird\\dir\")\n  (subpath \"/h"),
        "no unescaped quote may end the string early"
    );
}

#[test]
fn never_visible_denials_come_after_allows() {
    // SBPL: the last matching rule wins, so the secret denials must follow the
    // broad allows (a granted HOME must not expose ~/.ssh).
    let mut m = manifest();
    m.read_only.push("/Users/dev".into());
    let got = sbpl_profile(&m, Path::new("/h"));
    let allow = got.find("(subpath \"/Users/dev\")").unwrap();
    let deny = got.find("(subpath \"/Users/dev/.ssh\")").unwrap();
    assert!(deny > allow);
}
