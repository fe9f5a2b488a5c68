//! IAM role bindings for GCP grants, as pure functions over the REST policy JSON (the same shape
//! for Resource Manager and Cloud Storage policies): what to bind where, with which condition, and
//! the read-modify-write edits that add a lease's bindings or take them out again.
//!
//! Every binding carries the condition `request.time < timestamp("<deadline>")`: if revocation
//! never ran, the binding is dead after the deadline anyway. Prefix grants add a clause on the
//! object name (and on the listing prefix, so `objects.list` with that prefix works too).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::grants::Grant;

/// Where a binding goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// `projects/<id>` (Resource Manager v3).
    Project(String),
    /// A Cloud Storage bucket (Storage JSON API).
    Bucket(String),
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resource::Project(p) => write!(f, "projects/{p}"),
            Resource::Bucket(b) => write!(f, "bucket {b}"),
        }
    }
}

/// One binding a grant asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub resource: Resource,
    pub role: String,
    /// The condition's expression (CEL).
    pub expression: String,
}

pub const OBJECT_VIEWER: &str = "roles/storage.objectViewer";
pub const OBJECT_CREATOR: &str = "roles/storage.objectCreator";

/// RFC 3339 with whole seconds and `Z`, as CEL's `timestamp()` takes it.
pub fn cel_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn deadline_clause(deadline: DateTime<Utc>) -> String {
    format!("request.time < timestamp(\"{}\")", cel_time(deadline))
}

/// The bindings `grants` need. Prefixes were checked by the grant parser to hold no quote,
/// backslash or control character, so they are safe inside a CEL string literal.
pub fn plan(grants: &[Grant], project: &str, deadline: DateTime<Utc>) -> Vec<Planned> {
    let time = deadline_clause(deadline);
    let objects = |bucket: &str, prefix: &str| format!("projects/_/buckets/{bucket}/objects/{prefix}/");
    grants
        .iter()
        .filter_map(|g| {
            let (resource, role, expression) = match g {
                Grant::GcsRead { bucket, prefix } => {
                    let expr = match prefix {
                        None => time.clone(),
                        Some(p) => format!(
                            "{time} && (resource.name.startsWith(\"{}\") || \
                             api.getAttribute(\"storage.googleapis.com/objectListPrefix\", \"\").startsWith(\"{p}/\"))",
                            objects(bucket, p)
                        ),
                    };
                    (Resource::Bucket(bucket.clone()), OBJECT_VIEWER.to_string(), expr)
                }
                Grant::GcsWrite { bucket, prefix } => {
                    let expr = match prefix {
                        None => time.clone(),
                        Some(p) => format!("{time} && resource.name.startsWith(\"{}\")", objects(bucket, p)),
                    };
                    (Resource::Bucket(bucket.clone()), OBJECT_CREATOR.to_string(), expr)
                }
                Grant::GcsRole { bucket, role } => (Resource::Bucket(bucket.clone()), role.clone(), time.clone()),
                Grant::ProjectRole { role } => (Resource::Project(project.to_string()), role.clone(), time.clone()),
                _ => return None,
            };
            Some(Planned { resource, role, expression })
        })
        .collect()
}

/// The distinct resources of a plan, in a stable order.
pub fn resources(planned: &[Planned]) -> Vec<Resource> {
    let mut r: Vec<Resource> = planned.iter().map(|p| p.resource.clone()).collect();
    r.sort();
    r.dedup();
    r
}

/// The condition object of a lease's bindings. The title names the lease's service account, so
/// a person reading the policy in the console sees whose binding it is.
pub fn condition(title: &str, description: &str, expression: &str) -> Value {
    json!({ "title": title, "description": description, "expression": expression })
}

/// Adds `member` to a binding of each planned role with the planned condition (creating the
/// binding if no binding has exactly that role and condition). Sets `version` to 3, which
/// conditional bindings require. Returns whether the policy changed.
pub fn add_member(policy: &mut Value, member: &str, planned: &[&Planned], title: &str, description: &str) -> bool {
    let mut changed = false;
    if policy.get("version").and_then(Value::as_i64) != Some(3) {
        policy["version"] = json!(3);
        changed = true;
    }
    if !policy.get("bindings").is_some_and(Value::is_array) {
        policy["bindings"] = json!([]);
    }
    let Some(bindings) = policy.get_mut("bindings").and_then(Value::as_array_mut) else { return changed };
    for p in planned {
        let cond = condition(title, description, &p.expression);
        let existing = bindings.iter_mut().find(|b| {
            b.get("role").and_then(Value::as_str) == Some(p.role.as_str()) && b.get("condition") == Some(&cond)
        });
        match existing {
            Some(b) => {
                if !b.get("members").is_some_and(Value::is_array) {
                    b["members"] = json!([]);
                }
                if let Some(members) = b.get_mut("members").and_then(Value::as_array_mut)
                    && !members.iter().any(|m| m.as_str() == Some(member))
                {
                    members.push(json!(member));
                    changed = true;
                }
            }
            None => {
                bindings.push(json!({ "role": p.role, "members": [member], "condition": cond }));
                changed = true;
            }
        }
    }
    changed
}

/// Whether `m` names the service account `email`, live (`serviceAccount:<email>`) or deleted
/// (`deleted:serviceAccount:<email>?uid=<n>`, how IAM rewrites members of a deleted account).
pub fn is_member_of(m: &str, email: &str) -> bool {
    m.strip_prefix("serviceAccount:") == Some(email)
        || m.strip_prefix("deleted:serviceAccount:").and_then(|r| r.strip_prefix(email)).is_some_and(|r| r.starts_with("?uid="))
}

/// Removes every membership of the service account `email` (live or deleted form) and drops
/// bindings left without members. Returns how many memberships were removed.
pub fn remove_member(policy: &mut Value, email: &str) -> usize {
    let Some(bindings) = policy.get_mut("bindings").and_then(Value::as_array_mut) else { return 0 };
    let mut removed = 0;
    for b in bindings.iter_mut() {
        if let Some(members) = b.get_mut("members").and_then(Value::as_array_mut) {
            let before = members.len();
            members.retain(|m| !m.as_str().is_some_and(|m| is_member_of(m, email)));
            removed += before - members.len();
        }
    }
    if removed > 0 {
        bindings.retain(|b| b.get("members").and_then(Value::as_array).is_some_and(|m| !m.is_empty()));
    }
    removed
}

/// Every service-account member (live or deleted form) of a binding whose condition title is
/// that account's id and starts with `prefix`: the bindings this provider writes. As `(member, email)`.
pub fn lease_members(policy: &Value, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for b in policy.get("bindings").and_then(Value::as_array).into_iter().flatten() {
        let title = b.pointer("/condition/title").and_then(Value::as_str).unwrap_or_default();
        for m in b.get("members").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            let email = m
                .strip_prefix("serviceAccount:")
                .or_else(|| m.strip_prefix("deleted:serviceAccount:").and_then(|r| r.split('?').next()));
            if let Some(email) = email
                && email.starts_with(prefix)
                && email.split('@').next() == Some(title)
                && !out.iter().any(|(mm, _)| mm == m)
            {
                out.push((m.to_string(), email.to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deadline() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2030-01-02T03:04:05.678Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn prefix_read_binds_object_viewer_limited_to_the_prefix_and_its_listing() {
        let g: Grant = "gcs:read data-bucket/reports/2024".parse().unwrap();
        let p = plan(&[g], "proj-123456", deadline());
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].resource, Resource::Bucket("data-bucket".into()));
        assert_eq!(p[0].role, OBJECT_VIEWER);
        assert_eq!(
            p[0].expression,
            "request.time < timestamp(\"2030-01-02T03:04:05Z\") && (resource.name.startsWith(\"projects/_/buckets/data-bucket/objects/reports/2024/\") || api.getAttribute(\"storage.googleapis.com/objectListPrefix\", \"\").startsWith(\"reports/2024/\"))"
        );
    }

    #[test]
    fn add_then_remove_restores_the_policy_and_keeps_other_bindings() {
        let original = json!({
            "version": 1,
            "etag": "BwYAbc12345=",
            "bindings": [
                {"role": "roles/viewer", "members": ["user:alice@example.com"]},
                {"role": OBJECT_VIEWER, "members": ["group:readers@example.com"]}
            ]
        });
        let g: Vec<Grant> = vec!["gcs:read b-bucket".parse().unwrap(), "project:role roles/viewer".parse().unwrap()];
        let planned = plan(&g, "proj-123456", deadline());
        let refs: Vec<&Planned> = planned.iter().collect();
        let mut p = original.clone();
        let member = "serviceAccount:paddock-x@proj-123456.iam.gserviceaccount.com";
        assert!(add_member(&mut p, member, &refs, "paddock-x", "lease"));
        assert!(!add_member(&mut p, member, &refs, "paddock-x", "lease"), "adding twice changes nothing");
        assert_eq!(p["version"], 3);
        assert_eq!(p["bindings"].as_array().unwrap().len(), 4, "conditional bindings are separate: {p}");
        // After the account is deleted, IAM shows the member in its deleted form.
        let deleted = p.to_string().replace(member, "deleted:serviceAccount:paddock-x@proj-123456.iam.gserviceaccount.com?uid=123");
        let mut p: Value = serde_json::from_str(&deleted).unwrap();
        assert_eq!(remove_member(&mut p, "paddock-x@proj-123456.iam.gserviceaccount.com"), 2);
        assert_eq!(p["bindings"], original["bindings"]);
        // A different account with a longer name sharing the prefix is not touched.
        assert!(!is_member_of("serviceAccount:paddock-xy@p.iam.gserviceaccount.com", "paddock-x@p.iam.gserviceaccount.com"));
        assert!(!is_member_of("deleted:serviceAccount:paddock-x@p.iam.gserviceaccount.comm?uid=1", "paddock-x@p.iam.gserviceaccount.com"));
    }
}
