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
