//! Access control for the Paddock engine API.
//!
//! Every caller of the engine (the app, the CLI, the gate hook inside a sandbox, sub-agents)
//! presents a bearer token: a PASETO v4.public token signed with the install's Ed25519 key,
//! valid for a bounded time window, naming one actor and a scope (actions × task resources).
//! A request is allowed only if the token verifies, its scope covers the action and the
//! resource's task, **and** the embedded Cedar policies permit it.
//!
//! Invariants (stated as absences):
//! - No token names the `system` actor; the system bypass exists only in process
//!   ([`Authorizer::authorize_system`]) and is the only bypass.
//! - No sub-agent token is wider than its parent, in actions, resources or lifetime; no
//!   agent or sub-agent token names a task other than its own.
//! - No error, log line or [`Decision`] contains token text or key material; a token's id
//!   appears only after its signature verified.
//! - No wildcard except the whole-entry `task:*`; no prefix or pattern matching of ids.
//! - No policy set is loaded unless it validates against the schema in strict mode.

mod authorizer;
mod clock;
mod error;
mod keys;
mod model;
mod policy;
mod token;

pub use authorizer::{
    Authorizer, ChildRequest, Claims, DEFAULT_AUDIENCE, DEFAULT_MAX_TTL_SECS, Decision, Principal,
    Token,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AuthError, ErrorKind, MintError, SetupError};
pub use keys::{KEY_FILE_NAME, SigningKeys};
pub use model::{
    Action, Actor, InvalidName, ObjectId, Resource, Scope, ScopeResource, TaskId, TaskRef, UserId,
};
pub use policy::{EMBEDDED_POLICIES, EMBEDDED_SCHEMA, Policies};
pub use token::MAX_TOKEN_LEN;
