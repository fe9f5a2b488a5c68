//! What is remembered about each delivery: who, when, the verdict and why.
//! Never the body (only its length and SHA-256) and never the secret or the
//! signature header.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Source;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Verified and acted on (a proposal, a challenge answered, a ping).
    Accepted,
    /// Verified, but asked for nothing Paddock does.
    Ignored,
    /// Refused: see the status and reason.
    Rejected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Ignored => "ignored",
            Verdict::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "accepted" => Some(Verdict::Accepted),
            "ignored" => Some(Verdict::Ignored),
            "rejected" => Some(Verdict::Rejected),
            _ => None,
        }
    }
}

/// One HTTP request to the listener and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    /// `None` when the path was not one of ours.
    pub source: Option<Source>,
    /// `/slack/commands`, `/slack/events`, `/github`, or `other`.
    pub endpoint: String,
    /// `X-GitHub-Delivery`, when present and well-formed.
    pub delivery_id: Option<String>,
    /// `X-GitHub-Event`, or `command`/`event` for Slack.
    pub event: Option<String>,
    pub status: u16,
    pub verdict: Verdict,
    pub reason: String,
    /// Bytes read, when the body was read.
    pub body_bytes: Option<u64>,
    /// Hex SHA-256 of the body, when it was read in full.
    pub body_sha256: Option<String>,
    pub proposal_id: Option<Uuid>,
    /// The TCP peer address.
    pub peer: Option<String>,
}

/// Receives every delivery, accepted or not. The engine wires one to the
/// audit trail (kind `webhook`); `paddock webhooks serve` prints JSON lines.
/// Called on the request path: keep it quick, never panic.
pub trait DeliveryObserver: Send + Sync {
    fn on_delivery(&self, delivery: &Delivery);
}
