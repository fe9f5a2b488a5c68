// Generated from crates/ipc by `UPDATE_BINDINGS=1 cargo test -p paddock-ipc`. Do not edit.

export type ErrorCode = "invalid_input" | "not_found" | "permission_denied" | "unavailable" | "conflict" | "internal";

export type WireError = { code: ErrorCode, message: string, };

export type AppInfo = { 
/**
 * The Paddock version, e.g. `0.1.0`.
 */
version: string, 
/**
 * `linux`, `macos` or `windows`.
 */
platform: string, 
/**
 * Where Paddock keeps its databases and keys.
 */
data_dir: string, 
/**
 * Whether `PADDOCK_ALLOW_UNSANDBOXED=1` is set: the app shows a
 * persistent warning while it is.
 */
unsandboxed_allowed: boolean, };

export type CheckStatus = "ok" | "warn" | "missing";

export type CheckResult = { 
/**
 * Stable id, e.g. `bubblewrap`.
 */
id: string, 
/**
 * What was checked, for a person.
 */
title: string, status: CheckStatus, 
/**
 * What was found (a version, a path, or why it failed).
 */
detail: string, 
/**
 * The exact command that fixes a missing piece, when there is one.
 */
fix: string | null, };

export type CheckEvent = { "event": "started", total: number, } | { "event": "checked", index: number, result: CheckResult, } | { "event": "finished", ok: number, warn: number, missing: number, };

export type AuditActor = "user" | "agent" | "sub_agent" | "system";

export type AuditKind = "tool_call" | "gate_decision" | "approval" | "sandbox" | "egress" | "credential" | "task" | "webhook" | "config" | "warning";

export type AuditFilter = { since: string | null, until: string | null, task_id: string | null, actors: Array<AuditActor>, kinds: Array<AuditKind>, outcomes: Array<string>, 
/**
 * Free text; every word must occur. `word*` matches a prefix.
 */
text: string | null, };

export type AuditCursor = { "at": "newest" } | { "at": "oldest" } | { "at": "before", "seq": number } | { "at": "after", "seq": number };

export type AuditQuery = { filter: AuditFilter, cursor: AuditCursor, limit: number, };

export type AuditEvent = { seq: number, id: string, 
/**
 * RFC 3339, UTC.
 */
ts: string, task_id: string | null, actor: AuditActor, kind: AuditKind, action: string, resource: string, outcome: string | null, 
/**
 * Already redacted when it was written.
 */
detail: unknown, hash: string, };

export type AuditPage = { events: Array<AuditEvent>, has_older: boolean, has_newer: boolean, };

export type CountEntry = { key: string, count: number, };

export type AuditCounts = { total: number, by_kind: Array<CountEntry>, 
/**
 * Events without an outcome are counted under `""`.
 */
by_outcome: Array<CountEntry>, };

export type VerifyProblem = { seq: number | null, message: string, };

export type AuditVerify = { ok: boolean, events: number, head_seq: number, checkpoints_verified: number, 
/**
 * Events after this sequence are chained but not yet sealed by a signed checkpoint.
 */
sealed_through: number, first_broken: number | null, problems: Array<VerifyProblem>, 
/**
 * When the check ran (RFC 3339, UTC).
 */
checked_at: string, };

export type AuditTask = { task_id: string, first_seq: number, last_seq: number, events: number, };

export type ExportFormat = "jsonl" | "csv";

export type ExportDone = { path: string, events: number, };

export type Severity = "info" | "low" | "medium" | "high" | "critical";

export type RiskLevel = "low" | "medium" | "high" | "critical";

export type FindingCategory = "cloud" | "package_token" | "vcs" | "ssh" | "gpg" | "environment" | "env_file" | "privilege" | "browser" | "password_manager" | "ai_agent";

export type ScanFinding = { id: string, category: FindingCategory, kind: string, location: string, 
/**
 * `AKIA…WXYZ`, `hmac:1a2b3c4d`, an SSH key fingerprint; never the value.
 */
fingerprint: string | null, 
/**
 * "3 days"; null when the file has no readable modification time.
 */
age: string | null, age_seconds: number | null, severity: Severity, explanation: string, paddock_mitigation: string, };

export type ScanEvent = { "event": "check_started", check: string, } | { "event": "finding", finding: ScanFinding, } | { "event": "note", note: string, };

export type ScanReport = { 
/**
 * Most severe first.
 */
findings: Array<ScanFinding>, risk: RiskLevel, reasons: Array<string>, 
/**
 * What the scan could not look at.
 */
notes: Array<string>, 
/**
 * RFC 3339, UTC.
 */
scanned_at: string | null, };

export type ScanInfo = { 
/**
 * How findings map to a level.
 */
risk_rules: string, 
/**
 * The risk-audit prompt for the user's own agent.
 */
audit_prompt: string, audit_prompt_note: string, 
/**
 * The HOME that is scanned (the real one unless `PADDOCK_SCAN_HOME` is set).
 */
home: string, 
/**
 * True when `PADDOCK_SCAN_HOME` points the scan somewhere else.
 */
home_overridden: boolean, };

export type BypassKind = "claude_bypass_permissions" | "claude_skip_dangerous_prompt" | "shell_dangerous_flag" | "codex_approval_never" | "codex_danger_full_access" | "production_repo" | "bypass_on_production";

export type BypassWarning = { id: string, kind: BypassKind, location: string, 
/**
 * The repository it applies to; null for machine-wide settings.
 */
repo: string | null, explanation: string, paddock_instead: string, 
/**
 * A task must not start on `repo` until this is acknowledged.
 */
requires_ack: boolean, 
/**
 * RFC 3339, UTC; null when not acknowledged (or not needing it).
 */
acknowledged_at: string | null, };

export type AckRecord = { repo: string, warning_id: string, acknowledged_at: string, 
/**
 * The acknowledgement store (`<data dir>/acks.json`).
 */
store: string, };

export type ComparisonStatus = "still_reachable" | "only_inside" | "replaced" | "removed";

export type ComparisonRow = { id: string, category: FindingCategory, kind: string, location: string, 
/**
 * Null when not found outside.
 */
outside: Severity | null, 
/**
 * Null when not found inside.
 */
inside: Severity | null, status: ComparisonStatus, };

export type ScanComparison = { 
/**
 * Rows needing attention first, then by severity.
 */
rows: Array<ComparisonRow>, outside_risk: RiskLevel, inside_risk: RiskLevel, 
/**
 * Nothing found outside is reachable inside.
 */
isolation_holds: boolean, 
/**
 * The sandbox that ran the inside scan, e.g. `bubblewrap`.
 */
backend: string, 
/**
 * What the inside scan could not look at.
 */
inside_notes: Array<string>, };

export type CompareEvent = { "event": "outside" } | { "event": "inside" };

export type OnboardingStep = "risk" | "bypass" | "sandbox" | "credentials" | "packs" | "done";

export type OnboardingState = { step: OnboardingStep, completed: Array<OnboardingStep>, skipped: Array<OnboardingStep>, 
/**
 * Repositories to look into (`.env` files, project agent settings, remotes).
 */
repos: Array<string>, 
/**
 * Chosen gate packs; null until the packs step is answered.
 */
packs: Array<string> | null, 
/**
 * The wizard reached its end.
 */
finished: boolean, 
/**
 * The user closed the wizard before the end; the app stops opening on it.
 */
dismissed: boolean, 
/**
 * The route last shown, to reopen there.
 */
last_screen: string | null, };

export type GateVerdict = "allow" | "ask" | "deny";

export type GateRule = { id: string, verdict: GateVerdict, reason: string, };

export type GatePack = { id: string, description: string, rules: Array<GateRule>, };

export type AgentKind = "claude" | "codex" | "cmd";

export type TaskState = "created" | "running" | "stopping" | "finished" | "failed" | "cancelled";

export type TaskSummary = { id: string, agent: string, repo: string, branch: string, prompt: string, state: TaskState, exit_code: number | null, 
/**
 * Why it failed or was stopped, for a person.
 */
error: string | null, 
/**
 * RFC 3339, UTC.
 */
created_at: string, started_at: string | null, finished_at: string | null, ttl_secs: number, bypass: boolean, allow_hosts: Array<string>, 
/**
 * The commit Paddock made on `branch`, once there is one.
 */
commit: string | null, 
/**
 * Run by this window's engine (Stop works here) or by another process.
 */
run_here: boolean, };

export type TaskLaunch = { agent: AgentKind, repo: string, 
/**
 * The prompt (claude, codex) or the command line (cmd, split like a shell would).
 */
prompt: string, allow_hosts: Array<string>, 
/**
 * Cloud grants, e.g. `s3:read bucket/prefix`.
 */
grants: Array<string>, ttl_secs: number, bypass: boolean, 
/**
 * The sandbox profile: tool caches (`cargo`, `npm`, `pip`, `uv`, `go`) the
 * agent may write, shared with the user's HOME. Empty: none.
 */
tool_caches: Array<string>, };

export type TaskDetail = { task: TaskSummary, 
/**
 * The task's audit events, oldest first (output, gate decisions,
 * approvals, network requests, credentials, the commit).
 */
events: Array<AuditEvent>, 
/**
 * More events exist after the last one here.
 */
has_more: boolean, 
/**
 * Paddock's commit once the task ended, else what changed so far.
 */
diff: string, };

export type ApprovalState = "pending" | "approved" | "denied" | "expired";

export type Approval = { id: string, task_id: string, tool: string, 
/**
 * The command, path or URL the agent wants.
 */
resource: string, rule_id: string | null, reason: string, state: ApprovalState, decided_by: string | null, created_at: string, decided_at: string | null, };

export type ApprovalChoice = "approve" | "deny" | "always_allow";

export type OutputStream = "stdout" | "stderr";

export type EngineUpdate = { "type": "output", task_id: string, stream: OutputStream, text: string, } | { "type": "task", task: TaskSummary, } | { "type": "approval", approval: Approval, } | { "type": "heartbeat" };

export type LeaseState = "provisioning" | "active" | "revoking" | "revoked" | "failed";

export type LeaseStep = { seq: number, 
/**
 * RFC 3339, UTC.
 */
at: string, 
/**
 * `aws.create_user`, `state`, … (stable names).
 */
step: string, 
/**
 * `intent`, `done`, `failed` or `state`.
 */
phase: string, detail: string, };

export type Lease = { id: string, task: string, 
/**
 * `aws` or `gcp`.
 */
provider: string, 
/**
 * `assumed_role` or `iam_user` for AWS, `service_account` for GCP.
 */
mode: string, state: LeaseState, 
/**
 * Why provisioning failed or was interrupted.
 */
failure: string | null, 
/**
 * The principal handed out (an ARN, or a service-account email), once known.
 */
principal: string | null, 
/**
 * The grants in their readable form, e.g. `s3:read bucket/prefix`.
 */
scope: Array<string>, created_at: string, expires_at: string, revoked_at: string | null, 
/**
 * A revoked assumed-role lease keeps a revocation Deny on the base role until then.
 */
cleanup_after: string | null, 
/**
 * Failed revocation attempts so far.
 */
attempts: number, next_attempt_at: string | null, last_error: string | null, history: Array<LeaseStep>, };

export type AdminKey = { "status": "configured", key_id: string, } | { "status": "missing" } | { "status": "unreadable", reason: string, };

export type AdminKeyStatus = { key: AdminKey, 
/**
 * Keyring service and user of the entry, e.g. `paddock` / `aws-admin`.
 */
service: string, user: string, 
/**
 * The command that stores the key (reads JSON from stdin).
 */
set_command: string, };

export type CredsOverview = { 
/**
 * Newest first.
 */
leases: Array<Lease>, admin: AdminKeyStatus, 
/**
 * Google Cloud: the saved project and admin source, and the keyring key's status.
 */
gcp: GcpSettings, 
/**
 * The lease database.
 */
store: string, };

export type CredsStep = { 
/**
 * The lease the step is for (the nil UUID for an orphan of no known lease).
 */
lease_id: string, task: string, action: string, 
/**
 * `intent`, `done`, `failed` or `state`.
 */
phase: string, detail: string, };

export type RemovedOrphan = { 
/**
 * `user`, `policy`, `role_policy`, …
 */
kind: string, name: string, };

export type Retrying = { lease_id: string, reason: string, };

export type SweepDone = { 
/**
 * Leases revoked (expired, or interrupted provisioning).
 */
revoked: Array<string>, 
/**
 * Failed leases cleaned up.
 */
failed: Array<string>, 
/**
 * Still revoking; the reaper retries with backoff.
 */
retrying: Array<Retrying>, 
/**
 * Revocation Denies removed after their session's maximum life.
 */
cleaned: Array<string>, orphans_removed: Array<RemovedOrphan>, };

export type EgressRule = { id: string, 
/**
 * Exact names, `*.domain` (subdomains only) or IP addresses.
 */
hosts: Array<string>, 
/**
 * Null: allow rules get 80 and 443, deny rules every port.
 */
ports: Array<number> | null, 
/**
 * Shown to the agent when a deny rule refuses it.
 */
reason: string | null, 
/**
 * The hosts may resolve to loopback or private addresses.
 */
private: boolean, };

export type EgressService = { name: string, 
/**
 * `anthropic`, `openai`, `github` or `custom`.
 */
kind: string, 
/**
 * The keyring entry's name (never its value).
 */
secret: string, 
/**
 * Custom services: `https://…` base URL.
 */
upstream: string | null, 
/**
 * Custom services: the header the key goes in.
 */
header: string | null, 
/**
 * Header value template containing `{secret}`; null for the kind's default.
 */
value: string | null, private: boolean, };

export type EgressPolicy = { allow: Array<EgressRule>, deny: Array<EgressRule>, services: Array<EgressService>, };

export type SecretPresence = "stored" | "missing" | "unknown";

export type SecretStatus = { name: string, presence: SecretPresence, };

export type EgressSettings = { 
/**
 * The policy file `paddock egress serve|check` read by default.
 */
path: string, 
/**
 * False until the first save: with no file, every host is refused.
 */
exists: boolean, policy: EgressPolicy, 
/**
 * Keyed by entry name, for every service's `secret`.
 */
secrets: Array<SecretStatus>, keyring_problem: string | null, 
/**
 * The annotated example policy, offered as a starting point.
 */
example: EgressPolicy, };

export type WebhookSource = "slack" | "github";

export type WebhookSecretStatus = { source: WebhookSource, presence: SecretPresence, 
/**
 * Why the keyring could not say, when it could not.
 */
problem: string | null, 
/**
 * The endpoints it verifies, e.g. `/github`.
 */
endpoints: string, };

export type AutoRunRule = { id: string, source: WebhookSource | null, repos: Array<string>, senders: Array<string>, labels: Array<string>, };

export type WebhookRules = { 
/**
 * The rules file `paddock webhooks serve` reads by default.
 */
path: string, exists: boolean, 
/**
 * The file's text, to edit ("" when there is none).
 */
text: string, rules: Array<AutoRunRule>, 
/**
 * Why the file does not load, when it does not.
 */
error: string | null, };

export type DeliveryVerdict = "accepted" | "ignored" | "rejected";

export type WebhookDelivery = { id: string, received_at: string, source: WebhookSource | null, endpoint: string, event: string | null, status: number, verdict: DeliveryVerdict, reason: string, proposal_id: string | null, peer: string | null, };

export type ProposalState = "pending" | "approved" | "rejected" | "launching" | "launched" | "failed";

export type TaskProposal = { id: string, created_at: string, source: WebhookSource, repo: string, prompt: string, sender: string, labels: Array<string>, 
/**
 * Issue URL, Slack channel, …
 */
reference: string | null, state: ProposalState, decided_at: string | null, 
/**
 * `user`, or `rule:<id>` for an auto-run.
 */
decided_by: string | null, 
/**
 * The task it became (state `launched`).
 */
task_id: string | null, 
/**
 * Why it was not started (state `failed`).
 */
launch_error: string | null, };

export type IntegrationsOverview = { secrets: Array<WebhookSecretStatus>, rules: WebhookRules, 
/**
 * Newest first, at most 50.
 */
deliveries: Array<WebhookDelivery>, 
/**
 * Newest first.
 */
proposals: Array<TaskProposal>, 
/**
 * The proposals database.
 */
db: string, 
/**
 * How to start the listener.
 */
serve_command: string, };

export type GcpAdminSource = { "source": "adc" } | { "source": "keyring", service: string, user: string, } | { "source": "impersonate", service_account: string, };

export type GcpConfig = { 
/**
 * The project the per-lease service accounts live in.
 */
project: string, admin: GcpAdminSource, 
/**
 * Roles a lease may bind (`roles/…`, `projects/P/roles/…`).
 */
allowed_roles: Array<string>, 
/**
 * The longest access token minted, in seconds (3600 unless the org allows up to 43200).
 */
max_token_lifetime_secs: number, };

export type GcpAdminKey = { "status": "stored", client_email: string, } | { "status": "missing" } | { "status": "unreadable", reason: string, };

export type GcpAdminKeyStatus = { 
/**
 * The keyring entry looked at: the saved keyring source, else the default one.
 */
service: string, user: string, key: GcpAdminKey, 
/**
 * The command that stores a key there (reads the key file's JSON from stdin).
 */
set_command: string, };

export type GcpKeyringEntry = { service: string, user: string, };

export type GcpSettings = { 
/**
 * `<data>/creds-settings.json`.
 */
path: string, 
/**
 * False until GCP settings are saved: no GCP lease can be granted without a project.
 */
configured: boolean, 
/**
 * The saved settings, or a starting point (empty project, default roles).
 */
config: GcpConfig, 
/**
 * The roles allowed when nothing says otherwise.
 */
default_roles: Array<string>, 
/**
 * The keyring entry the app offers for a keyring source (namespaced like the AWS key).
 */
default_keyring: GcpKeyringEntry, admin_key: GcpAdminKeyStatus, 
/**
 * One line for people: where the admin credentials come from.
 */
admin_description: string, };
