//! Assumed-role mode: `AssumeRole` on a base role, with the grants as the session policy, the
//! task as `RoleSessionName` and `SourceIdentity` (`paddock-<task>`), and session tags.
//! Nothing long-lived is created. Early revocation puts a Deny keyed on the session's
//! `aws:SourceIdentity` (and issue time) on the base role, removed after the session's max life.

use aws_sdk_sts::types::Tag;
use chrono::{DateTime, Duration, Utc};

use super::{AwsProvider, LiveLeases, Orphan, aws_err, lease_hex, lease_in_name, smithy_time};
use crate::error::CredsError;
use crate::grants::Grant;
use crate::policy::{self, SESSION_POLICY_MAX_CHARS};
use crate::provider::{Credential, Issued, RevokeProgress, Secret, Steps};
use crate::store::Lease;

/// STS's floor for `DurationSeconds`.
pub const MIN_SESSION_SECS: i64 = 900;
/// How long past a session's expiry its revocation Deny stays (clock skew between us and AWS).
const SKEW: i64 = 300;

pub(crate) fn session_name(task: &str) -> String {
    format!("paddock-{task}")
}

pub(crate) fn clamp_duration(wanted_secs: i64, role_max_secs: i64) -> i64 {
    wanted_secs.clamp(MIN_SESSION_SECS, role_max_secs.max(MIN_SESSION_SECS))
}

fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn revocation_name(lease: uuid::Uuid) -> String {
    format!("paddock-revoke-{}", lease_hex(lease))
}

impl AwsProvider {
    fn base_role(&self) -> Result<&str, CredsError> {
        self.cfg.role_arn.as_deref().ok_or_else(|| CredsError::Config("no base role ARN configured".into()))
    }

    pub(super) async fn provision_session(
        &self,
        lease: &Lease,
        grants: &[Grant],
        steps: &Steps<'_>,
    ) -> Result<Issued, CredsError> {
        let role_arn = self.base_role()?;
        let session_policy = policy::check_size("session policy", &policy::session_policy(grants), SESSION_POLICY_MAX_CHARS)?;
        let tags = Self::lease_tags(lease);
        policy::check_tags(&tags)?;
        let sts_tags: Vec<Tag> = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(|e| CredsError::InvalidTag(e.to_string())))
            .collect::<Result<_, _>>()?;

        // The role's maximum session length bounds the TTL (a read, before any mutation).
        let role = self
            .iam
            .get_role()
            .role_name(role_name(role_arn))
            .send()
            .await
            .map_err(|e| aws_err(e).into_creds("aws.get_role"))?;
        let role_max = role.role().and_then(|r| r.max_session_duration()).map_or(3600, i64::from);
        let wanted = (lease.expires_at - lease.created_at).num_seconds();
        let duration = clamp_duration(wanted, role_max);
        if duration != wanted {
            steps.note(
                "aws.clamp_duration",
                &format!("TTL {wanted} s clamped to {duration} s (STS minimum 900 s, role maximum {role_max} s)"),
            )?;
        }
        // Before the call, record the latest moment the session can live: a crash after AssumeRole
        // must still know until when the revocation Deny is needed.
        let bound = Utc::now() + Duration::seconds(duration);
        steps.set_expires_at(bound)?;

        let name = session_name(&lease.task);
        let step = "aws.assume_role";
        let out = steps
            .run(
                step,
                &format!("{role_arn} as {name} for {duration} s, session policy {} chars", session_policy.len()),
                async {
                    self.sts
                        .assume_role()
                        .role_arn(role_arn)
                        .role_session_name(&name)
                        .source_identity(&name)
                        .duration_seconds(i32::try_from(duration).unwrap_or(i32::MAX))
                        .policy(&session_policy)
                        .set_tags(Some(sts_tags.clone()))
                        .send()
                        .await
                        .map_err(aws_err)
                },
                |o| {
                    format!(
                        "session {} key {}",
                        o.assumed_role_user().map(|u| u.arn()).unwrap_or_default(),
                        o.credentials().map(|c| c.access_key_id()).unwrap_or_default()
                    )
                },
            )
            .await?
            .map_err(|e| e.into_creds(step))?;
        let c = out.credentials().ok_or_else(|| CredsError::Aws { step, message: "AssumeRole returned no credentials".into() })?;
        Ok(Issued {
            credential: Credential::Aws {
                access_key_id: c.access_key_id().to_string(),
                secret_access_key: Secret::from(c.secret_access_key().to_string()),
                session_token: Some(Secret::from(c.session_token().to_string())),
            },
            expires_at: smithy_time(c.expiration()),
            principal: out.assumed_role_user().map(|u| u.arn().to_string()).unwrap_or_default(),
        })
    }

    pub(super) async fn revoke_session(
        &self,
        lease: &Lease,
        steps: &Steps<'_>,
        now: DateTime<Utc>,
    ) -> Result<RevokeProgress, CredsError> {
        if steps.first_intent("aws.assume_role")?.is_none() {
            steps.note("aws.revoke_session", "no session was ever requested; nothing to revoke")?;
            return Ok(RevokeProgress::Done { cleanup_after: None });
        }
        if now > lease.expires_at + Duration::seconds(SKEW) {
            steps.note("aws.revoke_session", "the session has expired; nothing to revoke")?;
            return Ok(RevokeProgress::Done { cleanup_after: None });
        }
        let role_arn = self.base_role()?;
        let source_identity = session_name(&lease.task);
        // +1 s: TokenIssueTime has sub-second precision, the condition only seconds.
        let doc = policy::revoked_session_deny(&source_identity, now + Duration::seconds(1));
        let doc = policy::check_size("revocation policy", &doc, 10_240)?;
        let name = revocation_name(lease.id);
        let step = "aws.put_role_policy";
        steps
            .run(
                step,
                &format!("{name} on {role_arn}: deny sessions with source identity {source_identity}"),
                async {
                    self.iam
                        .put_role_policy()
                        .role_name(role_name(role_arn))
                        .policy_name(&name)
                        .policy_document(&doc)
                        .send()
                        .await
                        .map_err(aws_err)
                },
                |_| "put".into(),
            )
            .await?
            .map_err(|e| e.into_creds(step))?;
        Ok(RevokeProgress::Done { cleanup_after: Some(lease.expires_at + Duration::seconds(SKEW)) })
    }

    pub(super) async fn remove_revocation(&self, lease: uuid::Uuid, steps: &Steps<'_>) -> Result<(), CredsError> {
        let role_arn = self.base_role()?;
        let name = revocation_name(lease);
        steps
            .remove("aws.delete_role_policy", &format!("{name} on {role_arn}"), "deleted", async {
                self.iam.delete_role_policy().role_name(role_name(role_arn)).policy_name(&name).send().await.map_err(aws_err)
            })
            .await?;
        Ok(())
    }

    /// Revocation Denies on the base role whose lease is gone or whose session has expired.
    pub(super) async fn orphan_revocations(&self, live: &dyn LiveLeases) -> Result<Vec<Orphan>, CredsError> {
        let role_arn = self.base_role()?;
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .iam
                .list_role_policies()
                .role_name(role_name(role_arn))
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| aws_err(e).into_creds("aws.list_role_policies"))?;
            for name in page.policy_names() {
                let Some(id) = lease_in_name(name, "paddock-revoke-") else { continue };
                if !live.cleanup_pending(id) && !live.is_live(id) {
                    out.push(Orphan { kind: "role_policy".into(), name: name.clone(), lease: Some(id) });
                }
            }
            match (page.is_truncated(), page.marker()) {
                (true, Some(m)) => marker = Some(m.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }
}
