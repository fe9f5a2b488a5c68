//! The authorizer: mints tokens, narrows them for sub-agents, and decides requests.
//!
//! A request is allowed only when all three hold: the token verifies (format, signature,
//! audience, validity window), its scope names the action and the resource's task, and the
//! Cedar policies permit it. The system actor is the one exception, and it has no token: the
//! engine calls [`Authorizer::authorize_system`] in process.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::{Clock, SystemClock};
use crate::error::{AuthError, ErrorKind, MintError};
use crate::keys::SigningKeys;
use crate::model::{Action, Actor, Resource, Scope, ScopeResource};
use crate::policy::Policies;
use crate::token::{self, ISSUER, Payload, TokenActor};

/// Audience of tokens for the engine API unless configured otherwise.
pub const DEFAULT_AUDIENCE: &str = "paddock-engine";
/// Longest lifetime a token may be minted with unless configured otherwise (an overnight run).
pub const DEFAULT_MAX_TTL_SECS: i64 = 24 * 3600;

/// What to put in a new token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub actor: Actor,
    pub scope: Scope,
    /// Lifetime from now (or from `not_before` when set).
    pub ttl: Duration,
    /// Start of validity; now when `None`.
    pub not_before: Option<DateTime<Utc>>,
}

/// What a sub-agent asks for; it must fit inside its parent token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildRequest {
    pub scope: Scope,
    /// Lifetime from now; refused (not shortened) if it would outlive the parent.
    pub ttl: Duration,
}

/// A minted bearer token. `Debug` never shows the token text; [`Token::expose`] is the one
/// way to get it, to hand to the process that will present it.
#[derive(Clone)]
pub struct Token {
    id: Uuid,
    bearer: String,
    actor: Actor,
    scope: Scope,
    not_before: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl Token {
    pub fn id(&self) -> Uuid {
        self.id
    }
    /// The bearer string. Secret: never log it, never put it in the audit trail.
    pub fn expose(&self) -> &str {
        &self.bearer
    }
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
    pub fn not_before(&self) -> DateTime<Utc> {
        self.not_before
    }
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("id", &self.id)
            .field("actor", &self.actor)
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .field("bearer", &"<redacted>")
            .finish()
    }
}

/// Who an allowed request came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub actor: Actor,
    /// `None` only for the system actor.
    pub token_id: Option<Uuid>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The record of one authorization decision, for the audit trail. Holds no token text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub at: DateTime<Utc>,
    /// Who asked; `None` when the token could not be verified (then nobody is known).
    pub actor: Option<Actor>,
    pub token_id: Option<Uuid>,
    pub action: Action,
    /// The resource in its display form (`task:T`, `approval:T/A`, ...).
    pub resource: String,
    pub allowed: bool,
    /// Why it was refused; `None` when allowed.
    pub error_kind: Option<ErrorKind>,
    /// Human-readable: the permitting path or the refusal message.
    pub reason: String,
}

pub struct Authorizer {
    keys: SigningKeys,
    policies: Policies,
    clock: Arc<dyn Clock>,
    audience: String,
    max_ttl: Duration,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer")
            .field("key_id", &self.keys.key_id())
            .field("audience", &self.audience)
            .field("max_ttl", &self.max_ttl)
            .finish_non_exhaustive()
    }
}

impl Authorizer {
    pub fn new(keys: SigningKeys, policies: Policies) -> Self {
        Authorizer {
            keys,
            policies,
            clock: Arc::new(SystemClock),
            audience: DEFAULT_AUDIENCE.to_owned(),
            max_ttl: Duration::seconds(DEFAULT_MAX_TTL_SECS),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The service these tokens are for; tokens minted for another audience are refused.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    pub fn with_max_ttl(mut self, max_ttl: Duration) -> Self {
        self.max_ttl = max_ttl;
        self
    }

    pub fn key_id(&self) -> String {
        self.keys.key_id()
    }

    /// Mints a token for a user or an agent. Sub-agent tokens come only from
    /// [`Authorizer::mint_child`]; the system actor gets none.
    pub fn mint(&self, claims: Claims) -> Result<Token, MintError> {
        if matches!(claims.actor, Actor::SubAgent { .. }) {
            return Err(MintError::SubAgentWithoutParent);
        }
        self.mint_checked(claims)
    }

    /// Mints a sub-agent token from `parent_token` (an agent's or sub-agent's), refusing any
    /// request that is not a subset of the parent's scope or that would outlive it.
    pub fn mint_child(
        &self,
        parent_token: &str,
        request: ChildRequest,
    ) -> Result<Token, MintError> {
        let parent = self.verify(parent_token).map_err(MintError::Parent)?;
        let task = match &parent.actor {
            TokenActor::Agent { task } | TokenActor::SubAgent { task, .. } => task.clone(),
            TokenActor::User { .. } => return Err(MintError::ParentNotAnAgent),
        };
        if !request.scope.is_subset_of(&parent.scope) {
            return Err(MintError::Widening {
                parent: parent.jti,
                reason: widening_reason(&request.scope, &parent.scope),
            });
        }
        let now = self.clock.now();
        if now + request.ttl > parent.exp {
            return Err(MintError::Widening {
                parent: parent.jti,
                reason: format!("the child would expire after the parent ({})", parent.exp),
            });
        }
        self.mint_checked(Claims {
            actor: Actor::SubAgent {
                task,
                parent_token: parent.jti,
            },
            scope: request.scope,
            ttl: request.ttl,
            not_before: None,
        })
    }

    fn mint_checked(&self, claims: Claims) -> Result<Token, MintError> {
        let actor = TokenActor::from_actor(&claims.actor).ok_or(MintError::SystemActor)?;
        if claims.scope.is_empty() {
            return Err(MintError::EmptyScope);
        }
        // No agent or sub-agent token names a task other than its own.
        if let Some(task) = claims.actor.task()
            && let Some(foreign) = claims
                .scope
                .resources
                .iter()
                .find(|r| **r != ScopeResource::Task(task.clone()))
        {
            return Err(MintError::ForeignTask {
                task: task.to_string(),
                resource: foreign.to_string(),
            });
        }
        if claims.ttl <= Duration::zero() || claims.ttl > self.max_ttl {
            return Err(MintError::BadLifetime {
                max_secs: self.max_ttl.num_seconds(),
            });
        }
        let now = self.clock.now();
        let nbf = claims.not_before.unwrap_or(now);
        // A future start must not stretch a token's reach past the maximum lifetime from now.
        if nbf + claims.ttl > now + self.max_ttl {
            return Err(MintError::BadLifetime {
                max_secs: self.max_ttl.num_seconds(),
            });
        }
        let payload = Payload {
            iss: ISSUER.to_owned(),
            aud: self.audience.clone(),
            jti: Uuid::now_v7(),
            iat: now,
            nbf,
            exp: nbf + claims.ttl,
            actor,
            scope: claims.scope,
        };
        let bearer = token::sign(&self.keys, &payload)?;
        tracing::debug!(token_id = %payload.jti, actor = %claims.actor, exp = %payload.exp, "minted token");
        Ok(Token {
            id: payload.jti,
            bearer,
            actor: claims.actor,
            scope: payload.scope,
            not_before: payload.nbf,
            expires_at: payload.exp,
        })
    }

    /// Signature, issuer, audience and validity window.
    fn verify(&self, token: &str) -> Result<Payload, AuthError> {
        let payload = token::verify(&self.keys, token)?;
        if payload.iss != ISSUER {
            return Err(AuthError::Malformed("issuer is not Paddock"));
        }
        if payload.aud != self.audience {
            return Err(AuthError::WrongAudience {
                token_id: payload.jti,
            });
        }
        let now = self.clock.now();
        if now < payload.nbf {
            return Err(AuthError::NotYetValid {
                token_id: payload.jti,
                not_before: payload.nbf,
            });
        }
        if now >= payload.exp {
            return Err(AuthError::Expired {
                token_id: payload.jti,
                expired_at: payload.exp,
            });
        }
        Ok(payload)
    }

    /// Decides whether the holder of `token` may do `action` on `resource`.
    pub fn authorize(
        &self,
        token: &str,
        action: Action,
        resource: &Resource,
    ) -> Result<Principal, AuthError> {
        self.evaluate(token, action, resource).result
    }

    fn evaluate(&self, token: &str, action: Action, resource: &Resource) -> Outcome {
        let payload = match self.verify(token) {
            Ok(p) => p,
            Err(e) => return Outcome::refused(None, e, None),
        };
        let actor = payload.actor.into_actor();
        if !payload.scope.allows(action, resource) {
            let e = AuthError::OutOfScope {
                token_id: payload.jti,
                action,
                resource: resource.to_string(),
            };
            return Outcome::refused(Some(actor), e, None);
        }
        if let Err(reason) = self
            .policies
            .evaluate(&actor, payload.jti, action, resource)
        {
            let e = AuthError::PolicyDenied {
                token_id: payload.jti,
                action,
                resource: resource.to_string(),
            };
            return Outcome::refused(Some(actor), e, Some(reason));
        }
        Outcome {
            result: Ok(Principal {
                actor,
                token_id: Some(payload.jti),
                expires_at: Some(payload.exp),
            }),
            actor: None,
            detail: None,
        }
    }

    /// [`Authorizer::authorize`] plus the [`Decision`] record the engine appends to the audit
    /// trail. Refusals are also logged here (`tracing` warn) with the same fields.
    pub fn decide(
        &self,
        token: &str,
        action: Action,
        resource: &Resource,
    ) -> (Result<Principal, AuthError>, Decision) {
        let outcome = self.evaluate(token, action, resource);
        let decision = self.record(&outcome, action, resource);
        if !decision.allowed {
            tracing::warn!(
                kind = decision.error_kind.map(ErrorKind::as_str).unwrap_or("unknown"),
                token_id = ?decision.token_id,
                actor = ?decision.actor,
                %action,
                resource = %decision.resource,
                reason = %decision.reason,
                "engine API request refused"
            );
        }
        (outcome.result, decision)
    }

    /// The system actor's bypass — the only one. No token, no scope, no Cedar: the engine's
    /// own housekeeping (timeouts, cleanup, revocation) runs as system. Still recorded.
    pub fn authorize_system(&self, action: Action, resource: &Resource) -> (Principal, Decision) {
        let principal = Principal {
            actor: Actor::System,
            token_id: None,
            expires_at: None,
        };
        let decision = Decision {
            at: self.clock.now(),
            actor: Some(Actor::System),
            token_id: None,
            action,
            resource: resource.to_string(),
            allowed: true,
            error_kind: None,
            reason: "system actor bypass".to_owned(),
        };
        (principal, decision)
    }

    fn record(&self, outcome: &Outcome, action: Action, resource: &Resource) -> Decision {
        let (actor, token_id, allowed, error_kind, reason) = match &outcome.result {
            Ok(p) => (
                Some(p.actor.clone()),
                p.token_id,
                true,
                None,
                "token valid, in scope, permitted by policy".to_owned(),
            ),
            Err(e) => {
                let reason = match &outcome.detail {
                    Some(detail) => format!("{e}: {detail}"),
                    None => e.to_string(),
                };
                (
                    outcome.actor.clone(),
                    e.token_id(),
                    false,
                    Some(e.kind()),
                    reason,
                )
            }
        };
        Decision {
            at: self.clock.now(),
            actor,
            token_id,
            action,
            resource: resource.to_string(),
            allowed,
            error_kind,
            reason,
        }
    }
}

/// The result of one evaluation, with what the audit record needs beyond the error.
struct Outcome {
    result: Result<Principal, AuthError>,
    /// The verified actor of a refused request (`None` when the token did not verify).
    actor: Option<Actor>,
    /// Cedar's reason for a policy denial.
    detail: Option<String>,
}

impl Outcome {
    fn refused(actor: Option<Actor>, e: AuthError, detail: Option<String>) -> Self {
        Outcome {
            result: Err(e),
            actor,
            detail,
        }
    }
}

fn widening_reason(child: &Scope, parent: &Scope) -> String {
    let actions: Vec<&str> = child
        .actions
        .difference(&parent.actions)
        .map(|a| a.as_str())
        .collect();
    let resources: Vec<String> = child
        .resources
        .iter()
        .filter(|r| {
            !parent.resources.contains(r) && !parent.resources.contains(&ScopeResource::AllTasks)
        })
        .map(ToString::to_string)
        .collect();
    let mut parts = Vec::new();
    if !actions.is_empty() {
        parts.push(format!("actions not in the parent: {}", actions.join(", ")));
    }
    if !resources.is_empty() {
        parts.push(format!(
            "resources not in the parent: {}",
            resources.join(", ")
        ));
    }
    parts.join("; ")
}
