//! The token format: PASETO v4.public (Ed25519 over a JSON payload), no footer, with an
//! implicit assertion binding every signature to this purpose.
//!
//! PASETO has no algorithm header: the `v4.public.` prefix fixes the algorithm, so the JWT
//! family of attacks (`alg: none`, HS256-with-the-public-key) has nothing to grab. The payload
//! is parsed only after the signature verifies, and strictly (unknown fields, unknown actions,
//! ill-formed ids and the `system` actor are all "malformed").

use chrono::{DateTime, Utc};
use pasetors::Public;
use pasetors::token::UntrustedToken;
use pasetors::version4::{PublicToken, V4};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AuthError, MintError};
use crate::keys::SigningKeys;
use crate::model::{Actor, Scope, TaskId, UserId};

/// Bound to every signature, so nothing else this key might ever sign is a token.
const IMPLICIT_ASSERTION: &[u8] = b"paddock-authz-token-v1";
/// Issuer claim of every Paddock token.
pub(crate) const ISSUER: &str = "paddock";
/// Tokens longer than this are refused before any decoding work.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The actors a token can name: everything but `system`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum TokenActor {
    User { user: UserId },
    Agent { task: TaskId },
    SubAgent { task: TaskId, parent_token: Uuid },
}

impl TokenActor {
    pub(crate) fn from_actor(actor: &Actor) -> Option<Self> {
        match actor.clone() {
            Actor::User { user } => Some(TokenActor::User { user }),
            Actor::Agent { task } => Some(TokenActor::Agent { task }),
            Actor::SubAgent { task, parent_token } => {
                Some(TokenActor::SubAgent { task, parent_token })
            }
            Actor::System => None,
        }
    }

    pub(crate) fn into_actor(self) -> Actor {
        match self {
            TokenActor::User { user } => Actor::User { user },
            TokenActor::Agent { task } => Actor::Agent { task },
            TokenActor::SubAgent { task, parent_token } => Actor::SubAgent { task, parent_token },
        }
    }
}

/// The signed payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Payload {
    pub iss: String,
    pub aud: String,
    pub jti: Uuid,
    pub iat: DateTime<Utc>,
    pub nbf: DateTime<Utc>,
    pub exp: DateTime<Utc>,
    pub actor: TokenActor,
    pub scope: Scope,
}

pub(crate) fn sign(keys: &SigningKeys, payload: &Payload) -> Result<String, MintError> {
    let json = serde_json::to_vec(payload).map_err(|_| MintError::Signing)?;
    PublicToken::sign(keys.secret(), &json, None, Some(IMPLICIT_ASSERTION))
        .map_err(|_| MintError::Signing)
}

/// Checks format and signature and parses the payload. Time, audience and scope are the
/// caller's to check (they need the clock and the request).
pub(crate) fn verify(keys: &SigningKeys, token: &str) -> Result<Payload, AuthError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(AuthError::Malformed(
            "longer than any token this engine issues",
        ));
    }
    if !token.starts_with(PublicToken::HEADER) {
        return Err(AuthError::Malformed("not a PASETO v4.public token"));
    }
    let untrusted = UntrustedToken::<Public, V4>::try_from(token)
        .map_err(|_| AuthError::Malformed("not a well-formed PASETO v4.public token"))?;
    if !untrusted.untrusted_footer().is_empty() {
        return Err(AuthError::Malformed(
            "has a footer; engine tokens have none",
        ));
    }
    let trusted = PublicToken::verify(keys.public(), &untrusted, None, Some(IMPLICIT_ASSERTION))
        .map_err(|_| AuthError::Forged)?;
    serde_json::from_str::<Payload>(trusted.payload())
        .map_err(|_| AuthError::Malformed("signed payload is not a Paddock token"))
}
