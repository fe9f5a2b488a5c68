//! The signing key file: created 0600, reused across restarts, refused when exposed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod common;

use std::os::unix::fs::PermissionsExt;

use chrono::Duration;
use paddock_authz::{Action, Claims, ErrorKind, SetupError, SigningKeys};

fn token(s: &common::Setup) -> paddock_authz::Token {
    s.authz
        .mint(Claims {
            actor: common::actor("user:alice"),
            scope: common::scope(&["tasks.read".into()], &["task:t1".into()]),
            ttl: Duration::seconds(600),
            not_before: None,
        })
        .unwrap()
}

fn check(s: &common::Setup, t: &paddock_authz::Token) -> Result<(), ErrorKind> {
    s.authz
        .authorize(
            t.expose(),
            Action::TasksRead,
            &common::resource("task:t1@alice"),
        )
        .map(drop)
        .map_err(|e| e.kind())
}

#[test]
fn key_file_is_private_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = SigningKeys::default_path(&dir.path().join("nested"));
    let first = common::setup_with_keys(SigningKeys::load_or_create(&path).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let t = token(&first);
    // "Restart": a new authorizer from the same file accepts the old token.
    let second = common::setup_with_keys(SigningKeys::load_or_create(&path).unwrap());
    assert_eq!(first.authz.key_id(), second.authz.key_id());
    assert_eq!(check(&second, &t), Ok(()));
    // Rotation: delete the file, every outstanding token stops working.
    std::fs::remove_file(&path).unwrap();
    let rotated = common::setup_with_keys(SigningKeys::load_or_create(&path).unwrap());
    assert_ne!(rotated.authz.key_id(), first.authz.key_id());
    assert_eq!(check(&rotated, &t), Err(ErrorKind::Forged));
}

#[test]
fn key_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("authz.key");
    SigningKeys::load_or_create(&path).unwrap();
    let secret = std::fs::read_to_string(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    match SigningKeys::load_or_create(&path) {
        Err(e @ SetupError::Key { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("chmod 600"), "{msg}");
            assert!(!msg.contains(secret.trim()), "key bytes in the error");
        }
        other => panic!("group-readable key accepted: {other:?}"),
    }
}

#[test]
fn corrupt_key_file_is_refused_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("authz.key");
    for content in ["not hex at all", "abcd", &"11".repeat(64)] {
        std::fs::write(&path, content).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        match SigningKeys::load_or_create(&path) {
            Err(e @ SetupError::Key { .. }) => assert!(!e.to_string().contains(content)),
            other => panic!("{content:?}: {other:?}"),
        }
    }
}

#[test]
fn debug_output_shows_only_the_key_id() {
    let keys = SigningKeys::generate().unwrap();
    let id = keys.key_id();
    let shown = format!("{keys:?}");
    assert!(shown.contains(&id));
    assert!(shown.len() < 80, "{shown}");
}
