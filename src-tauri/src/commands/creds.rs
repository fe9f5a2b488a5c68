//! The Credentials screen: leases from paddock-creds, the admin key's status,
//! revoke now, and reap-and-sweep. Revocation and sweeps make cloud calls
//! that can take seconds (retries, eventual consistency): each step streams
//! to the window as it is journaled, and goes to the audit trail.

use std::sync::Arc;

use paddock_creds::aws::ADMIN_KEYRING_USER;
use paddock_creds::{CredsEvent, CredsObserver, LeaseStore, Leases};
use paddock_ipc::WireError;
use paddock_ipc::creds::{CredsOverview, CredsStep, Lease, SweepDone};
use tauri::ipc::Channel;

use super::blocking;
use crate::convert::creds as convert;
use crate::state::AppState;

fn open(state: &AppState, observer: Arc<dyn CredsObserver>) -> Result<Leases, WireError> {
    let store = LeaseStore::open(&state.leases_db()).map_err(convert::error)?;
    Ok(Leases::new(store, observer))
}

/// Every step to the window (while it listens) and to the audit trail.
struct ToWindowAndAudit {
    window: Channel<CredsStep>,
    audit: Option<Arc<paddock_audit::AuditLog>>,
}

impl CredsObserver for ToWindowAndAudit {
    fn on_event(&self, e: &CredsEvent<'_>) {
        if let Err(err) = self.window.send(convert::step(e)) {
            tracing::debug!("credential step not delivered to the window: {err}");
        }
        if let Some(log) = &self.audit
            && let Err(err) = log.append(convert::audit_event(e))
        {
            tracing::error!("credential step not recorded in the audit trail: {err}");
        }
    }
}

fn observer(state: &AppState, window: Channel<CredsStep>) -> Arc<dyn CredsObserver> {
    Arc::new(ToWindowAndAudit { window, audit: state.audit.as_ref().ok().cloned() })
}

#[tauri::command]
pub async fn creds_overview(state: tauri::State<'_, AppState>) -> Result<CredsOverview, WireError> {
    let leases = open(&state, Arc::new(paddock_creds::NoObserver))?;
    let store = state.leases_db().display().to_string();
    let service = state.keyring.creds_admin.clone();
    let settings = state.creds_settings();
    blocking(move || {
        let rows = leases.list_leases().map_err(convert::error)?;
        let admin = paddock_creds::admin_key_status(&service, ADMIN_KEYRING_USER);
        Ok(CredsOverview {
            leases: rows.into_iter().map(convert::lease).collect(),
            admin: convert::admin(admin, &service, ADMIN_KEYRING_USER),
            gcp: super::gcp::read(settings, &service)?,
            store,
        })
    })
    .await
}

/// Revokes one lease now. Returns the lease afterwards: `revoked`, or still
/// `revoking` with the reason when a cloud call must be retried (the reaper
/// retries with backoff).
#[tauri::command]
pub async fn creds_revoke(
    state: tauri::State<'_, AppState>,
    id: String,
    on_event: Channel<CredsStep>,
) -> Result<Lease, WireError> {
    let id = uuid::Uuid::parse_str(id.trim())
        .map_err(|_| WireError::invalid_input(format!("{id:?} is not a lease id")))?;
    let leases = open(&state, observer(&state, on_event))?;
    tracing::info!(lease = %id, "revoke requested from the app");
    leases.revoke(id, "revoked on demand from the app").await.map_err(convert::error)?;
    let row = leases
        .list_leases()
        .map_err(convert::error)?
        .into_iter()
        .find(|l| l.id == id)
        .ok_or_else(|| WireError::not_found(format!("lease {id} is gone from the lease database")))?;
    Ok(convert::lease(row))
}

/// `paddock creds reap --sweep`: finishes interrupted work, revokes expired
/// leases, retries due revocations, then removes Paddock objects in every
/// account the journal knows that belong to no live lease.
#[tauri::command]
pub async fn creds_sweep(
    state: tauri::State<'_, AppState>,
    on_event: Channel<CredsStep>,
) -> Result<SweepDone, WireError> {
    let leases = open(&state, observer(&state, on_event))?;
    tracing::info!("reap and sweep requested from the app");
    let report = leases.reap().await.map_err(convert::error)?;
    let orphans = leases.sweep(None).await.map_err(convert::error)?;
    Ok(convert::sweep(report, orphans))
}
