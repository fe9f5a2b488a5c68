//! Git worktrees for tasks, and Paddock's commit at the end.
//!
//! Every git command here runs with the repository's hooks disabled
//! (`core.hooksPath=/dev/null`) and no fsmonitor, and the final commit names
//! the git dir explicitly instead of trusting the worktree's `.git` file,
//! which lives in the agent's writable tree: whatever the agent wrote there,
//! Paddock's own git never runs code from it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::EngineError;

pub const COMMITTER_NAME: &str = "Paddock";
pub const COMMITTER_EMAIL: &str = "paddock@localhost";

/// A task's worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    pub path: PathBuf,
    pub branch: String,
    /// The worktree's own git dir (`<repo>/.git/worktrees/<name>`).
    pub git_dir: PathBuf,
    /// The repository's git dir (`<repo>/.git`).
    pub common_dir: PathBuf,
}

fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "commit.gpgsign=false"])
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command, what: &str) -> Result<String, EngineError> {
    let out = cmd.output().map_err(|e| EngineError::Git(format!("{what}: cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(EngineError::Git(format!("{what}: {}", String::from_utf8_lossy(&out.stderr).trim())));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn absolute(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    let joined = if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
    std::fs::canonicalize(&joined).unwrap_or(joined)
}

/// The top of the repository containing `dir`.
pub fn repo_root(dir: &Path) -> Result<PathBuf, EngineError> {
    // git runs with `dir` as its working directory: a missing one would
    // surface as "cannot run git: No such file or directory", blaming git.
    if !dir.is_dir() {
        let what = if dir.exists() { "is not a directory" } else { "does not exist" };
        return Err(EngineError::BadRequest(format!("the repository {} {what}", dir.display())));
    }
    let top = run(git(dir).args(["rev-parse", "--show-toplevel"]), &format!("{} is not in a git repository", dir.display()))?;
    Ok(absolute(dir, &top))
}

/// Creates `dest` as a worktree of `repo` on a new branch `paddock/<task_id>`
/// starting at the repository's HEAD.
pub fn create(repo: &Path, task_id: &str, dest: &Path) -> Result<Worktree, EngineError> {
    run(
        git(repo).args(["rev-parse", "--verify", "--quiet", "HEAD"]),
        &format!("{} has no commit yet; commit something before running a task on it", repo.display()),
    )?;
    let branch = format!("paddock/{task_id}");
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(EngineError::io(format!("creating {}", parent.display())))?;
    }
    run(
        git(repo).args(["worktree", "add", "--quiet", "-b", &branch]).arg(dest).arg("HEAD"),
        &format!("creating the worktree {}", dest.display()),
    )?;
    let git_dir = run(git(dest).args(["rev-parse", "--git-dir"]), "finding the worktree's git dir")?;
    let common = run(git(dest).args(["rev-parse", "--git-common-dir"]), "finding the repository's git dir")?;
    Ok(Worktree {
        path: std::fs::canonicalize(dest).unwrap_or_else(|_| dest.to_path_buf()),
        branch,
        git_dir: absolute(dest, &git_dir),
        common_dir: absolute(dest, &common),
    })
}

/// Finds the worktree of an existing task (crash recovery): its git dir is
/// looked up from the repository, not from the worktree's `.git` file.
pub fn find(repo: &Path, path: &Path, branch: &str) -> Result<Worktree, EngineError> {
    let common = run(git(repo).args(["rev-parse", "--git-common-dir"]), "finding the repository's git dir")?;
    let common_dir = absolute(repo, &common);
    let list = run(git(repo).args(["worktree", "list", "--porcelain"]), "listing worktrees")?;
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let listed = list.lines().filter_map(|l| l.strip_prefix("worktree ")).any(|w| Path::new(w) == canonical);
    if !listed {
        return Err(EngineError::Git(format!("{} is not a worktree of {}", path.display(), repo.display())));
    }
    let name = canonical.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    Ok(Worktree { path: canonical, branch: branch.to_owned(), git_dir: common_dir.join("worktrees").join(name), common_dir })
}

impl Worktree {
    /// Git bound to this worktree by explicit paths (never its `.git` file).
    fn bound_git(&self) -> Command {
        let mut cmd = git(&self.path);
        cmd.env("GIT_DIR", &self.git_dir).env("GIT_WORK_TREE", &self.path);
        cmd
    }

    /// Puts `rel` back as it is in HEAD, or removes it if HEAD has none.
    pub fn restore_from_head(&self, rel: &Path) -> Result<(), EngineError> {
        let spec = format!("HEAD:{}", rel.display());
        let tracked = self
            .bound_git()
            .args(["cat-file", "-e", &spec])
            .stderr(Stdio::null())
            .status()
            .map_err(|e| EngineError::Git(format!("cannot run git: {e}")))?
            .success();
        if tracked {
            run(self.bound_git().args(["checkout", "HEAD", "--"]).arg(rel), &format!("restoring {}", rel.display()))?;
        } else {
            let full = self.path.join(rel);
            let _ = std::fs::remove_file(&full);
            // Remove directories the template created, if now empty.
            let mut dir = full.parent();
            while let Some(d) = dir {
                if d == self.path || std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
        Ok(())
    }

    /// A commit with its patch.
    pub fn show(&self, sha: &str) -> Result<String, EngineError> {
        run(self.bound_git().args(["show", "--no-color", "--stat", "--patch", sha, "--"]), "showing the task's commit")
    }

    /// Changes in the worktree against HEAD, new files included (intent-to-add
    /// is not used: it would write to the index the agent shares).
    pub fn diff_uncommitted(&self) -> Result<String, EngineError> {
        let mut out = run(self.bound_git().args(["diff", "--no-color", "HEAD", "--"]), "diffing the worktree")?;
        let untracked = run(self.bound_git().args(["ls-files", "--others", "--exclude-standard"]), "listing new files")?;
        for f in untracked.lines().filter(|l| !l.is_empty()) {
            out.push_str(&format!("\nnew file: {f}"));
        }
        Ok(out)
    }

    /// Commits everything in the worktree as Paddock on the task's branch.
    /// Returns the commit id, or None when nothing changed.
    pub fn commit_all(&self, message: &str) -> Result<Option<String>, EngineError> {
        run(self.bound_git().args(["add", "--all", "--", "."]), "staging the task's changes")?;
        let status = self
            .bound_git()
            .args(["diff", "--cached", "--quiet"])
            .status()
            .map_err(|e| EngineError::Git(format!("cannot run git: {e}")))?;
        if status.success() {
            return Ok(None);
        }
        self.commit_with_message(message)?;
        let sha = run(self.bound_git().args(["rev-parse", "HEAD"]), "reading the new commit")?;
        Ok(Some(sha))
    }

    fn commit_with_message(&self, message: &str) -> Result<(), EngineError> {
        use std::io::Write as _;
        let mut child = self
            .bound_git()
            .args(["-c", &format!("user.name={COMMITTER_NAME}"), "-c", &format!("user.email={COMMITTER_EMAIL}")])
            .args(["commit", "--quiet", "--no-verify", "-F", "-"])
            .env("GIT_AUTHOR_NAME", COMMITTER_NAME)
            .env("GIT_AUTHOR_EMAIL", COMMITTER_EMAIL)
            .env("GIT_COMMITTER_NAME", COMMITTER_NAME)
            .env("GIT_COMMITTER_EMAIL", COMMITTER_EMAIL)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| EngineError::Git(format!("cannot run git: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(message.as_bytes()).map_err(|e| EngineError::Git(format!("writing the commit message: {e}")))?;
        }
        let out = child.wait_with_output().map_err(|e| EngineError::Git(format!("waiting for git commit: {e}")))?;
        if !out.status.success() {
            return Err(EngineError::Git(format!("committing the task's changes: {}", String::from_utf8_lossy(&out.stderr).trim())));
        }
        Ok(())
    }
}

/// The commit message: the task and the prompt (first 2000 characters).
pub fn commit_message(task_id: &str, agent: &str, prompt: &str, outcome: &str) -> String {
    let prompt: String = prompt.chars().take(2000).collect();
    // A subject line that fits `git log --oneline`; a cut is marked, so it is not read as the whole prompt.
    let mut lines = prompt.lines();
    let line = lines.next().unwrap_or("");
    let first: String = if line.chars().count() > 60 || lines.next().is_some() {
        line.chars().take(59).collect::<String>() + "…"
    } else {
        line.to_owned()
    };
    format!("paddock task {task_id}: {first}\n\nAgent: {agent}\nOutcome: {outcome}\n\nPrompt:\n{prompt}\n")
}

#[cfg(test)]
mod tests {
    use super::commit_message;

    #[test]
    fn a_missing_repository_is_named_as_missing_not_blamed_on_git() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nowhere");
        let e = super::repo_root(&missing).unwrap_err().to_string();
        assert!(e.contains("nowhere does not exist") && !e.contains("cannot run git"), "{e}");
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let e = super::repo_root(&file).unwrap_err().to_string();
        assert!(e.contains("is not a directory"), "{e}");
    }

    #[test]
    fn the_subject_line_is_short_and_a_cut_is_marked() {
        let subject = |prompt: &str| commit_message("t1", "cmd", prompt, "finished").lines().next().unwrap_or("").to_owned();
        assert_eq!(subject("cargo test"), "paddock task t1: cargo test");
        let long = "sh -c 'echo hello from the sandbox; id -u; echo fixed > FIXED.txt'";
        assert_eq!(subject(long), format!("paddock task t1: {}…", &long[..59]));
        assert_eq!(subject("fix the test\nthen the docs"), "paddock task t1: fix the test…");
        // The whole prompt is in the body, uncut.
        assert!(commit_message("t1", "cmd", long, "finished").contains(&format!("Prompt:\n{long}\n")));
    }
}
