//! IAM-user mode: a user under the Paddock path with a per-lease permissions boundary (the
//! grants plus a Deny-everything-after-deadline backstop), the grants as its inline policy, and
//! one access key handed over only after it was seen to work.
//!
//! Revocation follows AWS's documented DeleteUser order (access keys are deactivated before they
//! are deleted, so a key is dead even if the process dies between the two calls).

use std::time::Duration;

use aws_sdk_iam::types::StatusType;
use chrono::{DateTime, Utc};

use super::{AwsProvider, aws_err, lease_hex};
use crate::error::CredsError;
use crate::grants::Grant;
use crate::policy::{self, MANAGED_POLICY_MAX_CHARS, USER_INLINE_POLICY_MAX_CHARS};
use crate::provider::{Credential, ExposeSecret as _, Issued, RevokeProgress, Secret, Steps};
use crate::store::Lease;

pub(crate) const INLINE_POLICY_NAME: &str = "paddock-grants";

/// Documents checked against AWS limits, before any call.
pub(crate) struct UserDocs {
    pub inline: String,
    pub boundary: String,
}

pub(crate) fn user_docs(grants: &[Grant], deadline: DateTime<Utc>) -> Result<UserDocs, CredsError> {
    Ok(UserDocs {
        inline: policy::check_size(
            "inline user policy",
            &policy::user_inline_policy(grants),
            USER_INLINE_POLICY_MAX_CHARS,
        )?,
        boundary: policy::check_size(
            "permissions boundary policy",
            &policy::user_boundary_policy(grants, deadline),
            MANAGED_POLICY_MAX_CHARS,
        )?,
    })
}

fn iam_tags(tags: &[(String, String)]) -> Result<Vec<aws_sdk_iam::types::Tag>, CredsError> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| CredsError::InvalidTag(e.to_string()))
        })
        .collect()
}

impl AwsProvider {
    fn user_name(lease: uuid::Uuid) -> String {
        format!("paddock-{}", lease_hex(lease))
    }

    async fn boundary_arn(&self, lease: uuid::Uuid) -> Result<String, CredsError> {
        let (partition, account) = self.account().await?;
        Ok(format!("arn:{partition}:iam::{account}:policy{}{}", self.cfg.path, Self::user_name(lease)))
    }

    pub(super) async fn provision_user(
        &self,
        lease: &Lease,
        grants: &[Grant],
        steps: &Steps<'_>,
    ) -> Result<Issued, CredsError> {
        let docs = user_docs(grants, lease.expires_at)?;
        let tags = Self::lease_tags(lease);
        policy::check_tags(&tags)?;
        let tags = iam_tags(&tags)?;
        let name = Self::user_name(lease.id);
        let boundary_arn = self.boundary_arn(lease.id).await?;
        let path = &self.cfg.path;

        let step = "aws.create_policy";
        steps
            .run(
                step,
                &format!("boundary {boundary_arn}"),
                async {
                    self.iam
                        .create_policy()
                        .policy_name(&name)
                        .path(path)
                        .policy_document(&docs.boundary)
                        .set_tags(Some(tags.clone()))
                        .send()
                        .await
                        .map_err(aws_err)
                },
                |_| format!("created {boundary_arn}"),
            )
            .await?
            .map_err(|e| e.into_creds(step))?;

        let step = "aws.create_user";
        let user = steps
            .run(
                step,
                &format!("user {path}{name}"),
                async {
                    self.iam
                        .create_user()
                        .user_name(&name)
                        .path(path)
                        .permissions_boundary(&boundary_arn)
                        .set_tags(Some(tags.clone()))
                        .send()
                        .await
                        .map_err(aws_err)
                },
                |o| format!("created {}", o.user().map(|u| u.arn()).unwrap_or_default()),
            )
            .await?
            .map_err(|e| e.into_creds(step))?;
        let principal = user.user().map(|u| u.arn().to_string()).unwrap_or_default();

        let step = "aws.put_user_policy";
        steps
            .run(
                step,
                &format!("inline policy {INLINE_POLICY_NAME} on {name}: {}", lease.scope.join("; ")),
                async {
                    self.iam
                        .put_user_policy()
                        .user_name(&name)
                        .policy_name(INLINE_POLICY_NAME)
                        .policy_document(&docs.inline)
                        .send()
                        .await
                        .map_err(aws_err)
                },
                |_| "put".to_string(),
            )
            .await?
            .map_err(|e| e.into_creds(step))?;

        let step = "aws.create_access_key";
        let key = steps
            .run(
                step,
                &format!("access key for {name}"),
                async { self.iam.create_access_key().user_name(&name).send().await.map_err(aws_err) },
                // The key id is not secret (it shows in CloudTrail); the secret is never described.
                |o| format!("access key {}", o.access_key().map(|k| k.access_key_id()).unwrap_or_default()),
            )
            .await?
            .map_err(|e| e.into_creds(step))?;
        let key = key
            .access_key()
            .ok_or_else(|| CredsError::Aws { step, message: "CreateAccessKey returned no key".into() })?;
        let access_key_id = key.access_key_id().to_string();
        let secret_access_key = Secret::from(key.secret_access_key().to_string());
        self.verify_key(&access_key_id, &secret_access_key, steps).await?;
        Ok(Issued {
            credential: Credential::Aws { access_key_id, secret_access_key, session_token: None },
            expires_at: lease.expires_at,
            principal,
        })
    }

    /// Waits (bounded) until the new key authenticates: IAM keys take a moment to propagate, and
    /// a task handed a key that does not work yet would fail confusingly.
    async fn verify_key(&self, access_key_id: &str, secret: &Secret, steps: &Steps<'_>) -> Result<(), CredsError> {
        let creds = aws_sdk_sts::config::Credentials::new(
            access_key_id.to_string(),
            secret.expose_secret().to_string(),
            None,
            None,
            "paddock-lease",
        );
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&self.sdk).credentials_provider(creds).build(),
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(self.cfg.verify_timeout_secs);
        let mut delay = Duration::from_millis(100);
        loop {
            match sts.get_caller_identity().send().await {
                Ok(me) => {
                    return steps.note(
                        "aws.verify_access_key",
                        &format!("key {access_key_id} works as {}", me.arn().unwrap_or_default()),
                    );
                }
                Err(e) => {
                    let e = aws_err(e);
                    if std::time::Instant::now() + delay > deadline {
                        steps.note("aws.verify_access_key", &format!("gave up: {e}"))?;
                        return Err(CredsError::NotUsable { secs: self.cfg.verify_timeout_secs, message: e.message });
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
            }
        }
    }

    pub(super) async fn revoke_user(
        &self,
        lease: &Lease,
        steps: &Steps<'_>,
        now: DateTime<Utc>,
    ) -> Result<RevokeProgress, CredsError> {
        let name = Self::user_name(lease.id);
        if let Some(created) = steps.first_intent("aws.create_user")?
            && let RevokeProgress::RetryLater(why) = self.delete_user_fully(&name, steps, Some(created), now).await?
        {
            return Ok(RevokeProgress::RetryLater(why));
        }
        if let Some(created) = steps.first_intent("aws.create_policy")? {
            let arn = self.boundary_arn(lease.id).await?;
            let gone = self.delete_policy_checked(&arn, steps).await?;
            if gone && self.maybe_invisible(created, now) {
                return Ok(RevokeProgress::RetryLater(format!(
                    "policy {arn} not found, but it was created less than {} s ago; checking again later",
                    self.cfg.min_entity_age_secs
                )));
            }
        }
        Ok(RevokeProgress::Done { cleanup_after: None })
    }

    /// Deletes a user and everything attached to it, in AWS's required order. Every step
    /// tolerates "already gone". `created` (the first create intent) drives the eventual
    /// consistency rule: a missing user that is younger than the minimum age is retried later.
    pub(super) async fn delete_user_fully(
        &self,
        name: &str,
        steps: &Steps<'_>,
        created: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<RevokeProgress, CredsError> {
        let iam = &self.iam;
        // All reads at once (they are independent; this halves a revocation's latency). None is
        // journaled: reads change nothing.
        let (user, keys, certs, ssh, ssc, mfa, inline, attached, groups) = tokio::join!(
            iam.get_user().user_name(name).send(),
            iam.list_access_keys().user_name(name).send(),
            iam.list_signing_certificates().user_name(name).send(),
            iam.list_ssh_public_keys().user_name(name).send(),
            iam.list_service_specific_credentials().user_name(name).send(),
            iam.list_mfa_devices().user_name(name).send(),
            iam.list_user_policies().user_name(name).send(),
            iam.list_attached_user_policies().user_name(name).send(),
            iam.list_groups_for_user().user_name(name).send(),
        );
        if let Err(e) = user.map_err(aws_err) {
            if !e.no_such_entity() {
                return Err(e.into_creds("aws.get_user"));
            }
            if created.is_some_and(|c| self.maybe_invisible(c, now)) {
                return Ok(RevokeProgress::RetryLater(format!(
                    "user {name} not found, but it was created less than {} s ago; checking again later",
                    self.cfg.min_entity_age_secs
                )));
            }
            steps.note("aws.get_user", &format!("user {name} does not exist"))?;
            return Ok(RevokeProgress::Done { cleanup_after: None });
        }

        // 1. Access keys: deactivate, then delete.
        let keys = keys.map_err(|e| aws_err(e).into_creds("aws.list_access_keys"))?;
        for k in keys.access_key_metadata() {
            let id = k.access_key_id().unwrap_or_default().to_string();
            if k.status() != Some(&StatusType::Inactive) {
                steps
                    .remove("aws.deactivate_access_key", &format!("key {id} of {name}"), "inactive", async {
                        iam.update_access_key()
                            .user_name(name)
                            .access_key_id(&id)
                            .status(StatusType::Inactive)
                            .send()
                            .await
                            .map_err(aws_err)
                    })
                    .await?;
            }
            steps
                .remove(
                    "aws.delete_access_key",
                    &format!("key {id} of {name}"),
                    "deleted",
                    async { iam.delete_access_key().user_name(name).access_key_id(&id).send().await.map_err(aws_err) },
                )
                .await?;
        }

        // 2. Console password.
        steps
            .remove(
                "aws.delete_login_profile",
                name,
                "deleted",
                async { iam.delete_login_profile().user_name(name).send().await.map_err(aws_err) },
            )
            .await?;

        // 3. Signing certificates.
        let certs = certs.map_err(|e| aws_err(e).into_creds("aws.list_signing_certificates"))?;
        for c in certs.certificates() {
            let id = c.certificate_id().to_string();
            steps
                .remove(
                    "aws.delete_signing_certificate",
                    &format!("{id} of {name}"),
                    "deleted",
                    async { iam.delete_signing_certificate().user_name(name).certificate_id(&id).send().await.map_err(aws_err) },
                )
                .await?;
        }

        // 4. SSH public keys.
        let ssh = ssh.map_err(|e| aws_err(e).into_creds("aws.list_ssh_public_keys"))?;
        for k in ssh.ssh_public_keys() {
            let id = k.ssh_public_key_id().to_string();
            steps
                .remove(
                    "aws.delete_ssh_public_key",
                    &format!("{id} of {name}"),
                    "deleted",
                    async { iam.delete_ssh_public_key().user_name(name).ssh_public_key_id(&id).send().await.map_err(aws_err) },
                )
                .await?;
        }

        // 5. Service-specific credentials (CodeCommit, Keyspaces, Bedrock…).
        let ssc = ssc.map_err(|e| aws_err(e).into_creds("aws.list_service_specific_credentials"))?;
        for c in ssc.service_specific_credentials() {
            let id = c.service_specific_credential_id().to_string();
            steps
                .remove("aws.delete_service_specific_credential", &format!("{id} of {name}"), "deleted", async {
                    iam.delete_service_specific_credential()
                        .user_name(name)
                        .service_specific_credential_id(&id)
                        .send()
                        .await
                        .map_err(aws_err)
                })
                .await?;
        }

        // 6. MFA devices: deactivate, and delete virtual ones.
        let mfa = mfa.map_err(|e| aws_err(e).into_creds("aws.list_mfa_devices"))?;
        for d in mfa.mfa_devices() {
            let serial = d.serial_number().to_string();
            steps
                .remove(
                    "aws.deactivate_mfa_device",
                    &format!("{serial} of {name}"),
                    "deactivated",
                    async { iam.deactivate_mfa_device().user_name(name).serial_number(&serial).send().await.map_err(aws_err) },
                )
                .await?;
            if serial.contains(":mfa/") {
                steps
                    .remove(
                        "aws.delete_virtual_mfa_device",
                        &serial,
                        "deleted",
                        async { iam.delete_virtual_mfa_device().serial_number(&serial).send().await.map_err(aws_err) },
                    )
                    .await?;
            }
        }

        // 7. Inline policies.
        let inline = inline.map_err(|e| aws_err(e).into_creds("aws.list_user_policies"))?;
        for p in inline.policy_names() {
            steps
                .remove(
                    "aws.delete_user_policy",
                    &format!("{p} of {name}"),
                    "deleted",
                    async { iam.delete_user_policy().user_name(name).policy_name(p).send().await.map_err(aws_err) },
                )
                .await?;
        }

        // 8. Attached managed policies.
        let attached = attached.map_err(|e| aws_err(e).into_creds("aws.list_attached_user_policies"))?;
        for p in attached.attached_policies() {
            let arn = p.policy_arn().unwrap_or_default().to_string();
            steps
                .remove(
                    "aws.detach_user_policy",
                    &format!("{arn} from {name}"),
                    "detached",
                    async { iam.detach_user_policy().user_name(name).policy_arn(&arn).send().await.map_err(aws_err) },
                )
                .await?;
        }

        // 9. Groups.
        let groups = groups.map_err(|e| aws_err(e).into_creds("aws.list_groups_for_user"))?;
        for g in groups.groups() {
            let group = g.group_name().to_string();
            steps
                .remove(
                    "aws.remove_user_from_group",
                    &format!("{name} from {group}"),
                    "removed",
                    async { iam.remove_user_from_group().user_name(name).group_name(&group).send().await.map_err(aws_err) },
                )
                .await?;
        }

        // 10. The user.
        steps
            .remove(
                "aws.delete_user",
                name,
                "deleted",
                async { iam.delete_user().user_name(name).send().await.map_err(aws_err) },
            )
            .await?;
        Ok(RevokeProgress::Done { cleanup_after: None })
    }

    /// Deletes a managed policy (detaching it everywhere, removing old versions). Returns whether
    /// it was already missing.
    async fn delete_policy_checked(&self, arn: &str, steps: &Steps<'_>) -> Result<bool, CredsError> {
        let iam = &self.iam;
        match iam.list_entities_for_policy().policy_arn(arn).send().await.map_err(aws_err) {
            Err(e) if e.no_such_entity() => return Ok(true),
            Err(e) => return Err(e.into_creds("aws.list_entities_for_policy")),
            Ok(ents) => {
                for u in ents.policy_users() {
                    let user = u.user_name().unwrap_or_default().to_string();
                    steps
                        .remove(
                            "aws.detach_user_policy",
                            &format!("{arn} from {user}"),
                            "detached",
                            async { iam.detach_user_policy().user_name(&user).policy_arn(arn).send().await.map_err(aws_err) },
                        )
                        .await?;
                }
                // A boundary is not an attachment: a user that still uses it blocks deletion, and
                // only exists if the user deletion above has not happened (retry covers it).
            }
        }
        let versions = match iam.list_policy_versions().policy_arn(arn).send().await.map_err(aws_err) {
            Err(e) if e.no_such_entity() => return Ok(true),
            Err(e) => return Err(e.into_creds("aws.list_policy_versions")),
            Ok(v) => v,
        };
        for v in versions.versions().iter().filter(|v| !v.is_default_version()) {
            let vid = v.version_id().unwrap_or_default().to_string();
            steps
                .remove(
                    "aws.delete_policy_version",
                    &format!("{arn} {vid}"),
                    "deleted",
                    async { iam.delete_policy_version().policy_arn(arn).version_id(&vid).send().await.map_err(aws_err) },
                )
                .await?;
        }
        steps
            .remove("aws.delete_policy", arn, "deleted", async { iam.delete_policy().policy_arn(arn).send().await.map_err(aws_err) })
            .await
    }

    pub(super) async fn delete_policy_fully(&self, arn: &str, steps: &Steps<'_>) -> Result<(), CredsError> {
        self.delete_policy_checked(arn, steps).await.map(|_| ())
    }
}

