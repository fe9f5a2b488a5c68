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

fn put_bytes(h: &mut Sha256, s: &[u8]) {
    h.update((s.len() as u64).to_be_bytes());
    h.update(s);
}

fn put_opt(h: &mut Sha256, s: Option<&[u8]>) {
    match s {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            put_bytes(h, s);
        }
    }
}

/// Appends `bytes` as lowercase hex. `hex::encode` builds its string a `char` at a
/// time, which shows in profiles when it runs for every event.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

/// `bytes` as lowercase hex.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::new();
    push_hex(&mut s, bytes);
    s
}

pub fn row_hash(prev: &[u8; 32], row: &RowRef<'_>) -> [u8; 32] {
    row_hash_bytes(
        prev,
        &RowBytes {
            seq: row.seq,
            id: row.id.as_bytes(),
            ts: row.ts.as_bytes(),
            task_id: row.task_id.map(str::as_bytes),
            actor: row.actor.as_bytes(),
            kind: row.kind.as_bytes(),
            action: row.action.as_bytes(),
            resource: row.resource.as_bytes(),
            outcome: row.outcome.map(str::as_bytes),
            detail: row.detail.as_bytes(),
        },
    )
}

/// [`RowRef`] as the bytes SQLite hands back, so verify need not check that each
/// column is UTF-8 first: the hash covers the bytes either way.
pub(crate) struct RowBytes<'a> {
    pub seq: u64,
    pub id: &'a [u8],
    pub ts: &'a [u8],
    pub task_id: Option<&'a [u8]>,
    pub actor: &'a [u8],
    pub kind: &'a [u8],
    pub action: &'a [u8],
    pub resource: &'a [u8],
    pub outcome: Option<&'a [u8]>,
    pub detail: &'a [u8],
}

pub(crate) fn row_hash_bytes(prev: &[u8; 32], row: &RowBytes<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"paddock-audit-row-v1");
    h.update(prev);
    h.update(row.seq.to_be_bytes());
    put_bytes(&mut h, row.id);
    put_bytes(&mut h, row.ts);
    put_opt(&mut h, row.task_id);
    put_bytes(&mut h, row.actor);
    put_bytes(&mut h, row.kind);
    put_bytes(&mut h, row.action);
    put_bytes(&mut h, row.resource);
    put_opt(&mut h, row.outcome);
    put_bytes(&mut h, row.detail);
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
    fn hex_matches_the_hex_crate() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(to_hex(&bytes), hex::encode(&bytes));
    }

    #[test]
    fn previous_hash_is_covered() {
        assert_ne!(
            row_hash(&GENESIS, &row(None, "x")),
            row_hash(&[1; 32], &row(None, "x"))
        );
    }
}
