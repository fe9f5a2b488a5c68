//! Turning a *verified* body into what it asks for. Only the listener calls
//! this, and only after the signature, the timestamp and the replay check
//! passed; the fuzz target (`crates/webhooks/fuzz`) and the corpus tests call
//! it directly with arbitrary bytes, since it must never panic on any input.
//!
//! Grammar (Slack slash command text, Slack `app_mention` text after the
//! mention, and the first line of a GitHub comment after `/paddock`):
//!
//! ```text
//! run <owner/repo> <prompt...>
//! help
//! ```

use serde::Deserialize;

use crate::Source;

/// A GitHub issue labelled with this becomes a proposal.
pub const TRIGGER_LABEL: &str = "paddock";
/// Longest prompt accepted, in bytes.
pub const MAX_PROMPT_BYTES: usize = 32 * 1024;
const MAX_LABELS: usize = 100;
const MAX_LABEL_BYTES: usize = 100;
const MAX_SENDER_BYTES: usize = 100;

/// Which endpoint a delivery came in on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    SlackCommand,
    SlackEvent,
    /// GitHub, with the `X-GitHub-Event` header value.
    Github {
        event: String,
    },
}

impl Route {
    pub fn source(&self) -> Source {
        match self {
            Route::SlackCommand | Route::SlackEvent => Source::Slack,
            Route::Github { .. } => Source::Github,
        }
    }
}

/// A task someone asked for; becomes a stored proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalDraft {
    pub source: Source,
    /// `owner/name`.
    pub repo: String,
    pub prompt: String,
    /// Slack user id or GitHub login.
    pub sender: String,
    pub labels: Vec<String>,
    /// Where it came from, for a person: issue URL or Slack channel id.
    pub reference: Option<String>,
    /// A provider's own id for the event (Slack `event_id`), deduplicated
    /// like delivery ids since Slack retries an event with a fresh signature.
    pub event_id: Option<String>,
}

/// What a verified delivery asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Proposal(ProposalDraft),
    /// Slack `url_verification`: answer with the challenge.
    Challenge(String),
    /// GitHub `ping`.
    Pong,
    /// A slash command that was not a valid `run`: the text to show the user.
    Usage(String),
    /// Verified but nothing to do (another event type, a bot, no trigger).
    Ignored(String),
}

/// The body is not what the endpoint expects (after a valid signature).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {what}: {why}")]
pub struct ParseError {
    pub what: &'static str,
    pub why: String,
}

/// serde_json's messages can quote the body ("invalid type: string \"...\""):
/// delivery records get only the kind of error and where it is.
fn json_error(what: &'static str, e: &serde_json::Error) -> ParseError {
    let kind = match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected shape",
        serde_json::error::Category::Eof => "truncated",
    };
    malformed(
        what,
        format!("{kind} at line {} column {}", e.line(), e.column()),
    )
}

fn malformed(what: &'static str, why: impl Into<String>) -> ParseError {
    ParseError {
        what,
        why: why.into(),
    }
}

pub const USAGE: &str =
    "usage: run <owner/repo> <prompt>  (e.g. `run acme/api fix the flaky login test`)";

/// Parses a verified body for its route.
pub fn parse_verified(route: &Route, body: &[u8]) -> Result<Parsed, ParseError> {
    match route {
        Route::SlackCommand => parse_slack_command(body),
        Route::SlackEvent => parse_slack_event(body),
        Route::Github { event } => parse_github(event, body),
    }
}

/// A `run` request parsed from command text.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run { repo: String, prompt: String },
    Help,
}

/// `run <owner/repo> <prompt...>` or `help`; `Err` is the usage message.
pub fn parse_command_text(text: &str) -> Result<Command, String> {
    let text = text.trim();
    let (verb, rest) = split_word(text);
    match verb {
        "" | "help" => Ok(Command::Help),
        "run" => {
            let (repo, prompt) = split_word(rest);
            if repo.is_empty() {
                return Err(format!("`run` needs a repository. {USAGE}"));
            }
            if !is_repo_name(repo) {
                return Err(format!(
                    "{repo:?} is not a repository name (owner/name). {USAGE}"
                ));
            }
            let prompt = prompt.trim();
            if prompt.is_empty() {
                return Err(format!("`run {repo}` needs a prompt. {USAGE}"));
            }
            check_prompt(prompt)?;
            Ok(Command::Run {
                repo: repo.to_string(),
                prompt: prompt.to_string(),
            })
        }
        other => Err(format!("unknown command {other:?}. {USAGE}")),
    }
}

fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

/// `owner/name`, GitHub's character set, no `.`/`..` parts.
pub fn is_repo_name(s: &str) -> bool {
    let mut parts = s.split('/');
    let (Some(owner), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    [owner, name].iter().all(|p| {
        !p.is_empty()
            && p.len() <= 100
            && *p != "."
            && *p != ".."
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    })
}

fn check_prompt(prompt: &str) -> Result<(), String> {
    if prompt.len() > MAX_PROMPT_BYTES {
        return Err(format!(
            "the prompt is longer than {MAX_PROMPT_BYTES} bytes"
        ));
    }
    if prompt
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err("the prompt contains control characters".into());
    }
    Ok(())
}

fn check_ident(what: &'static str, value: &str) -> Result<(), ParseError> {
    if value.is_empty() || value.len() > MAX_SENDER_BYTES || value.chars().any(char::is_control) {
        return Err(malformed(
            what,
            "empty, too long or with control characters",
        ));
    }
    Ok(())
}

fn parse_slack_command(body: &[u8]) -> Result<Parsed, ParseError> {
    const WHAT: &str = "Slack slash command form";
    let text = std::str::from_utf8(body).map_err(|_| malformed(WHAT, "body is not UTF-8"))?;
    let (mut user, mut command_text, mut channel, mut command) = (None, None, None, None);
    for (key, value) in form_urlencoded::parse(text.as_bytes()) {
        let slot = match key.as_ref() {
            // Slack's periodic certificate check on the command URL.
            "ssl_check" => return Ok(Parsed::Ignored("Slack ssl_check".into())),
            "user_id" => &mut user,
            "text" => &mut command_text,
            "channel_id" => &mut channel,
            "command" => &mut command,
            _ => continue,
        };
        if slot.is_some() {
            return Err(malformed(WHAT, format!("field {key:?} given twice")));
        }
        *slot = Some(value.into_owned());
    }
    let user = user.ok_or_else(|| malformed(WHAT, "no user_id"))?;
    let command = command.ok_or_else(|| malformed(WHAT, "no command"))?;
    let command_text = command_text.ok_or_else(|| malformed(WHAT, "no text"))?;
    check_ident("Slack user_id", &user)?;
    if !command.starts_with('/') {
        return Err(malformed(WHAT, "command does not start with /"));
    }
    match parse_command_text(&command_text) {
        Ok(Command::Help) => Ok(Parsed::Usage(USAGE.to_string())),
        Err(usage) => Ok(Parsed::Usage(usage)),
        Ok(Command::Run { repo, prompt }) => Ok(Parsed::Proposal(ProposalDraft {
            source: Source::Slack,
            repo,
            prompt,
            sender: user,
            labels: Vec::new(),
            reference: channel
                .filter(|c| !c.is_empty())
                .map(|c| format!("slack:{c}")),
            event_id: None,
        })),
    }
}

#[derive(Deserialize)]
struct SlackEnvelope {
    #[serde(rename = "type")]
    kind: String,
    challenge: Option<String>,
    event_id: Option<String>,
    event: Option<SlackEvent>,
}

#[derive(Deserialize)]
struct SlackEvent {
    #[serde(rename = "type")]
    kind: String,
    user: Option<String>,
    text: Option<String>,
    channel: Option<String>,
    bot_id: Option<String>,
}

fn parse_slack_event(body: &[u8]) -> Result<Parsed, ParseError> {
    const WHAT: &str = "Slack event JSON";
    let envelope: SlackEnvelope = serde_json::from_slice(body).map_err(|e| json_error(WHAT, &e))?;
    match envelope.kind.as_str() {
        "url_verification" => {
            let challenge = envelope
                .challenge
                .ok_or_else(|| malformed(WHAT, "url_verification without challenge"))?;
            if challenge.is_empty()
                || challenge.len() > 200
                || !challenge.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(malformed(WHAT, "challenge is not a short printable token"));
            }
            Ok(Parsed::Challenge(challenge))
        }
        "event_callback" => {
            let event = envelope
                .event
                .ok_or_else(|| malformed(WHAT, "event_callback without event"))?;
            if event.kind != "app_mention" {
                return Ok(Parsed::Ignored(format!(
                    "Slack event {:?} is not handled",
                    event.kind
                )));
            }
            if event.bot_id.is_some() {
                return Ok(Parsed::Ignored("mention by a bot".into()));
            }
            let user = event
                .user
                .ok_or_else(|| malformed(WHAT, "app_mention without user"))?;
            check_ident("Slack user", &user)?;
            let text = event.text.unwrap_or_default();
            // "<@U0LAN0Z89> run acme/api ..." — drop the leading mention.
            let after_mention = match text.trim_start().strip_prefix("<@") {
                Some(rest) => rest.split_once('>').map_or("", |(_, after)| after),
                None => text.as_str(),
            };
            match parse_command_text(after_mention) {
                Ok(Command::Run { repo, prompt }) => Ok(Parsed::Proposal(ProposalDraft {
                    source: Source::Slack,
                    repo,
                    prompt,
                    sender: user,
                    labels: Vec::new(),
                    reference: event.channel.map(|c| format!("slack:{c}")),
                    event_id: envelope.event_id,
                })),
                Ok(Command::Help) | Err(_) => {
                    Ok(Parsed::Ignored("mention without a `run` request".into()))
                }
            }
        }
        other => Ok(Parsed::Ignored(format!(
            "Slack payload type {other:?} is not handled"
        ))),
    }
}

#[derive(Deserialize)]
struct GithubPayload {
    action: Option<String>,
    label: Option<GithubLabel>,
    issue: Option<GithubIssue>,
    comment: Option<GithubComment>,
    repository: Option<GithubRepo>,
    sender: Option<GithubUser>,
}

#[derive(Deserialize)]
struct GithubLabel {
    name: String,
}

#[derive(Deserialize)]
struct GithubIssue {
    title: String,
    body: Option<String>,
    html_url: Option<String>,
    #[serde(default)]
    labels: Vec<GithubLabel>,
}

#[derive(Deserialize)]
struct GithubComment {
    body: String,
}

#[derive(Deserialize)]
struct GithubRepo {
    full_name: String,
}

#[derive(Deserialize)]
struct GithubUser {
    login: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

fn parse_github(event: &str, body: &[u8]) -> Result<Parsed, ParseError> {
    const WHAT: &str = "GitHub event JSON";
    // Every GitHub event is a JSON object: check that even for events we ignore.
    let payload: GithubPayload = serde_json::from_slice(body).map_err(|e| json_error(WHAT, &e))?;
    if event == "ping" {
        return Ok(Parsed::Pong);
    }
    if event != "issues" && event != "issue_comment" {
        return Ok(Parsed::Ignored(format!(
            "GitHub event {event:?} is not handled"
        )));
    }
    let sender = payload.sender.ok_or_else(|| malformed(WHAT, "no sender"))?;
    if sender.kind.as_deref() == Some("Bot") {
        return Ok(Parsed::Ignored("sent by a bot".into()));
    }
    let action = payload.action.unwrap_or_default();
    let issue = payload.issue.ok_or_else(|| malformed(WHAT, "no issue"))?;
    let repo = payload
        .repository
        .ok_or_else(|| malformed(WHAT, "no repository"))?
        .full_name;
    let prompt = match event {
        "issues" => {
            let added = payload.label.map(|l| l.name).unwrap_or_default();
            if action != "labeled" || added != TRIGGER_LABEL {
                return Ok(Parsed::Ignored(format!(
                    "issues.{action} without the {TRIGGER_LABEL:?} label"
                )));
            }
            issue_prompt(&issue)
        }
        _ => {
            let comment = payload
                .comment
                .ok_or_else(|| malformed(WHAT, "issue_comment without comment"))?;
            let Some(asked) = comment_request(&comment.body) else {
                return Ok(Parsed::Ignored("comment without `/paddock run`".into()));
            };
            if action != "created" {
                return Ok(Parsed::Ignored(format!(
                    "issue_comment.{action} is not a new request"
                )));
            }
            if asked.is_empty() {
                issue_prompt(&issue)
            } else {
                asked
            }
        }
    };
    if !is_repo_name(&repo) {
        return Err(malformed(WHAT, "repository.full_name is not owner/name"));
    }
    check_ident("GitHub login", &sender.login)?;
    check_prompt(&prompt).map_err(|why| malformed(WHAT, why))?;
    if prompt.trim().is_empty() {
        return Err(malformed(WHAT, "empty prompt"));
    }
    if issue.labels.len() > MAX_LABELS {
        return Err(malformed(WHAT, "too many labels"));
    }
    let mut labels = Vec::with_capacity(issue.labels.len());
    for label in issue.labels {
        if label.name.len() > MAX_LABEL_BYTES || label.name.chars().any(char::is_control) {
            return Err(malformed(
                WHAT,
                "a label is too long or has control characters",
            ));
        }
        labels.push(label.name);
    }
    Ok(Parsed::Proposal(ProposalDraft {
        source: Source::Github,
        repo,
        prompt,
        sender: sender.login,
        labels,
        reference: issue.html_url,
        event_id: None,
    }))
}

fn issue_prompt(issue: &GithubIssue) -> String {
    match issue
        .body
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
    {
        Some(body) => format!("{}\n\n{body}", issue.title.trim()),
        None => issue.title.trim().to_string(),
    }
}

/// `/paddock run [prompt...]` on the comment's first non-empty line; the
/// prompt is the rest of that line plus the following lines.
fn comment_request(body: &str) -> Option<String> {
    let body = body.trim_start();
    let rest = body.strip_prefix("/paddock")?;
    let rest = rest
        .strip_prefix(|c: char| c == ' ' || c == '\t')?
        .trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix("run")?;
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    Some(rest.trim().to_string())
}

/// One fuzz input, shared by the cargo-fuzz target (`crates/webhooks/fuzz`)
/// and the stable randomized test: the first byte picks the route, the rest
/// is the body. Checks what must hold for every input: no panic, and any
/// proposal is well-formed. Also runs the header checks on the same bytes.
#[doc(hidden)]
pub fn fuzz_one(data: &[u8]) {
    const EVENTS: [&str; 5] = ["issues", "issue_comment", "ping", "push", "pull_request"];
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let route = match selector % 7 {
        0 => Route::SlackCommand,
        1 => Route::SlackEvent,
        n => Route::Github {
            event: EVENTS[(n as usize - 2) % EVENTS.len()].to_string(),
        },
    };
    if let Ok(Parsed::Proposal(p)) = parse_verified(&route, body) {
        assert!(
            is_repo_name(&p.repo),
            "proposal with a bad repo {:?}",
            p.repo
        );
        assert!(
            !p.prompt.trim().is_empty() && p.prompt.len() <= MAX_PROMPT_BYTES,
            "bad prompt length"
        );
        assert!(
            !p.sender.is_empty() && p.sender.len() <= MAX_SENDER_BYTES,
            "bad sender"
        );
        assert_eq!(p.source, route.source());
    }
    if let Ok(text) = std::str::from_utf8(body) {
        let now =
            chrono::DateTime::<chrono::Utc>::UNIX_EPOCH + chrono::Duration::seconds(1_700_000_000);
        let _ = crate::verify::slack_timestamp(text, now);
        let _ = crate::verify::verify_slack(b"k", text, text, body);
        let _ = crate::verify::verify_github(b"k", text, body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_text_grammar() {
        assert_eq!(parse_command_text(""), Ok(Command::Help));
        assert_eq!(parse_command_text("  help "), Ok(Command::Help));
        assert_eq!(
            parse_command_text("run acme/api  fix the\nflaky test "),
            Ok(Command::Run {
                repo: "acme/api".into(),
                prompt: "fix the\nflaky test".into()
            })
        );
        for bad in [
            "run",
            "run acme/api",
            "run acme fix",
            "run ../x fix",
            "run a/b/c fix",
            "deploy acme/api x",
        ] {
            assert!(
                parse_command_text(bad).is_err(),
                "{bad:?} should be a usage error"
            );
        }
    }

    #[test]
    fn comment_requests() {
        assert_eq!(
            comment_request("/paddock run fix it"),
            Some("fix it".into())
        );
        assert_eq!(
            comment_request("  /paddock run\nmore text"),
            Some("more text".into())
        );
        assert_eq!(comment_request("/paddock run"), Some(String::new()));
        assert_eq!(comment_request("/paddock running"), None);
        assert_eq!(comment_request("/paddockrun x"), None);
        assert_eq!(comment_request("please /paddock run x"), None);
    }
}
