//! The agent's output on its way to the person, the app and the audit trail:
//! cut at line ends (so a secret is never split across two records) and
//! stripped of the secrets the engine itself handed into the sandbox — the
//! agent's API token and the leased cloud credentials — which an agent
//! printing its environment would otherwise copy into the trail. (The audit
//! trail's own redaction catches secrets by shape; these have none it knows.)

/// A record is cut at the last line end, or at this size if a line is longer.
pub(crate) const MAX_RECORD: usize = 64 * 1024;

const MARKER: &str = "[REDACTED:task-secret]";

/// Secrets of one task, replaced wherever they appear.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Values shorter than 8 characters are not secrets worth matching (and
    /// would blank ordinary words).
    pub(crate) fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= 8).collect();
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    pub(crate) fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MARKER);
            }
        }
        out
    }
}

/// Accumulates bytes and hands out complete lines (or a full buffer).
#[derive(Default)]
pub(crate) struct LineBuffer {
    pending: Vec<u8>,
}

impl LineBuffer {
    /// Adds `bytes`; returns what is ready to be recorded, if anything.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        self.pending.extend_from_slice(bytes);
        let cut = match self.pending.iter().rposition(|b| *b == b'\n') {
            Some(i) => i + 1,
            None if self.pending.len() >= MAX_RECORD => self.pending.len(),
            None => return None,
        };
        let rest = self.pending.split_off(cut);
        Some(std::mem::replace(&mut self.pending, rest))
    }

    /// What is left at the end of the stream.
    pub(crate) fn finish(&mut self) -> Option<Vec<u8>> {
        (!self.pending.is_empty()).then(|| std::mem::take(&mut self.pending))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced_and_short_values_ignored() {
        let r = Redactor::new(["v4.public.abcdefgh".to_owned(), "short".to_owned(), "SECRETKEY123".to_owned()]);
        assert_eq!(
            r.apply("TOKEN=v4.public.abcdefgh KEY=SECRETKEY123 short"),
            "TOKEN=[REDACTED:task-secret] KEY=[REDACTED:task-secret] short"
        );
    }

    #[test]
    fn lines_are_never_split() {
        let mut b = LineBuffer::default();
        assert_eq!(b.push(b"TOKEN=v4.pu"), None);
        assert_eq!(b.push(b"blic.abc\nnext"), Some(b"TOKEN=v4.public.abc\n".to_vec()));
        assert_eq!(b.finish(), Some(b"next".to_vec()));
        assert_eq!(b.finish(), None);
        let long = vec![b'x'; MAX_RECORD];
        assert_eq!(b.push(&long).map(|v| v.len()), Some(MAX_RECORD));
    }
}
