//! A throwaway HOME with freshly generated FAKE credentials, for the
//! onboarding window test (a smaller cousin of crates/scan/tests/fixture,
//! which covers every kind exhaustively): an AWS long-lived key, npm and git
//! credentials, a `.env` with a payment key, Claude Code in
//! bypass-permissions mode, and a repository with a production remote.
//! Never touches the real HOME.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, ensure};

pub struct FakeHome {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    /// `~/src/shop`: a git repository whose `origin` is a production remote.
    pub repo: PathBuf,
    pub aws_key_id: String,
    /// Every secret value planted, with what it is; none may ever appear on screen.
    pub planted: Vec<(&'static str, String)>,
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `n` random characters from `alphabet` (from the OS's random source).
fn random(alphabet: &[u8], n: usize) -> anyhow::Result<String> {
    let mut bytes = vec![0u8; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| alphabet[usize::from(*b) % alphabet.len()] as char).collect())
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(path.parent().context("no parent")?)?;
    std::fs::write(path, text).with_context(|| format!("write {}", path.display()))
}

fn git(repo: &Path, args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("git").arg("-C").arg(repo).args(args).output().context("cannot run git; install `git`")?;
    ensure!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    Ok(())
}

impl FakeHome {
    pub fn new() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let home = dir.path().join("home");
        let repo = home.join("src/shop");
        std::fs::create_dir_all(&repo)?;
        let mut planted = Vec::new();

        let aws_key_id = format!("AKIA{}", random(UPPER32, 16)?);
        let aws_secret = random(ALNUM, 40)?;
        write(
            &home.join(".aws/credentials"),
            &format!("[default]\naws_access_key_id = {aws_key_id}\naws_secret_access_key = {aws_secret}\n"),
        )?;
        planted.push(("AWS key id", aws_key_id.clone()));
        planted.push(("AWS secret", aws_secret));

        let npm = format!("npm_{}", random(ALNUM, 36)?);
        write(&home.join(".npmrc"), &format!("//registry.npmjs.org/:_authToken={npm}\n"))?;
        planted.push(("npm token", npm));

        let pat = format!("ghp_{}", random(ALNUM, 36)?);
        write(&home.join(".git-credentials"), &format!("https://jane:{pat}@github.com\n"))?;
        planted.push(("git credential", pat));

        // Claude Code, for every project: bypass-permissions mode.
        write(
            &home.join(".claude/settings.json"),
            r#"{"permissions": {"defaultMode": "bypassPermissions"}}"#,
        )?;

        // The repository: a payment key in .env, and a production remote.
        git(&repo, &["init", "-q"])?;
        let stripe = format!("sk_live_{}", random(ALNUM, 40)?);
        write(&repo.join(".env"), &format!("NODE_ENV=development\nSTRIPE_SECRET_KEY={stripe}\n"))?;
        planted.push(("Stripe key in .env", stripe));
        git(&repo, &["remote", "add", "origin", "git@github.com:acme/shop-prod.git"])?;

        Ok(Self { dir, home, repo, aws_key_id, planted })
    }

    /// Fails naming the first planted value found in `text` (by what it is,
    /// not by value).
    pub fn assert_no_secret(&self, text: &str, context: &str) -> anyhow::Result<()> {
        for (what, value) in &self.planted {
            ensure!(!text.contains(value.as_str()), "the {what} appears in {context}");
        }
        Ok(())
    }
}
