//! The escape suite: each test is one attack run inside the real bubblewrap
//! sandbox against a throwaway world, asserting the attack failed AND that a
//! control version of the same action succeeded (so the test fails if the
//! protection is removed, and cannot pass because everything is broken).

mod common;

use common::*;

#[test]
fn smoke_sandbox_runs_and_sees_worktree() {
    let w = World::new();
    let out = w.sh("echo uid=$(id -u); echo pwd=$(pwd); cat README.md; echo home=$HOME; ls -a / | tr '\\n' ' '");
    eprintln!("{}\n{}", stdout(&out), stderr(&out));
    assert!(out.status.success());
}
