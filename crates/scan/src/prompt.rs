//! The risk-audit prompt for the user's own agent.
//!
//! Paddock's scan covers what it knows about; the user's agent can look at
//! what is specific to their machine. The prompt asks it to report in the
//! same shape as [`crate::Finding`] and, above all, not to pull secrets into
//! its context window (which is sent to a model provider).

/// Copy this into your agent.
pub const AUDIT_PROMPT: &str = "\
Help me establish what credentials, system privileges and data access you have on this machine, \
so I can decide what an autonomous coding agent should and should not be able to reach.

Rules, before anything else:
- Obfuscate any PII, IP or credentials before it hits your context window. Never print a secret value, \
a private key, a password, a cookie, or a full token. Filter command output *before* it reaches you: \
use `wc -l`, `grep -c`, `test -e`, `stat -c '%n %a %U %y'`, `head -c 4`, or pipe through \
`sed -E 's/([A-Za-z0-9_+\\/=-]{4})[A-Za-z0-9_+\\/=-]{8,}([A-Za-z0-9_+\\/=-]{4})/\\1…\\2/g'` to keep at most \
the first and last 4 characters of long values. Do not `cat`, `env`, `printenv` or `set` without such a filter.
- Replace e-mail addresses, names, customer data, hostnames of internal systems and IP addresses with \
placeholders (user@…, host-1, 10.x.x.x).
- Read-only: do not log in, call any cloud or network API, change any file or setting, install anything, \
or use any credential you find to test it. Presence, permissions and age are enough.
- Show me each command before you run it and wait for my approval.

Please check, and for each item say whether it exists, where, how old it is (file modification time), \
whether it is protected (encrypted, passphrase, keyring) and what an agent could do with it:
1. Cloud credentials: ~/.aws (credentials, config, sso/cache, cli/cache), ~/.config/gcloud \
(application_default_credentials.json, credentials.db, access_tokens.db), ~/.azure, ~/.kube/config \
and $KUBECONFIG, ~/.docker/config.json (auths, credsStore), Terraform/Pulumi credentials.
2. Package and VCS tokens: ~/.npmrc, ~/.pypirc, ~/.netrc, ~/.git-credentials, git credential helpers \
(`git config --get-all credential.helper`), ~/.config/gh/hosts.yml, ~/.cargo/credentials.toml, \
other registries (gem, NuGet, Maven settings.xml, Gradle properties).
3. SSH: private keys in ~/.ssh and whether each is passphrase-protected; whether an ssh-agent is \
running and how many keys it holds (`ssh-add -l | wc -l`); hosts in ~/.ssh/config (count only).
4. GPG: secret keys (`gpg --list-secret-keys --with-colons | grep -c '^sec'`) and whether gpg-agent \
caches passphrases.
5. Environment: names (not values) of variables that look like tokens, keys, passwords or sessions \
(`env | cut -d= -f1 | grep -Ei 'token|secret|key|pass|session|auth|credential'`), and which ones \
start with known prefixes (AKIA, ASIA, ghp_, github_pat_, sk-, sk-ant-, xoxb-, glpat-, npm_, AIza).
6. Project secrets: .env files and other untracked config with secrets in my repositories, and \
whether any is committed (`git ls-files | grep -E '(^|/)\\.env'`).
7. Privileges: am I root; passwordless sudo (`sudo -n true` with a timeout); membership of docker, \
wheel, sudo, lxd, disk groups; whether /var/run/docker.sock or a Podman socket is writable by me.
8. Data access: browser profiles (cookie stores, saved passwords), password-manager CLI sessions \
(OP_SESSION_*, BW_SESSION), mounted network drives, mail clients, databases reachable on localhost.
9. AI tools: configs of Claude Code, Codex, Copilot, Cursor, Gemini and MCP servers, and which of \
them hold API keys or OAuth tokens; whether any is set to skip permission prompts \
(bypassPermissions, --dangerously-skip-permissions, approval_policy = \"never\", \
sandbox_mode = \"danger-full-access\").
10. Anything else on this machine you believe an agent could use to act as me or to reach production.

Finish with a table: item | location | protected? | age | severity (critical/high/medium/low) | \
what an agent could do with it. Then list the three changes that would reduce my risk the most.";

/// Shown next to the copy button.
pub const AUDIT_PROMPT_NOTE: &str = "Your agent will run commands on this machine to answer. Review every \
command before you approve it: the prompt asks it to filter output and never show secrets, but only you \
can check that it does. Nothing it finds should leave this machine except through the conversation you \
are watching.";

#[cfg(test)]
mod tests {
    #[test]
    fn prompt_carries_the_required_instructions() {
        let p = super::AUDIT_PROMPT;
        assert!(p.starts_with("Help me establish what credentials, system privileges and data access you have"));
        assert!(p.contains("Obfuscate any PII, IP or credentials before it hits your context window"));
        assert!(super::AUDIT_PROMPT_NOTE.contains("Review every command"));
    }
}
