//! Grants: what a task may do, in a form a person can read and review.
//!
//! | grant                      | allows                                                                 |
//! |----------------------------|------------------------------------------------------------------------|
//! | `s3:read BUCKET[/PREFIX]`  | GetObject, GetObjectVersion on the objects; ListBucket limited to PREFIX |
//! | `s3:write BUCKET[/PREFIX]` | PutObject, DeleteObject, AbortMultipartUpload on the objects            |
//! | `dynamodb:read TABLE`      | GetItem, BatchGetItem, Query, Scan, DescribeTable, ConditionCheckItem   |
//! | `dynamodb:write TABLE`     | PutItem, UpdateItem, DeleteItem, BatchWriteItem                         |
//! | `sqs:send QUEUE`           | SendMessage, GetQueueUrl, GetQueueAttributes                           |
//! | `sqs:consume QUEUE`        | ReceiveMessage, DeleteMessage, ChangeMessageVisibility, GetQueueUrl, GetQueueAttributes |
//! | `raw JSON`                 | the statement(s) given: one statement object, an array, or a whole policy |
//!
//! Names are checked against the service's naming rules, and wildcards are refused in
//! names and prefixes: a grant never widens by accident (`s3:read b/*` is an error, not "everything").
//! Resource ARNs use `*` for region and account: the credential is already confined to one account.

use serde_json::{Value, json};

use crate::error::CredsError;

/// One parsed grant. `Display` gives back the canonical readable form (stored as the lease's scope).
#[derive(Debug, Clone, PartialEq)]
pub enum Grant {
    S3Read { bucket: String, prefix: Option<String> },
    S3Write { bucket: String, prefix: Option<String> },
    DynamoRead { table: String },
    DynamoWrite { table: String },
    SqsSend { queue: String },
    SqsConsume { queue: String },
    /// Statements given verbatim as JSON (already validated to be statements).
    Raw { statements: Vec<Value> },
}

impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = |b: &str, p: &Option<String>| match p {
            Some(p) => format!("{b}/{p}"),
            None => b.to_string(),
        };
        match self {
            Grant::S3Read { bucket, prefix } => write!(f, "s3:read {}", path(bucket, prefix)),
            Grant::S3Write { bucket, prefix } => write!(f, "s3:write {}", path(bucket, prefix)),
            Grant::DynamoRead { table } => write!(f, "dynamodb:read {table}"),
            Grant::DynamoWrite { table } => write!(f, "dynamodb:write {table}"),
            Grant::SqsSend { queue } => write!(f, "sqs:send {queue}"),
            Grant::SqsConsume { queue } => write!(f, "sqs:consume {queue}"),
            Grant::Raw { statements } => {
                write!(f, "raw {}", crate::policy::canonical(&Value::Array(statements.clone())))
            }
        }
    }
}

impl std::str::FromStr for Grant {
    type Err = CredsError;

    fn from_str(text: &str) -> Result<Self, CredsError> {
        let text = text.trim();
        let (verb, arg) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let arg = arg.trim();
        let bad = |why: String| CredsError::InvalidGrant { grant: text.to_string(), why };
        if arg.is_empty() {
            return Err(bad(format!("`{verb}` needs an argument, e.g. `s3:read my-bucket/some/prefix`")));
        }
        match verb {
            "s3:read" | "s3:write" => {
                let (bucket, prefix) = split_bucket(arg).map_err(bad)?;
                Ok(if verb == "s3:read" {
                    Grant::S3Read { bucket, prefix }
                } else {
                    Grant::S3Write { bucket, prefix }
                })
            }
            "dynamodb:read" | "dynamodb:write" => {
                check_table(arg).map_err(bad)?;
                let table = arg.to_string();
                Ok(if verb == "dynamodb:read" {
                    Grant::DynamoRead { table }
                } else {
                    Grant::DynamoWrite { table }
                })
            }
            "sqs:send" | "sqs:consume" => {
                check_queue(arg).map_err(bad)?;
                let queue = arg.to_string();
                Ok(if verb == "sqs:send" { Grant::SqsSend { queue } } else { Grant::SqsConsume { queue } })
            }
            "raw" => Ok(Grant::Raw { statements: raw_statements(arg).map_err(bad)? }),
            other => Err(bad(format!(
                "unknown grant `{other}`; known: s3:read, s3:write, dynamodb:read, dynamodb:write, sqs:send, sqs:consume, raw"
            ))),
        }
    }
}

/// Parses every grant, naming the first bad one. An empty list is an error: a lease that
/// can do nothing is a mistake, not a feature.
pub fn parse_grants<S: AsRef<str>>(texts: &[S]) -> Result<Vec<Grant>, CredsError> {
    if texts.is_empty() {
        return Err(CredsError::InvalidGrant {
            grant: String::new(),
            why: "no grants given; say what the task may do, e.g. `s3:read my-bucket/data`".into(),
        });
    }
    texts.iter().map(|t| t.as_ref().parse()).collect()
}

impl Grant {
    /// The IAM statements this grant allows.
    pub fn statements(&self) -> Vec<Value> {
        match self {
            Grant::S3Read { bucket, prefix } => {
                let mut list = json!({
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": format!("arn:aws:s3:::{bucket}"),
                });
                if let Some(p) = prefix {
                    list["Condition"] = json!({"StringLike": {"s3:prefix": [p, format!("{p}/*")]}});
                }
                vec![
                    json!({
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                        "Resource": object_arn(bucket, prefix),
                    }),
                    list,
                ]
            }
            Grant::S3Write { bucket, prefix } => vec![json!({
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                "Resource": object_arn(bucket, prefix),
            })],
            Grant::DynamoRead { table } => vec![json!({
                "Effect": "Allow",
                "Action": [
                    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
                    "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"
                ],
                "Resource": table_arns(table),
            })],
            Grant::DynamoWrite { table } => vec![json!({
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"],
                "Resource": table_arns(table),
            })],
            Grant::SqsSend { queue } => vec![json!({
                "Effect": "Allow",
                "Action": ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
                "Resource": format!("arn:aws:sqs:*:*:{queue}"),
            })],
            Grant::SqsConsume { queue } => vec![json!({
                "Effect": "Allow",
                "Action": [
                    "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueUrl", "sqs:GetQueueAttributes"
                ],
                "Resource": format!("arn:aws:sqs:*:*:{queue}"),
            })],
            Grant::Raw { statements } => statements.clone(),
        }
    }
}

fn object_arn(bucket: &str, prefix: &Option<String>) -> String {
    match prefix {
        Some(p) => format!("arn:aws:s3:::{bucket}/{p}/*"),
        None => format!("arn:aws:s3:::{bucket}/*"),
    }
}

fn table_arns(table: &str) -> Value {
    json!([
        format!("arn:aws:dynamodb:*:*:table/{table}"),
        format!("arn:aws:dynamodb:*:*:table/{table}/index/*"),
    ])
}

/// `bucket[/prefix]` with S3's bucket naming rules and a wildcard-free prefix.
fn split_bucket(arg: &str) -> Result<(String, Option<String>), String> {
    let (bucket, prefix) = match arg.split_once('/') {
        Some((b, p)) => (b, Some(p.trim_end_matches('/'))),
        None => (arg, None),
    };
    let ok_chars = bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    let ok_ends = bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !(3..=63).contains(&bucket.len()) || !ok_chars || !ok_ends || bucket.contains("..") {
        return Err(format!(
            "`{bucket}` is not a valid S3 bucket name (3-63 characters: lowercase letters, digits, `-`, `.`; \
             starting and ending with a letter or digit)"
        ));
    }
    let prefix = match prefix {
        None | Some("") => None,
        Some(p) => {
            if p.contains(['*', '?', '$']) {
                return Err(format!("the prefix `{p}` contains a wildcard or policy variable; name a literal prefix"));
            }
            if p.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..") {
                return Err(format!("the prefix `{p}` has an empty, `.` or `..` segment"));
            }
            if p.chars().any(|c| c.is_control() || c == '"' || c == '\\') || p.len() > 900 {
                return Err(format!("the prefix `{p}` has a control character, quote or backslash, or is too long"));
            }
            Some(p.to_string())
        }
    };
    Ok((bucket.to_string(), prefix))
}

fn check_table(name: &str) -> Result<(), String> {
    let ok = (3..=255).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` is not a valid DynamoDB table name (3-255 characters: letters, digits, `_`, `-`, `.`)"))
    }
}

fn check_queue(name: &str) -> Result<(), String> {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    let ok = (1..=80).contains(&name.len())
        && !base.is_empty()
        && base.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` is not a valid SQS queue name (1-80 characters: letters, digits, `_`, `-`, optional `.fifo`)"))
    }
}

/// Accepts one statement, an array of statements, or a whole policy document.
fn raw_statements(json_text: &str) -> Result<Vec<Value>, String> {
    let value: Value =
        serde_json::from_str(json_text).map_err(|e| format!("raw grant is not valid JSON: {e}"))?;
    let statements = match value {
        Value::Object(ref map) if map.contains_key("Statement") => match &map["Statement"] {
            Value::Array(a) => a.clone(),
            one @ Value::Object(_) => vec![one.clone()],
            _ => return Err("`Statement` must be an object or an array".into()),
        },
        Value::Object(_) => vec![value],
        Value::Array(a) => a,
        _ => return Err("raw grant must be a statement object, an array of statements, or a policy".into()),
    };
    if statements.is_empty() {
        return Err("raw grant has no statements".into());
    }
    for (i, s) in statements.iter().enumerate() {
        let Some(obj) = s.as_object() else {
            return Err(format!("statement {i} is not an object"));
        };
        match obj.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => return Err(format!("statement {i} needs `\"Effect\": \"Allow\"` or `\"Deny\"`")),
        }
        if !obj.contains_key("Action") && !obj.contains_key("NotAction") {
            return Err(format!("statement {i} needs `Action` (or `NotAction`)"));
        }
        if !obj.contains_key("Resource") && !obj.contains_key("NotResource") {
            return Err(format!("statement {i} needs `Resource` (or `NotResource`)"));
        }
        if obj.contains_key("Principal") || obj.contains_key("NotPrincipal") {
            return Err(format!("statement {i} has a `Principal`; identity policies cannot name one"));
        }
    }
    Ok(statements)
}
