//! Streaming export: pages through the log by sequence and writes as it goes, so an
//! export of a million events holds one page in memory.

use std::io::Write;

use crate::query::{Cursor, Filter, Query};
use crate::{AuditError, AuditLog};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object (an [`crate::Event`]) a line.
    Jsonl,
    /// RFC 4180 CSV with a header; `detail` is the JSON text.
    Csv,
}

impl std::str::FromStr for ExportFormat {
    type Err = AuditError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Ok(ExportFormat::Jsonl),
            "csv" => Ok(ExportFormat::Csv),
            _ => Err(AuditError::InvalidQuery(format!(
                "unknown export format {s:?}; expected jsonl or csv"
            ))),
        }
    }
}

const CSV_HEADER: [&str; 11] = [
    "seq", "id", "ts", "task_id", "actor", "kind", "action", "resource", "outcome", "detail",
    "hash",
];

/// Spreadsheets run cells starting with these as formulas; prefix them so an agent
/// cannot plant `=HYPERLINK(...)` in a file a person opens.
fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

impl AuditLog {
    /// Calls `each` for every event matching `filter`, oldest first, a page at a time.
    pub fn for_each_event(
        &self,
        filter: &Filter,
        mut each: impl FnMut(&crate::Event) -> Result<(), AuditError>,
    ) -> Result<u64, AuditError> {
        let mut n = 0u64;
        let mut cursor = Cursor::Oldest;
        loop {
            let page = self.query(&Query {
                filter: filter.clone(),
                cursor,
                limit: 1000,
            })?;
            for e in &page.events {
                each(e)?;
                n += 1;
            }
            match page.newer() {
                Some(c) => cursor = c,
                None => return Ok(n),
            }
        }
    }

    /// Writes every event matching `filter`, oldest first. Returns how many were written.
    pub fn export<W: Write>(
        &self,
        filter: &Filter,
        format: ExportFormat,
        out: W,
    ) -> Result<u64, AuditError> {
        fn err(e: impl std::fmt::Display) -> AuditError {
            AuditError::Export(e.to_string())
        }
        match format {
            ExportFormat::Jsonl => {
                let mut out = std::io::BufWriter::new(out);
                let n = self.for_each_event(filter, |e| {
                    serde_json::to_writer(&mut out, e).map_err(err)?;
                    out.write_all(b"\n").map_err(err)
                })?;
                out.flush().map_err(err)?;
                Ok(n)
            }
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(CSV_HEADER).map_err(err)?;
                let n = self.for_each_event(filter, |e| {
                    let detail = e.detail.to_string();
                    let seq = e.seq.to_string();
                    w.write_record([
                        seq.as_str(),
                        &e.id,
                        &e.ts,
                        &defuse(e.task_id.as_deref().unwrap_or("")),
                        e.actor.as_str(),
                        e.kind.as_str(),
                        &defuse(&e.action),
                        &defuse(&e.resource),
                        &defuse(e.outcome.as_deref().unwrap_or("")),
                        &defuse(&detail),
                        &e.hash,
                    ])
                    .map_err(err)
                })?;
                w.flush().map_err(err)?;
                Ok(n)
            }
        }
    }
}
