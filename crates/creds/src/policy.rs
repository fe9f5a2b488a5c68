//! The IAM documents Paddock writes, and AWS's size and naming limits checked before any call.
//!
//! Sizes are counted as AWS counts them: the JSON with all whitespace outside strings removed
//! (`serde_json::to_string` output). An over-limit document is refused here with the numbers,
//! instead of as an opaque `LimitExceeded`/`PackedPolicyTooLarge` after half a lease was made.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::error::CredsError;
use crate::grants::Grant;

/// Plaintext limit of an `AssumeRole` session policy.
pub const SESSION_POLICY_MAX_CHARS: usize = 2_048;
/// Aggregate limit of all inline policies of one IAM user.
pub const USER_INLINE_POLICY_MAX_CHARS: usize = 2_048;
/// Limit of one customer-managed policy (the per-lease permissions boundary).
pub const MANAGED_POLICY_MAX_CHARS: usize = 6_144;
/// Tags per user or per session.
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_KEY_CHARS: usize = 128;
pub const MAX_TAG_VALUE_CHARS: usize = 256;

/// The `Sid` of the statement that denies everything after the lease's deadline.
pub const DEADLINE_SID: &str = "PaddockDeadline";
/// The `Sid` of the statement on a base role that cuts off one revoked session.
pub const REVOKED_SID: &str = "PaddockRevokedSession";

fn document(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn all_statements(grants: &[Grant]) -> Vec<Value> {
    grants.iter().flat_map(Grant::statements).collect()
}

/// The session policy passed to `AssumeRole`: the session can do at most this (and at most what the role can).
pub fn session_policy(grants: &[Grant]) -> Value {
    document(all_statements(grants))
}

/// The inline policy of a lease's IAM user: exactly the grants.
pub fn user_inline_policy(grants: &[Grant]) -> Value {
    document(all_statements(grants))
}

/// The statement that denies everything once `deadline` has passed. A backstop: if every
/// revocation path failed, the key is still dead after its deadline.
pub fn deadline_deny(deadline: DateTime<Utc>) -> Value {
    json!({
        "Sid": DEADLINE_SID,
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"DateGreaterThan": {"aws:CurrentTime": rfc3339(deadline)}},
    })
}

/// The per-lease permissions boundary of an IAM user: the grants, plus the deadline Deny.
/// Effective permissions are inline ∩ boundary, and an explicit Deny in a boundary wins.
pub fn user_boundary_policy(grants: &[Grant], deadline: DateTime<Utc>) -> Value {
    let mut statements = all_statements(grants);
    statements.push(deadline_deny(deadline));
    document(statements)
}

/// The inline policy put on the base role to revoke one assumed-role session early: deny every
/// action to sessions with this `SourceIdentity` issued before the revocation. Sessions started
/// later under the same identity are not affected; the policy is removed after the session's max life.
pub fn revoked_session_deny(source_identity: &str, revoked_at: DateTime<Utc>) -> Value {
    document(vec![json!({
        "Sid": REVOKED_SID,
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceIdentity": source_identity},
            "DateLessThan": {"aws:TokenIssueTime": rfc3339(revoked_at)},
        },
    })])
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The same value with every object's keys in sorted order, at every depth.
///
/// Why: serde_json keeps insertion order when any crate in the build enables its
/// `preserve_order` feature (the CLI does), and sorts keys otherwise. Stored scopes, sizes
/// and golden files must not change with who else is linked in.
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), canonical(&map[k]))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The document as sent to AWS (no whitespace, keys sorted), and its size in characters.
pub fn packed(doc: &Value) -> (String, usize) {
    let text = canonical(doc).to_string();
    let chars = text.chars().count();
    (text, chars)
}

/// Refuses a document over `max` characters, naming which document and by how much.
pub fn check_size(what: &'static str, doc: &Value, max: usize) -> Result<String, CredsError> {
    let (text, chars) = packed(doc);
    if chars > max {
        return Err(CredsError::PolicyTooLarge { what, chars, max });
    }
    Ok(text)
}

/// Checks tags against IAM/STS tag rules: count, key/value length, characters, no `aws:` prefix,
/// keys unique ignoring case.
pub fn check_tags(tags: &[(String, String)]) -> Result<(), CredsError> {
    let bad = |why: String| Err(CredsError::InvalidTag(why));
    if tags.len() > MAX_TAGS {
        return bad(format!("{} tags given; at most {MAX_TAGS} are allowed", tags.len()));
    }
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    let mut seen = std::collections::HashSet::new();
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > MAX_TAG_KEY_CHARS {
            return bad(format!("tag key `{k}` must be 1-{MAX_TAG_KEY_CHARS} characters"));
        }
        if v.chars().count() > MAX_TAG_VALUE_CHARS {
            return bad(format!("the value of tag `{k}` is over {MAX_TAG_VALUE_CHARS} characters"));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return bad(format!("tag key `{k}` uses the reserved `aws:` prefix"));
        }
        if !k.chars().all(allowed) || !v.chars().all(allowed) {
            return bad(format!("tag `{k}` has a character outside letters, digits, spaces and _.:/=+-@"));
        }
        if !seen.insert(k.to_lowercase()) {
            return bad(format!("tag key `{k}` appears twice (keys are case-insensitive)"));
        }
    }
    Ok(())
}

/// A task id usable in `paddock-<task>` as RoleSessionName and SourceIdentity
/// (2-64 characters of `[A-Za-z0-9_+=,.@-]`).
pub fn check_task_id(task: &str) -> Result<(), CredsError> {
    let ok = !task.is_empty()
        && task.len() <= 64 - "paddock-".len()
        && task.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(CredsError::InvalidTask(format!(
            "task id `{task}` must be 1-56 characters of letters, digits and _+=,.@- \
             (it becomes the session name and source identity `paddock-<task>`)"
        )))
    }
}
