//! Lexical path resolution against the command's working directory.
//!
//! Resolution is purely lexical (no filesystem access, no symlink following):
//! the gate must be fast and must judge the command text, not the disk. The
//! sandbox is the layer that enforces where writes can actually land.

use std::path::{Component, Path, PathBuf};

use crate::Context;

/// A path argument, resolved as far as is statically possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Known(PathBuf),
    /// Depends on run time (`$X`, unknown cwd, a glob that may match `..`).
    Unknown,
}

/// Resolves `arg` (already quote-removed) against `cwd`.
pub fn resolve(arg: &str, glob: bool, cwd: Option<&Path>, ctx: &Context) -> Resolved {
    let expanded: PathBuf = if arg == "~" || arg.starts_with("~/") {
        match &ctx.home {
            Some(home) => home.join(arg.trim_start_matches('~').trim_start_matches('/')),
            None => return Resolved::Unknown,
        }
    } else if arg.starts_with('~') {
        return Resolved::Unknown; // ~user
    } else if arg.starts_with('/') {
        PathBuf::from(arg)
    } else {
        match cwd {
            Some(c) => c.join(arg),
            None => return Resolved::Unknown,
        }
    };
    if glob && expanded.components().any(|c| may_match_dotdot(&c)) {
        return Resolved::Unknown;
    }
    Resolved::Known(normalize(&expanded))
}

/// A glob component such as `.*` or `.?` can match `..` and so climb out.
fn may_match_dotdot(c: &Component) -> bool {
    match c {
        Component::Normal(s) => {
            let s = s.to_string_lossy();
            s.starts_with('.') && s.contains(['*', '?', '['])
        }
        _ => false,
    }
}

/// Removes `.` and resolves `..` lexically; `..` above `/` stays at `/`.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(s) => out.push(s),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// Strictly inside `root` (the root itself is not "inside": deleting it
/// deletes the whole zone).
pub fn strictly_inside(p: &Path, root: &Path) -> bool {
    p != root && p.starts_with(root)
}

/// The `~/…` spelling of `p` when it lies under the home directory, so that
/// rule globs written as `~/.ssh/**` match.
pub fn tilde_form(p: &Path, ctx: &Context) -> Option<String> {
    let home = ctx.home.as_ref()?;
    let rel = p.strip_prefix(home).ok()?;
    Some(if rel.as_os_str().is_empty() { "~".into() } else { format!("~/{}", rel.display()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context { worktree: Some("/w".into()), home: Some("/home/u".into()), temp_dirs: vec![] }
    }

    #[test]
    fn resolves_relative_tilde_and_dotdot() {
        let c = ctx();
        let cwd = Some(Path::new("/w/sub"));
        assert_eq!(resolve("a/../b", false, cwd, &c), Resolved::Known("/w/sub/b".into()));
        assert_eq!(resolve("../../..", false, cwd, &c), Resolved::Known("/".into()));
        assert_eq!(resolve("~/.ssh", false, cwd, &c), Resolved::Known("/home/u/.ssh".into()));
        assert_eq!(resolve("~root/x", false, cwd, &c), Resolved::Unknown);
        assert_eq!(resolve(".*", true, cwd, &c), Resolved::Unknown);
        assert_eq!(resolve("*", true, cwd, &c), Resolved::Known("/w/sub/*".into()));
        assert_eq!(resolve("x", false, None, &c), Resolved::Unknown);
    }

    #[test]
    fn inside_is_strict() {
        assert!(strictly_inside(Path::new("/w/a"), Path::new("/w")));
        assert!(!strictly_inside(Path::new("/w"), Path::new("/w")));
        assert!(!strictly_inside(Path::new("/wx"), Path::new("/w")));
    }
}
