//! Access control on the engine's local API, with `paddock-authz`: every
//! caller presents a PASETO v4.public bearer token (signed with the install's
//! key, `<data>/authz.key`, 0600, outside every sandbox) naming one actor and
//! a scope; Cedar policies decide on top of the scope.
//!
//! - The person's tools (CLI, app) mint themselves short user tokens: scope
//!   every action on `task:*`; the policies let a user act on *their* tasks
//!   (the task row records its owner).
//! - A task's agent gets a token for `gate.append_decision` and
//!   `approvals.wait` on its own task, living as long as the task's TTL; the
//!   engine also refuses it once the task no longer runs.
//! - A sub-agent token is minted from a parent token and can only be
//!   narrower (actions, lifetime; never another task).
//!
//! Refusals (forged, expired, out of scope, policy) become `warning` events
//! in the audit trail; no token text is ever logged or recorded.

use std::path::Path;
use std::sync::Arc;

use chrono::Duration;
use paddock_authz::{
    Action, Actor, AuthError, Authorizer, ChildRequest, Claims, Clock, Decision, MintError, ObjectId, Policies, Principal,
    Resource, Scope, ScopeResource, SigningKeys, SystemClock, TaskId, TaskRef, UserId,
};

use crate::error::EngineError;

/// How long a token minted for the person's tools lives.
pub const USER_TOKEN_TTL_SECS: i64 = 15 * 60;
/// Longest token lifetime (an agent token lives as long as its task's TTL).
pub const MAX_TOKEN_TTL_SECS: i64 = 7 * 24 * 3600;
/// What an agent token may do, on its own task only.
pub const AGENT_ACTIONS: [Action; 2] = [Action::GateAppendDecision, Action::ApprovalsWait];

/// The engine's token issuer and checker.
pub struct Access {
    authz: Authorizer,
    user: UserId,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access").field("user", &self.user).finish_non_exhaustive()
    }
}

fn setup(e: impl std::fmt::Display) -> EngineError {
    EngineError::Refused(format!("engine access control: {e}"))
}

fn mint_error(e: MintError) -> EngineError {
    EngineError::Refused(format!("cannot issue a token: {e}"))
}

impl Access {
    /// Loads (or creates, 0600) the signing key `<data_dir>/authz.key`.
    pub fn open(data_dir: &Path) -> Result<Access, EngineError> {
        let keys = SigningKeys::load_or_create(&SigningKeys::default_path(data_dir)).map_err(setup)?;
        Self::with_keys(keys)
    }

    /// With an explicit key, for the account this process runs as.
    pub fn with_keys(keys: SigningKeys) -> Result<Access, EngineError> {
        Self::new(keys, current_user()?, Arc::new(SystemClock))
    }

    /// Everything explicit: the key, the person, the clock (tests mint
    /// tokens for another user, or already expired ones, with these).
    pub fn new(keys: SigningKeys, user: UserId, clock: Arc<dyn Clock>) -> Result<Access, EngineError> {
        let policies = Policies::embedded().map_err(setup)?;
        let authz = Authorizer::new(keys, policies).with_max_ttl(Duration::seconds(MAX_TOKEN_TTL_SECS)).with_clock(clock);
        Ok(Access { authz, user })
    }

    /// The person this engine runs as (the owner of the tasks it creates).
    pub fn user(&self) -> &UserId {
        &self.user
    }

    /// A user token for the CLI or the app: every action, every task
    /// (the policies still confine it to this user's tasks).
    pub fn user_token(&self, ttl: Duration) -> Result<String, EngineError> {
        let scope = Scope { actions: Action::ALL.iter().copied().collect(), resources: [ScopeResource::AllTasks].into() };
        let token = self
            .authz
            .mint(Claims { actor: Actor::User { user: self.user.clone() }, scope, ttl, not_before: None })
            .map_err(mint_error)?;
        Ok(token.expose().to_owned())
    }

    /// The token handed to the agent of `task` (inside its sandbox).
    pub fn agent_token(&self, task: &str, ttl: Duration) -> Result<String, EngineError> {
        let task = task_id(task)?;
        let scope = Scope { actions: AGENT_ACTIONS.into(), resources: [ScopeResource::Task(task.clone())].into() };
        let ttl = ttl.min(Duration::seconds(MAX_TOKEN_TTL_SECS));
        let token = self
            .authz
            .mint(Claims { actor: Actor::Agent { task }, scope, ttl, not_before: None })
            .map_err(mint_error)?;
        Ok(token.expose().to_owned())
    }

    /// A sub-agent token from `parent`: refused unless it is narrower.
    pub fn child_token(&self, parent: &str, actions: &[Action], ttl: Duration) -> Result<String, MintError> {
        // The child's resource is the parent's own task; another task is a widening the authorizer refuses.
        let task = self.task_of(parent)?;
        let scope = Scope { actions: actions.iter().copied().collect(), resources: [ScopeResource::Task(task)].into() };
        Ok(self.authz.mint_child(parent, ChildRequest { scope, ttl })?.expose().to_owned())
    }

    /// The task of a verified agent or sub-agent token. The decision record
    /// names the verified actor even when the probe itself is refused.
    pub fn task_of(&self, token: &str) -> Result<TaskId, MintError> {
        let (result, decision) = self.authz.decide(token, Action::TasksList, &Resource::TaskList);
        match (decision.actor, result) {
            (Some(actor), _) => actor.task().cloned().ok_or(MintError::ParentNotAnAgent),
            (None, Err(e)) => Err(MintError::Parent(e)),
            (None, Ok(_)) => Err(MintError::ParentNotAnAgent),
        }
    }

    /// Decides a request; the decision record holds no token text.
    pub fn decide(&self, token: &str, action: Action, resource: &Resource) -> (Result<Principal, AuthError>, Decision) {
        self.authz.decide(token, action, resource)
    }

    /// The task as authz sees it.
    pub fn task_ref(task: &str, owner: &str) -> Result<TaskRef, EngineError> {
        let owner = UserId::new(owner).map_err(|e| EngineError::Refused(format!("task owner: {e}")))?;
        Ok(TaskRef::new(task_id(task)?, owner))
    }

    pub fn object_id(id: &str) -> Result<ObjectId, EngineError> {
        ObjectId::new(id).map_err(|e| EngineError::Refused(e.to_string()))
    }
}

pub fn task_id(task: &str) -> Result<TaskId, EngineError> {
    TaskId::new(task).map_err(|e| EngineError::Refused(e.to_string()))
}

/// The OS account this process runs as, as an authz user id: its name from
/// /etc/passwd when that is a valid id, else `uid-<n>`. Not from `$USER`,
/// which any process can set.
pub fn current_user() -> Result<UserId, EngineError> {
    let uid = rustix::process::getuid().as_raw();
    let name = std::fs::read_to_string("/etc/passwd").ok().and_then(|text| {
        text.lines().find_map(|line| {
            let mut f = line.split(':');
            let name = f.next()?;
            let id: u32 = f.nth(1)?.parse().ok()?;
            (id == uid).then(|| name.to_owned())
        })
    });
    match name.and_then(|n| UserId::new(n).ok()) {
        Some(user) => Ok(user),
        None => UserId::new(format!("uid-{uid}")).map_err(|e| EngineError::Refused(format!("user id: {e}"))),
    }
}
