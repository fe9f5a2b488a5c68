//! `paddock-engine`: runs agent tasks end to end, unattended and safely.
//!
//! A task ([`TaskSpec`]) gets a git worktree on branch `paddock/<task>`, its
//! own egress proxy (unix socket, allowlist, injected API keys), its own API
//! socket for the gate hook, and an agent ([`AgentKind`]: Claude Code, Codex
//! or any command) started inside the sandbox as uid 1000 with ProxyOnly
//! network. Output streams to the caller ([`OutputSink`]) and, chunked, to
//! the audit trail; egress records become `egress` events. On exit, TTL or
//! stop, everything is stopped, credentials are revoked through the
//! [`CredentialLeaser`] seam and Paddock commits the worktree.
//!
//! Invariants, stated as absences:
//! - no agent process without a sandbox, unless `PADDOCK_ALLOW_UNSANDBOXED=1`
//!   (then a `warning` event says so);
//! - no bypass-mode task on a production repository without the user's
//!   acknowledgement;
//! - no commit by anyone but Paddock: the repository's git dir is mounted
//!   read-only in the sandbox, the worktree's `.git` file is write-protected,
//!   and Paddock's own git runs with hooks off and the git dir named
//!   explicitly, so nothing the agent wrote runs on the host;
//! - no real API key, user token or data dir inside the sandbox (the agent
//!   gets a placeholder key and a token that can only append gate decisions
//!   and request approvals for its own task);
//! - no task left `running` after its engine died: the next engine start
//!   revokes, commits and marks it failed ([`Engine::recover`]);
//! - no API request without a valid, unexpired, in-scope bearer token that
//!   the Cedar policies permit ([`Access`], `paddock-authz`); no agent token
//!   that outlives its task in this engine or reaches another task; no
//!   sub-agent token wider than its parent; refusals are `warning` events.

mod access;
mod agent;
pub mod api;
mod approvals;
mod command_line;
mod creds;
mod engine;
mod error;
mod events;
mod gate_choice;
mod output;
mod runner;
mod seams;
mod store;
mod worktree;

pub use agent::AgentKind;
pub use access::{AGENT_ACTIONS, Access, MAX_TOKEN_TTL_SECS, USER_TOKEN_TTL_SECS, current_user};
pub use api::{ChildTokenIn, GateDecisionIn, GateDecisionOut};
pub use approvals::{ApprovalDecision, ApprovalRequest};
/// The API's blocking client (std sockets, no runtime), shared with the gate hook.
pub use paddock_engine_api::{Client, ClientError};
pub use command_line::task_words;
pub use gate_choice::ONBOARDING_FILE;
pub use engine::{Engine, EngineConfig, HOOK_BIN_NAME, Recovery, process_start_time};
pub use error::EngineError;
pub use runner::{NullSink, OutputSink, Stream, TaskSpec, new_task_id};
pub use creds::{AwsLeaser, aws_config_path, load_aws_config};
pub use events::EngineEvent;
/// The access-control vocabulary (actions, actors, token errors), for embedders.
pub use paddock_authz as authz;
pub use seams::{CredentialLeaser, LeaseEnv, NoCredentials};
/// Named tool caches a task may write (its sandbox profile).
pub use paddock_sandbox::ToolCache;
pub use store::{ApprovalRecord, ApprovalState, Store, TaskRecord, TaskState};
pub use worktree::{COMMITTER_EMAIL, COMMITTER_NAME};
