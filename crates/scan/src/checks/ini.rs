//! The INI dialect of `~/.aws/credentials` and `~/.pypirc`: `[section]`,
//! `key = value`, `#`/`;` comments. Small enough that a dependency would cost
//! more than it saves; values are returned as-is for the caller to classify.

pub(crate) struct Section {
    pub name: String,
    pub entries: Vec<(String, String)>,
}

impl Section {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
}

pub(crate) fn parse(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.push(Section { name: name.trim().to_owned(), entries: Vec::new() });
            continue;
        }
        let Some((k, v)) = line.split_once(['=', ':']) else { continue };
        if sections.is_empty() {
            sections.push(Section { name: String::new(), entries: Vec::new() });
        }
        if let Some(section) = sections.last_mut() {
            section.entries.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    sections
}

#[cfg(test)]
mod tests {
    #[test]
    fn sections_and_keys() {
        let s = super::parse("# c\n[default]\naws_access_key_id = A\n; x\n[profile b]\nregion=eu\n");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].get("AWS_ACCESS_KEY_ID"), Some("A"));
        assert_eq!(s[1].name, "profile b");
        assert_eq!(s[1].get("region"), Some("eu"));
    }
}
