//! Bash source → the simple commands it would run, via tree-sitter-bash.
//!
//! Every word is evaluated *statically*: quotes and escapes are removed the way
//! bash removes them (`r''m`, `\rm`, `$'\x72\x6d'` all become `rm`), and any part
//! whose value depends on run time (`$X`, `$(…)`, backticks, brace expansion,
//! arithmetic) makes the word [`Word::known`] = false. Callers must never treat
//! an unknown word as harmless.

use std::cell::RefCell;

use std::time::{Duration, Instant};

use tree_sitter::{Node, ParseOptions, ParseState, Parser};

/// One shell word after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The static value; meaningful only when `known`.
    pub text: String,
    /// False when any part of the value is decided at run time.
    pub known: bool,
    /// True when an unquoted `*`, `?` or `[` makes this a glob pattern.
    pub glob: bool,
}

impl Word {
    pub fn lit(text: impl Into<String>) -> Self {
        Self { text: text.into(), known: true, glob: false }
    }
    pub fn unknown(raw: impl Into<String>) -> Self {
        Self { text: raw.into(), known: false, glob: false }
    }
    /// The static text, or `None` when it is not statically known.
    pub fn value(&self) -> Option<&str> {
        self.known.then_some(self.text.as_str())
    }
}

/// Where a command's standard input comes from, as far as we can tell statically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stdin {
    /// Inherited (the agent's; effectively empty).
    Inherited,
    /// Static text from a heredoc or here-string.
    Text(String),
    /// Produced at run time: a pipe, a file, an expanding heredoc.
    Dynamic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectKind {
    Read,
    Write,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub kind: RedirectKind,
    pub target: Word,
}

/// A simple command as it appears in the source, before wrapper unwrapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// Name first, then arguments. Never empty.
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
    pub stdin: Stdin,
    /// Names of `NAME=value` prefixes (`LD_PRELOAD=x cmd`).
    pub assignments: Vec<String>,
    /// The source text of the command, for reports.
    pub source: String,
}

/// One element of a script, in source order: a command to judge, or a
/// redirect that belongs to a compound statement (`{ …; } > file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Command(SimpleCommand),
    Redirect(Redirect),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub items: Vec<Item>,
    /// Set when the parser could not make sense of part of the input.
    pub unparseable: bool,
}

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Parsing stops after this long; the input is then judged unparseable (ask).
/// tree-sitter-bash slows down superlinearly on long pipelines (a 200-stage
/// pipeline takes ~10 ms), so a hostile command must not stall the hook.
const PARSE_BUDGET: Duration = Duration::from_millis(200);
/// Longer commands are judged unparseable without trying.
const MAX_SOURCE_BYTES: usize = 256 * 1024;

/// Parses `src` and collects its commands. Inputs tree-sitter cannot parse
/// (or not within the budget) come back with `unparseable` set.
pub fn parse(src: &str) -> Script {
    let failed = || Script { items: Vec::new(), unparseable: true };
    if src.len() > MAX_SOURCE_BYTES {
        return failed();
    }
    let tree = PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            if parser.set_language(&tree_sitter_bash::LANGUAGE.into()).is_err() {
                return None;
            }
            *slot = Some(parser);
        }
        let parser = slot.as_mut()?;
        let start = Instant::now();
        let mut over_budget = |_: &ParseState| start.elapsed() > PARSE_BUDGET;
        let bytes = src.as_bytes();
        let tree = parser.parse_with_options(
            &mut |i, _| bytes.get(i..).unwrap_or_default(),
            None,
            Some(ParseOptions::new().progress_callback(&mut over_budget)),
        );
        if tree.is_none() {
            parser.reset(); // a cancelled parse would otherwise resume next time
        }
        tree
    });
    let Some(tree) = tree else {
        return failed();
    };
    let root = tree.root_node();
    let mut walker = Walker { src: src.as_bytes(), items: Vec::new() };
    walker.visit(root, &Stdin::Inherited);
    Script { items: walker.items, unparseable: root.has_error() }
}

struct Walker<'a> {
    src: &'a [u8],
    items: Vec<Item>,
}

impl Walker<'_> {
    fn text(&self, node: Node) -> String {
        node.utf8_text(self.src).unwrap_or_default().to_string()
    }

    fn visit(&mut self, node: Node, stdin: &Stdin) {
        match node.kind() {
            "command" => self.command(node, stdin, &[], None),
            "redirected_statement" => self.redirected(node, stdin),
            "pipeline" => {
                let mut piped = false;
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    match child.kind() {
                        "|" | "|&" => piped = true,
                        _ if child.is_named() => {
                            let s = if piped { Stdin::Dynamic } else { stdin.clone() };
                            self.visit(child, &s);
                        }
                        _ => {}
                    }
                }
            }
            "variable_assignment" | "variable_assignments" => {
                // `X=1` on its own: sets X for the rest of the script.
                let mut assignments = Vec::new();
                let mut stack = vec![node];
                while let Some(n) = stack.pop() {
                    if n.kind() == "variable_assignment" {
                        if let Some(name) = n.child_by_field_name("name") {
                            assignments.push(self.text(name));
                        }
                    } else {
                        let mut cursor = n.walk();
                        stack.extend(n.children(&mut cursor).filter(|c| c.kind() == "variable_assignment"));
                    }
                }
                self.visit_substitutions(node);
                self.items.push(Item::Command(SimpleCommand {
                    words: vec![Word::lit("")],
                    redirects: Vec::new(),
                    stdin: stdin.clone(),
                    assignments,
                    source: self.text(node),
                }));
            }
            "declaration_command" => {
                // export/declare/local/readonly: judge the assignments it makes.
                let mut assignments = Vec::new();
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    if let Some(n) = child.child_by_field_name("name").filter(|_| child.kind() == "variable_assignment") {
                        assignments.push(self.text(n));
                    }
                }
                self.visit_substitutions(node);
                let keyword = node.child(0).map(|k| self.text(k)).unwrap_or_default();
                self.items.push(Item::Command(SimpleCommand {
                    words: vec![Word::lit(keyword)],
                    redirects: Vec::new(),
                    stdin: stdin.clone(),
                    assignments,
                    source: self.text(node),
                }));
            }
            "heredoc_body" | "comment" => {
                // Bodies are attached to their command; only expansions inside
                // an unquoted body can run something.
                self.visit_substitutions(node);
            }
            _ => {
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    self.visit(child, stdin);
                }
            }
        }
    }

    /// Visits command/process substitutions at or anywhere under `node`.
    fn visit_substitutions(&mut self, node: Node) {
        if matches!(node.kind(), "command_substitution" | "process_substitution") {
            let mut cursor = node.walk();
            for inner in node.children(&mut cursor) {
                self.visit(inner, &Stdin::Inherited);
            }
            return;
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            match child.kind() {
                "command_substitution" | "process_substitution" => {
                    let mut c2 = child.walk();
                    for inner in child.children(&mut c2) {
                        self.visit(inner, &Stdin::Inherited);
                    }
                }
                _ => self.visit_substitutions(child),
            }
        }
    }

    fn redirected(&mut self, node: Node, stdin: &Stdin) {
        let mut redirects = Vec::new();
        let mut body = None;
        let mut cursor = node.walk();
        for (i, child) in node.children(&mut cursor).enumerate() {
            if node.field_name_for_child(i as u32) == Some("body") {
                body = Some(child);
            } else if child.is_named() {
                redirects.push(child);
            }
        }
        match body {
            Some(b) if b.kind() == "command" => {
                let source = self.text(node);
                self.command(b, stdin, &redirects, Some(source));
            }
            other => {
                // A compound body: its redirects still read/write files.
                let mut own_stdin = stdin.clone();
                for r in &redirects {
                    self.redirect(*r, &mut Vec::new(), &mut own_stdin);
                }
                if let Some(b) = other {
                    self.visit(b, &own_stdin);
                }
            }
        }
    }

    fn command(&mut self, node: Node, stdin: &Stdin, outer_redirects: &[Node], source: Option<String>) {
        let mut words = Vec::new();
        let mut redirects = Vec::new();
        let mut assignments = Vec::new();
        let mut own_stdin = stdin.clone();
        let mut cursor = node.walk();
        for (i, child) in node.children(&mut cursor).enumerate() {
            let field = node.field_name_for_child(i as u32);
            match (field, child.kind()) {
                (_, "variable_assignment") => {
                    if let Some(n) = child.child_by_field_name("name") {
                        assignments.push(self.text(n));
                    }
                    self.visit_substitutions(child);
                }
                (Some("name"), _) | (Some("argument"), _) => {
                    let target = if child.kind() == "command_name" {
                        child.named_child(0).unwrap_or(child)
                    } else {
                        child
                    };
                    words.push(self.word(target));
                    self.visit_substitutions(child);
                }
                (_, k) if k.ends_with("redirect") => {
                    self.redirect(child, &mut redirects, &mut own_stdin);
                }
                _ => self.visit_substitutions(child),
            }
        }
        for r in outer_redirects {
            self.redirect(*r, &mut redirects, &mut own_stdin);
        }
        if words.is_empty() && !assignments.is_empty() {
            // `LD_PRELOAD=x` alone sets it for the rest of the script.
            words.push(Word::lit(""));
        }
        if words.is_empty() {
            // Only redirects: nothing runs, but they still act.
            for r in redirects {
                self.items.push(Item::Redirect(r));
            }
            return;
        }
        let source = source.unwrap_or_else(|| self.text(node));
        self.items.push(Item::Command(SimpleCommand { words, redirects, stdin: own_stdin, assignments, source }));
    }

    fn redirect(&mut self, node: Node, out: &mut Vec<Redirect>, stdin: &mut Stdin) {
        match node.kind() {
            "heredoc_redirect" => {
                let mut quoted = false;
                let mut body_node = None;
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    match child.kind() {
                        "heredoc_start" => {
                            let t = self.text(child);
                            quoted = t.contains(['\'', '"', '\\']);
                        }
                        "heredoc_body" => body_node = Some(child),
                        // `cat <<EOF | sh`: the pipeline hangs off the redirect.
                        "pipeline" | "list" | "command" | "redirected_statement" => {
                            // Visit after the heredoc command itself is recorded:
                            // defer by pushing into a queue would reorder; order
                            // does not matter for these.
                            self.visit(child, &Stdin::Inherited);
                        }
                        _ => {}
                    }
                }
                if let Some(b) = body_node {
                    let has_expansion = b.named_child_count() > 0
                        && (0..b.named_child_count()).any(|i| {
                            b.named_child(i).is_some_and(|c| c.kind() != "heredoc_content")
                        });
                    if !quoted && has_expansion {
                        self.visit_substitutions(b);
                        *stdin = Stdin::Dynamic;
                    } else {
                        *stdin = Stdin::Text(self.text(b));
                    }
                } else {
                    *stdin = Stdin::Text(String::new());
                }
            }
            "herestring_redirect" => {
                let mut cursor = node.walk();
                let arg = node.children(&mut cursor).filter(|c| c.is_named()).last();
                if let Some(arg) = arg {
                    let w = self.word(arg);
                    self.visit_substitutions(node);
                    *stdin = if w.known { Stdin::Text(format!("{}\n", w.text)) } else { Stdin::Dynamic };
                }
            }
            "file_redirect" => {
                let mut op = String::new();
                let mut dest = None;
                let mut cursor = node.walk();
                for (i, child) in node.children(&mut cursor).enumerate() {
                    if node.field_name_for_child(i as u32) == Some("destination") {
                        dest = Some(child);
                    } else if !child.is_named() {
                        op = self.text(child);
                    }
                }
                let Some(dest) = dest else { return };
                self.visit_substitutions(node);
                if dest.kind() == "process_substitution" {
                    let mut c2 = dest.walk();
                    for inner in dest.children(&mut c2) {
                        self.visit(inner, &Stdin::Inherited);
                    }
                }
                let target = self.word(dest);
                let kind = match op.as_str() {
                    "<" => RedirectKind::Read,
                    "<&" | ">&" | "<&-" | ">&-" if dest.kind() == "number" || target.text == "-" => {
                        return; // fd duplication or close
                    }
                    ">&" | "&>" | "&>>" | ">" | ">>" | ">|" | "<>" => RedirectKind::Write,
                    _ => RedirectKind::Write,
                };
                if kind == RedirectKind::Read {
                    *stdin = Stdin::Dynamic;
                }
                out.push(Redirect { kind, target });
            }
            _ => self.visit_substitutions(node),
        }
    }

    /// Static evaluation of one word node.
    fn word(&self, node: Node) -> Word {
        let mut w = Word::lit("");
        self.eval(node, &mut w, false);
        if !w.known {
            w.text = self.text(node);
        }
        w
    }

    fn eval(&self, node: Node, w: &mut Word, in_quotes: bool) {
        match node.kind() {
            "word" | "number" => {
                let raw = self.text(node);
                if !in_quotes && has_brace_expansion(&raw) {
                    w.known = false;
                }
                unescape_unquoted(&raw, w);
            }
            "raw_string" => {
                let raw = self.text(node);
                w.text.push_str(raw.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')).unwrap_or(&raw));
            }
            "ansi_c_string" => {
                let raw = self.text(node);
                let inner = raw.strip_prefix("$'").and_then(|s| s.strip_suffix('\'')).unwrap_or(&raw);
                w.text.push_str(&decode_ansi_c(inner));
            }
            "string" | "translated_string" => {
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    match child.kind() {
                        "string_content" => w.text.push_str(&unescape_double_quoted(&self.text(child))),
                        "\"" | "$\"" => {}
                        _ if child.is_named() => self.eval(child, w, true),
                        _ => {}
                    }
                }
            }
            "concatenation" => {
                let raw = self.text(node);
                if has_brace_expansion(&raw) {
                    w.known = false;
                }
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    self.eval(child, w, in_quotes);
                }
            }
            "string_content" => w.text.push_str(&self.text(node)),
            _ => w.known = false,
        }
    }
}

/// `{a,b}` or `{1..3}` outside quotes: bash expands it into several words.
fn has_brace_expansion(raw: &str) -> bool {
    let Some(open) = raw.find('{') else { return false };
    let rest = &raw[open..];
    rest.contains('}') && (rest.contains(',') || rest.contains(".."))
}

fn unescape_unquoted(raw: &str, w: &mut Word) {
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(n) => w.text.push(n),
            },
            '*' | '?' | '[' => {
                w.glob = true;
                w.text.push(c);
            }
            _ => w.text.push(c),
        }
    }
}

fn unescape_double_quoted(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('$' | '`' | '"' | '\\') => {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
                Some('\n') => {
                    chars.next();
                }
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Decodes the body of `$'…'` the way bash does.
pub fn decode_ansi_c(s: &str) -> String {
    let mut out = String::new();
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    let radix_run = |i: &mut usize, radix: u32, max: usize| -> Option<u32> {
        let start = *i;
        let mut v = 0u32;
        while *i < b.len() && *i - start < max {
            let d = b[*i].to_digit(radix)?;
            v = v * radix + d;
            *i += 1;
        }
        (*i > start).then_some(v)
    };
    while i < b.len() {
        let c = b[i];
        i += 1;
        if c != '\\' || i >= b.len() {
            out.push(c);
            continue;
        }
        let e = b[i];
        i += 1;
        let simple = match e {
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'e' | 'E' => Some('\x1b'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '\\' | '\'' | '"' | '?' => Some(e),
            _ => None,
        };
        if let Some(ch) = simple {
            out.push(ch);
            continue;
        }
        let code = match e {
            'x' => radix_run(&mut i, 16, 2),
            'u' => radix_run(&mut i, 16, 4),
            'U' => radix_run(&mut i, 16, 8),
            '0'..='7' => {
                i -= 1;
                radix_run(&mut i, 8, 3)
            }
            'c' if i < b.len() => {
                i += 1;
                Some(u32::from(b[i - 1]) & 0x1f)
            }
            _ => None,
        };
        match code.and_then(char::from_u32) {
            Some(ch) => out.push(ch),
            None => {
                out.push('\\');
                out.push(e);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(src: &str) -> Vec<Option<String>> {
        parse(src)
            .items
            .into_iter()
            .filter_map(|i| match i {
                Item::Command(c) => Some(c.words[0].value().map(str::to_string)),
                Item::Redirect(_) => None,
            })
            .collect()
    }

    #[test]
    fn quoting_tricks_resolve_to_the_real_name() {
        assert_eq!(names(r"\rm x"), vec![Some("rm".into())]);
        assert_eq!(names("r''m x"), vec![Some("rm".into())]);
        assert_eq!(names(r#""r"m x"#), vec![Some("rm".into())]);
        assert_eq!(names(r"$'\x72\x6d' x"), vec![Some("rm".into())]);
        assert_eq!(names(r"$'\162\155' x"), vec![Some("rm".into())]);
    }

    #[test]
    fn dynamic_names_are_unknown() {
        assert_eq!(names("$X -rf /"), vec![None]);
        assert!(parse("{rm,-rf,/}").unparseable);
        assert_eq!(names("r{m,x} -rf /"), vec![None]);
        assert_eq!(names("$(echo rm) x"), vec![Some("echo".into()), None]);
    }

    #[test]
    fn finds_commands_everywhere() {
        let got = names("a; b && c || d | e & (f) ; { g; } ; h=$(i) ; j `k` <(l) >(m); n() { o; }");
        let got: Vec<_> = got.into_iter().flatten().collect();
        for n in ["a", "b", "c", "d", "e", "f", "g", "i", "j", "k", "l", "m", "o"] {
            assert!(got.contains(&n.to_string()), "{n} missing from {got:?}");
        }
    }

    #[test]
    fn heredoc_and_herestring_feed_stdin() {
        let s = parse("bash <<'EOF'\nrm -rf /\nEOF\n");
        let Item::Command(c) = &s.items[0] else { panic!() };
        assert_eq!(c.stdin, Stdin::Text("rm -rf /\n".into()));
        let s = parse("sh <<< 'rm x'");
        let Item::Command(c) = &s.items[0] else { panic!() };
        assert_eq!(c.stdin, Stdin::Text("rm x\n".into()));
        let s = parse("curl x | sh");
        let Item::Command(c) = &s.items[1] else { panic!() };
        assert_eq!(c.stdin, Stdin::Dynamic);
    }

    #[test]
    fn oversized_input_is_unparseable() {
        assert!(parse(&"a".repeat(MAX_SOURCE_BYTES + 1)).unparseable);
        assert!(!parse("a | b | c").unparseable);
    }

    #[test]
    fn unterminated_quote_is_unparseable() {
        assert!(parse("echo \"oops").unparseable);
    }
}
