fn dump(n: tree_sitter::Node, src: &[u8], d: usize) {
    let t = if n.child_count() == 0 { format!(" {:?}", n.utf8_text(src).unwrap_or("")) } else { String::new() };
    let f = n.parent().and_then(|p| { let mut c = p.walk(); let mut r = None; for (i, ch) in p.children(&mut c).enumerate() { if ch.id() == n.id() { r = p.field_name_for_child(i as u32); } } r });
    println!("{}{}{}{}", "  ".repeat(d), f.map(|f| format!("{f}: ")).unwrap_or_default(), n.kind(), t);
    let mut c = n.walk();
    for ch in n.children(&mut c) { dump(ch, src, d + 1); }
}
fn main() {
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_bash::LANGUAGE.into()).unwrap();
    for a in std::env::args().skip(1) {
        let t = p.parse(&a, None).unwrap();
        println!("=== {a}  err={}", t.root_node().has_error());
        dump(t.root_node(), a.as_bytes(), 0);
    }
}
