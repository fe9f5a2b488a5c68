//! The Audit screen: query, count, verify, export.

use std::sync::Arc;

use paddock_audit::AuditLog;
use paddock_ipc::audit::{
    AuditCounts, AuditFilter, AuditPage, AuditQuery, AuditTask, AuditVerify, ExportDone, ExportFormat,
};
use paddock_ipc::WireError;

use super::blocking;
use crate::convert;
use crate::state::AppState;

fn log(state: &AppState) -> Result<Arc<AuditLog>, WireError> {
    state.audit.clone().map_err(|message| WireError::new(paddock_ipc::ErrorCode::Unavailable, message))
}

#[tauri::command]
pub async fn audit_query(state: tauri::State<'_, AppState>, query: AuditQuery) -> Result<AuditPage, WireError> {
    let log = log(&state)?;
    blocking(move || {
        let q = convert::query(query)?;
        let page = log.query(&q).map_err(convert::audit_error)?;
        Ok(convert::page(page))
    })
    .await
}

#[tauri::command]
pub async fn audit_counts(state: tauri::State<'_, AppState>, filter: AuditFilter) -> Result<AuditCounts, WireError> {
    let log = log(&state)?;
    blocking(move || {
        let f = convert::filter(filter)?;
        log.counts(&f).map(convert::counts).map_err(convert::audit_error)
    })
    .await
}

#[tauri::command]
pub async fn audit_tasks(state: tauri::State<'_, AppState>) -> Result<Vec<AuditTask>, WireError> {
    let log = log(&state)?;
    blocking(move || {
        let tasks = log.tasks(500).map_err(convert::audit_error)?;
        Ok(tasks.into_iter().map(convert::task).collect())
    })
    .await
}

#[tauri::command]
pub async fn audit_verify(state: tauri::State<'_, AppState>) -> Result<AuditVerify, WireError> {
    let log = log(&state)?;
    blocking(move || log.verify().map(convert::verify).map_err(convert::audit_error)).await
}

/// Writes the filtered events to a new file in the downloads folder (or the
/// data folder when there is none) and says where.
#[tauri::command]
pub async fn audit_export(
    state: tauri::State<'_, AppState>,
    filter: AuditFilter,
    format: ExportFormat,
) -> Result<ExportDone, WireError> {
    let log = log(&state)?;
    let dir = state.export_dir.clone();
    blocking(move || {
        let f = convert::filter(filter)?;
        let (ext, fmt) = match format {
            ExportFormat::Jsonl => ("jsonl", paddock_audit::ExportFormat::Jsonl),
            ExportFormat::Csv => ("csv", paddock_audit::ExportFormat::Csv),
        };
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let path = dir.join(format!("paddock-audit-{stamp}.{ext}"));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| WireError::internal(format!("cannot create {}: {e}", path.display())))?;
        let events = log.export(&f, fmt, std::io::BufWriter::new(file)).map_err(convert::audit_error)?;
        Ok(ExportDone { path: path.display().to_string(), events })
    })
    .await
}
