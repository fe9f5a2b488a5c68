//! A lease's life on GCP: create the service account, wait until IAM shows it, bind its roles
//! (etag read-modify-write, retried on concurrent changes), mint its token; and back: disable it
//! (which kills its tokens at once), unbind it, delete any keys, delete it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use google_cloud_gax::error::rpc::Code;
use google_cloud_gax::options::RequestOptionsBuilder;
use google_cloud_iam_admin_v1::model::ServiceAccount;
use google_cloud_iam_admin_v1::model::list_service_account_keys_request::KeyType;
use serde_json::Value;

use super::bindings::{self, Planned, Resource};
use super::{
    ACCOUNT_PREFIX, CLOUD_PLATFORM_SCOPE, GcpErr, GcpProvider, account_email, account_id, description, gax_err,
    lease_of,
};
use crate::error::CredsError;
use crate::grants::{Grant, parse_grants};
use crate::provider::{Credential, Issued, LiveLeases, Orphan, RevokeProgress, Secret, Steps};
use crate::store::Lease;

/// How many read-modify-write rounds a policy edit gets before giving up on concurrent changes.
const POLICY_ATTEMPTS: u32 = 8;

/// What an edit is for: adding a lease's bindings (the resource must exist) or removing them
/// (a resource that is gone holds nothing to remove).
#[derive(Clone, Copy, PartialEq)]
enum Edit {
    Add,
    Remove,
}

impl GcpProvider {
    pub(super) async fn provision_account(
        &self,
        lease: &Lease,
        grants: &[Grant],
        steps: &Steps<'_>,
    ) -> Result<Issued, CredsError> {
        let project = &self.cfg.project;
        let max = chrono::Duration::seconds(i64::try_from(self.cfg.max_token_lifetime_secs).unwrap_or(3600));
        let deadline = lease.expires_at.min(lease.created_at + max);
        if deadline < lease.expires_at {
            steps.set_expires_at(deadline)?;
            steps.note(
                "gcp.lifetime",
                &format!("TTL shortened to the maximum token lifetime of {} s", self.cfg.max_token_lifetime_secs),
            )?;
        }
        let id = account_id(lease.id);
        let email = account_email(lease.id, project);
        let name = self.account_name(&email);
        let desc = description(lease, deadline);
        let planned = bindings::plan(grants, project, deadline);

        let step = "gcp.create_service_account";
        let display: String = format!("paddock task {}", lease.task).chars().take(100).collect();
        let account = ServiceAccount::new().set_display_name(display).set_description(desc.clone());
        let created = steps
            .run(
                step,
                &format!("service account {email}"),
                async {
                    self.iam
                        .create_service_account()
                        .set_name(format!("projects/{project}"))
                        .set_account_id(&id)
                        .set_service_account(account)
                        // Safe to retry: a second create of the same id answers ALREADY_EXISTS, handled below.
                        .with_idempotency(true)
                        .send()
                        .await
                        .map_err(gax_err)
                },
                |a| format!("created {} (unique id {})", a.email, a.unique_id),
            )
            .await?;
        match created {
            Ok(_) => {}
            Err(e) if e.code == Some(Code::AlreadyExists) => {
                // A create retried after its first attempt landed; make sure it is this lease's.
                let a = self.iam.get_service_account().set_name(&name).send().await.map_err(gax_err);
                match a {
                    Ok(a) if lease_of(&a.email, &a.description) == Some(lease.id) => {
                        steps.note(step, &format!("{email} already exists and is this lease's"))?;
                    }
                    Ok(_) => {
                        return Err(CredsError::Gcp {
                            step,
                            message: format!("{email} exists and was not made for lease {}", lease.id),
                        });
                    }
                    Err(e) => return Err(e.into_creds("gcp.get_service_account")),
                }
            }
            Err(e) if e.code == Some(Code::ResourceExhausted) => {
                return Err(CredsError::ServiceAccountQuota { project: project.clone(), message: e.message });
            }
            Err(e) => return Err(e.into_creds(step)),
        }

        self.wait_visible(&name, &email, steps).await?;

        let member = format!("serviceAccount:{email}");
        for res in bindings::resources(&planned) {
            let these: Vec<&Planned> = planned.iter().filter(|p| p.resource == res).collect();
            let roles: Vec<&str> = these.iter().map(|p| p.role.as_str()).collect();
            let intent = format!("{} for {email} on {res} until {}", roles.join(", "), bindings::cel_time(deadline));
            self.edit_policy(&res, Edit::Add, "gcp.add_iam_binding", &intent, steps, |p| {
                bindings::add_member(p, &member, &these, &id, &desc)
            })
            .await?;
        }

        let (token, expires_at) = self.mint_token(&email, deadline, steps).await?;
        Ok(Issued {
            credential: Credential::Gcp { access_token: token, project: project.clone() },
            expires_at,
            principal: email,
        })
    }

    /// Waits (bounded) until IAM returns the new account: binding a role to an account IAM does
    /// not show yet fails.
    async fn wait_visible(&self, name: &str, email: &str, steps: &Steps<'_>) -> Result<(), CredsError> {
        let deadline = std::time::Instant::now() + Duration::from_secs(self.cfg.visible_timeout_secs);
        let mut delay = Duration::from_millis(100);
        let mut misses = 0u32;
        loop {
            match self.iam.get_service_account().set_name(name).send().await.map_err(gax_err) {
                Ok(_) => {
                    return steps.note("gcp.service_account_visible", &format!("{email} visible after {misses} misses"));
                }
                Err(e) if e.not_found() && std::time::Instant::now() + delay <= deadline => {
                    misses += 1;
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
                Err(e) if e.not_found() => {
                    steps.note("gcp.service_account_visible", &format!("gave up: {e}"))?;
                    return Err(CredsError::NotUsable { secs: self.cfg.visible_timeout_secs, message: e.message });
                }
                Err(e) => return Err(e.into_creds("gcp.get_service_account")),
            }
        }
    }

    /// `generateAccessToken` for the lease's account, lifetime up to `deadline`. Retried (bounded)
    /// while a brand-new account is not yet known to the token service.
    async fn mint_token(
        &self,
        email: &str,
        deadline: DateTime<Utc>,
        steps: &Steps<'_>,
    ) -> Result<(Secret, DateTime<Utc>), CredsError> {
        let step = "gcp.generate_access_token";
        let give_up = std::time::Instant::now() + Duration::from_secs(self.cfg.visible_timeout_secs);
        let mut delay = Duration::from_millis(100);
        loop {
            let lifetime = (deadline - Utc::now()).num_seconds().clamp(1, i64::try_from(self.cfg.max_token_lifetime_secs).unwrap_or(3600));
            let r = steps
                .run(
                    step,
                    &format!("access token for {email}, lifetime {lifetime} s"),
                    async {
                        self.tokens
                            .generate_access_token()
                            .set_name(format!("projects/-/serviceAccounts/{email}"))
                            .set_scope([CLOUD_PLATFORM_SCOPE])
                            .set_lifetime(google_cloud_wkt::Duration::clamp(lifetime, 0))
                            .with_idempotency(true)
                            .send()
                            .await
                            .map_err(gax_err)
                    },
                    // Never the token: only when it ends.
                    |r| format!("token for {email} until {}", r.expire_time.as_ref().map(|t| String::from(*t)).unwrap_or_default()),
                )
                .await?;
            match r {
                Ok(resp) => {
                    let expires = resp
                        .expire_time
                        .and_then(|t| DateTime::from_timestamp(t.seconds(), u32::try_from(t.nanos()).unwrap_or(0)))
                        .unwrap_or_else(|| Utc::now() + chrono::Duration::seconds(lifetime));
                    return Ok((Secret::from(resp.access_token), expires));
                }
                Err(e)
                    if matches!(e.code, Some(Code::NotFound | Code::PermissionDenied))
                        && std::time::Instant::now() + delay <= give_up =>
                {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(e.into_creds(step)),
            }
        }
    }

    pub(super) async fn revoke_account(
        &self,
        lease: &Lease,
        steps: &Steps<'_>,
        now: DateTime<Utc>,
    ) -> Result<RevokeProgress, CredsError> {
        let Some(created) = steps.first_intent("gcp.create_service_account")? else {
            return Ok(RevokeProgress::Done { cleanup_after: None });
        };
        if never_created(&steps.rows("gcp.create_service_account")?) {
            steps.note("gcp.create_service_account", "every create attempt was refused; nothing to revoke")?;
            return Ok(RevokeProgress::Done { cleanup_after: None });
        }
        let email = account_email(lease.id, &self.cfg.project);
        let name = self.account_name(&email);

        // 1. Disable: every token of the account stops working at once.
        let exists = match self.iam.get_service_account().set_name(&name).send().await.map_err(gax_err) {
            Ok(a) => {
                if !a.disabled {
                    self.disable(&name, &email, steps).await?;
                }
                true
            }
            Err(e) if e.not_found() => {
                if self.maybe_invisible(created, now) {
                    return Ok(RevokeProgress::RetryLater(format!(
                        "service account {email} not found, but it was created less than {} s ago; checking again later",
                        self.cfg.min_entity_age_secs
                    )));
                }
                steps.note("gcp.get_service_account", &format!("{email} does not exist"))?;
                false
            }
            Err(e) => return Err(e.into_creds("gcp.get_service_account")),
        };

        // 2. Bindings, on every resource the lease's grants name (live or deleted member form).
        let grants = parse_grants(&lease.scope)
            .map_err(|e| CredsError::Corrupt(format!("lease {} scope no longer parses: {e}", lease.id)))?;
        for res in bindings::resources(&bindings::plan(&grants, &self.cfg.project, lease.expires_at)) {
            self.unbind(&res, &email, steps).await?;
        }

        // 3. Keys (Paddock makes none; someone might have), 4. the account.
        if exists {
            self.delete_account(&name, &email, steps).await?;
        }
        Ok(RevokeProgress::Done { cleanup_after: None })
    }

    async fn disable(&self, name: &str, email: &str, steps: &Steps<'_>) -> Result<(), CredsError> {
        steps
            .remove("gcp.disable_service_account", email, "disabled", async {
                self.iam.disable_service_account().set_name(name).with_idempotency(true).send().await.map_err(gax_err)
            })
            .await?;
        Ok(())
    }

    async fn unbind(&self, res: &Resource, email: &str, steps: &Steps<'_>) -> Result<(), CredsError> {
        let intent = format!("remove {email} from {res}");
        self.edit_policy(res, Edit::Remove, "gcp.remove_iam_binding", &intent, steps, |p| {
            bindings::remove_member(p, email) > 0
        })
        .await
        .map(|_| ())
    }

    /// Deletes any user-managed keys, then the account. Every step tolerates "already gone".
    async fn delete_account(&self, name: &str, email: &str, steps: &Steps<'_>) -> Result<(), CredsError> {
        let keys = self
            .iam
            .list_service_account_keys()
            .set_name(name)
            .set_key_types([KeyType::UserManaged])
            .send()
            .await
            .map_err(gax_err);
        match keys {
            Ok(keys) => {
                for k in keys.keys {
                    let key_id = k.name.rsplit('/').next().unwrap_or_default().to_string();
                    steps
                        .remove("gcp.delete_service_account_key", &format!("key {key_id} of {email}"), "deleted", async {
                            self.iam
                                .delete_service_account_key()
                                .set_name(&k.name)
                                .with_idempotency(true)
                                .send()
                                .await
                                .map_err(gax_err)
                        })
                        .await?;
                }
            }
            Err(e) if e.not_found() => return Ok(()),
            Err(e) => return Err(e.into_creds("gcp.list_service_account_keys")),
        }
        steps
            .remove("gcp.delete_service_account", email, "deleted", async {
                self.iam.delete_service_account().set_name(name).with_idempotency(true).send().await.map_err(gax_err)
            })
            .await?;
        Ok(())
    }

    /// Read-modify-write of one resource's policy: read it (version 3), apply `edit`, write it
    /// back with the etag read. A concurrent change (409 ABORTED / 412) restarts the whole
    /// cycle with backoff, so nobody else's change is lost. Returns whether anything changed.
    async fn edit_policy(
        &self,
        res: &Resource,
        kind: Edit,
        step: &'static str,
        intent: &str,
        steps: &Steps<'_>,
        edit: impl Fn(&mut Value) -> bool,
    ) -> Result<bool, CredsError> {
        let mut delay = Duration::from_millis(100);
        for attempt in 1..=POLICY_ATTEMPTS {
            let mut policy = match self.get_policy(res).await {
                Ok(p) => p,
                Err(e) if e.not_found() && kind == Edit::Remove => {
                    steps.note(step, &format!("{res} does not exist; nothing to remove"))?;
                    return Ok(false);
                }
                Err(e) => return Err(e.into_creds("gcp.get_iam_policy")),
            };
            if !edit(&mut policy) {
                return Ok(false);
            }
            let r = steps.run(step, intent, self.set_policy(res, policy), |_| format!("{res} policy updated")).await?;
            match r {
                Ok(()) => return Ok(true),
                Err(e) if e.concurrent_change() && attempt < POLICY_ATTEMPTS => {
                    steps.note(step, &format!("the policy of {res} changed meanwhile (attempt {attempt}); reading it again"))?;
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err(e) if e.concurrent_change() => {
                    return Err(CredsError::Gcp {
                        step,
                        message: format!(
                            "the IAM policy of {res} kept changing while Paddock edited it ({POLICY_ATTEMPTS} attempts): {e}; \
                             try again when other IAM changes have settled"
                        ),
                    });
                }
                Err(e) => return Err(e.into_creds(step)),
            }
        }
        Ok(false)
    }

    async fn get_policy(&self, res: &Resource) -> Result<Value, GcpErr> {
        match res {
            Resource::Project(p) => {
                let policy = self
                    .projects
                    .get_iam_policy()
                    .set_resource(format!("projects/{p}"))
                    .set_options(google_cloud_iam_v1::model::GetPolicyOptions::new().set_requested_policy_version(3))
                    .with_idempotency(true)
                    .send()
                    .await
                    .map_err(gax_err)?;
                serde_json::to_value(&policy).map_err(|e| local(format!("cannot read the project policy: {e}")))
            }
            Resource::Bucket(b) => {
                let url = format!("{}/storage/v1/b/{b}/iam", self.cfg.base("https://storage.googleapis.com"));
                self.storage(reqwest::Method::GET, &url, &[("optionsRequestedPolicyVersion", "3")], None).await
            }
        }
    }

    async fn set_policy(&self, res: &Resource, policy: Value) -> Result<(), GcpErr> {
        match res {
            Resource::Project(p) => {
                let policy: google_cloud_iam_v1::model::Policy =
                    serde_json::from_value(policy).map_err(|e| local(format!("cannot encode the project policy: {e}")))?;
                self.projects
                    .set_iam_policy()
                    .set_resource(format!("projects/{p}"))
                    .set_policy(policy)
                    // A retried write with the same etag cannot clobber anything: it fails with ABORTED.
                    .with_idempotency(true)
                    .send()
                    .await
                    .map_err(gax_err)?;
                Ok(())
            }
            Resource::Bucket(b) => {
                let url = format!("{}/storage/v1/b/{b}/iam", self.cfg.base("https://storage.googleapis.com"));
                // Only the writable fields (`kind` and `resourceId` are ignored in requests).
                let mut body = serde_json::Map::new();
                for k in ["version", "bindings", "etag"] {
                    if let Some(v) = policy.get(k) {
                        body.insert(k.into(), v.clone());
                    }
                }
                self.storage(reqwest::Method::PUT, &url, &[], Some(Value::Object(body))).await.map(|_| ())
            }
        }
    }

    /// One Cloud Storage JSON API call, retried on 429 and 5xx with backoff. Errors carry the
    /// status and Google's message, never the request.
    async fn storage(
        &self,
        method: reqwest::Method,
        url: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Value, GcpErr> {
        let mut delay = Duration::from_millis(100);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let headers = self.auth_headers().await?;
            let mut req = self.http.request(method.clone(), url).headers(headers).query(query);
            if let Some(b) = &body {
                req = req.json(b);
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) if attempt < 5 && (e.is_connect() || e.is_timeout()) => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    continue;
                }
                Err(e) => return Err(local(format!("Cloud Storage: {}", super::error_chain(&e.without_url())))),
            };
            let status = resp.status().as_u16();
            let text = resp.text().await.map_err(|e| local(format!("Cloud Storage: {}", super::error_chain(&e))))?;
            if (200..300).contains(&status) {
                return serde_json::from_str(&text).map_err(|_| local(format!("Cloud Storage answered HTTP {status} with a body that is not JSON")));
            }
            if attempt < 5 && (status == 429 || status >= 500) {
                tokio::time::sleep(delay).await;
                delay *= 2;
                continue;
            }
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.pointer("/error/message").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| "no error message".into());
            return Err(GcpErr { code: None, http: Some(status), message: format!("HTTP {status}: {}", message.chars().take(400).collect::<String>()) });
        }
    }

    pub(super) async fn orphans(&self, live: &dyn LiveLeases) -> Result<Vec<Orphan>, CredsError> {
        let mut out = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = self
                .iam
                .list_service_accounts()
                .set_name(format!("projects/{}", self.cfg.project))
                .set_page_size(100)
                .set_page_token(&page_token)
                .send()
                .await
                .map_err(|e| gax_err(e).into_creds("gcp.list_service_accounts"))?;
            for a in &page.accounts {
                if !a.email.starts_with(ACCOUNT_PREFIX) {
                    continue;
                }
                // Only accounts this provider made (description naming the lease whose id the
                // account id carries); a hand-made `paddock-…` account is not ours to delete.
                if let Some(id) = lease_of(&a.email, &a.description)
                    && !live.is_live(id)
                {
                    out.push(Orphan { kind: "service_account".into(), name: a.email.clone(), lease: Some(id) });
                }
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        // Bindings of deleted Paddock accounts left on the project (undeleting the account
        // would bring them back to life).
        let policy = self
            .get_policy(&Resource::Project(self.cfg.project.clone()))
            .await
            .map_err(|e| e.into_creds("gcp.get_iam_policy"))?;
        for (member, _) in bindings::lease_members(&policy, ACCOUNT_PREFIX) {
            if member.starts_with("deleted:") {
                out.push(Orphan { kind: "project_binding".into(), name: member, lease: None });
            }
        }
        Ok(out)
    }

    pub(super) async fn remove(&self, orphan: &Orphan, steps: &Steps<'_>) -> Result<(), CredsError> {
        let project = Resource::Project(self.cfg.project.clone());
        match orphan.kind.as_str() {
            "service_account" => {
                let email = &orphan.name;
                let name = self.account_name(email);
                self.disable(&name, email, steps).await?;
                self.unbind(&project, email, steps).await?;
                self.delete_account(&name, email, steps).await
            }
            "project_binding" => {
                let email = orphan
                    .name
                    .strip_prefix("deleted:serviceAccount:")
                    .and_then(|r| r.split('?').next())
                    .unwrap_or_default();
                self.unbind(&project, email, steps).await
            }
            other => Err(CredsError::Config(format!("unknown GCP orphan kind `{other}`"))),
        }
    }
}

/// Whether the journal proves the account was never made: every create intent has an outcome,
/// none succeeded, and each failure is a refusal the server gives *instead of* acting (quota,
/// bad argument, no permission) — not one that could hide a create that happened (timeout,
/// 5xx, a lost response).
fn never_created(rows: &[(String, String)]) -> bool {
    const REFUSALS: &[&str] = &["RESOURCE_EXHAUSTED:", "INVALID_ARGUMENT:", "PERMISSION_DENIED:", "UNAUTHENTICATED:", "FAILED_PRECONDITION:"];
    let intents = rows.iter().filter(|(p, _)| p == "intent").count();
    let refused = rows.iter().filter(|(p, d)| p == "failed" && REFUSALS.iter().any(|r| d.starts_with(r))).count();
    intents > 0 && refused == intents && rows.iter().all(|(p, _)| p == "intent" || p == "failed")
}

fn local(message: String) -> GcpErr {
    GcpErr { code: None, http: None, message }
}
