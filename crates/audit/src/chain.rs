//! The hash chain: `hash(n) = SHA-256(hash(n-1) || canonical(row n))`, `hash(0) = 32 zero bytes`.
//!
//! The canonical encoding is length-prefixed, so no two different rows encode the same,
//! and it hashes the detail JSON exactly as stored (text), so verifying never depends on
//! how a JSON library orders keys.

use sha2::{Digest, Sha256};

pub const GENESIS: [u8; 32] = [0; 32];

/// The columns that the chain covers, borrowed from wherever they come from.
pub struct RowRef<'a> {
    pub seq: u64,
    pub id: &'a str,
    pub ts: &'a str,
    pub task_id: Option<&'a str>,
    pub actor: &'a str,
    pub kind: &'a str,
    pub action: &'a str,
    pub resource: &'a str,
    pub outcome: Option<&'a str>,
    pub detail: &'a str,
}

fn put_str(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

fn put_opt(h: &mut Sha256, s: Option<&str>) {
    match s {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            put_str(h, s);
        }
    }
}

pub fn row_hash(prev: &[u8; 32], row: &RowRef<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"paddock-audit-row-v1");
    h.update(prev);
    h.update(row.seq.to_be_bytes());
    put_str(&mut h, row.id);
    put_str(&mut h, row.ts);
    put_opt(&mut h, row.task_id);
    put_str(&mut h, row.actor);
    put_str(&mut h, row.kind);
    put_str(&mut h, row.action);
    put_str(&mut h, row.resource);
    put_opt(&mut h, row.outcome);
    put_str(&mut h, row.detail);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(task: Option<&'a str>, action: &'a str) -> RowRef<'a> {
        RowRef {
            seq: 1,
            id: "i",
            ts: "t",
            task_id: task,
            actor: "agent",
            kind: "tool_call",
            action,
            resource: "",
            outcome: None,
            detail: "null",
        }
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        // Moving bytes from one field to the next must change the hash.
        let a = row_hash(
            &GENESIS,
            &RowRef {
                action: "ab",
                resource: "",
                ..row(None, "")
            },
        );
        let b = row_hash(
            &GENESIS,
            &RowRef {
                action: "a",
                resource: "b",
                ..row(None, "")
            },
        );
        assert_ne!(a, b);
        assert_ne!(
            row_hash(&GENESIS, &row(None, "x")),
            row_hash(&GENESIS, &row(Some(""), "x"))
        );
    }

    #[test]
    fn previous_hash_is_covered() {
        assert_ne!(
            row_hash(&GENESIS, &row(None, "x")),
            row_hash(&[1; 32], &row(None, "x"))
        );
    }
}
