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
