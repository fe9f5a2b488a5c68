//! The pack summaries people choose from in the onboarding wizard.

use paddock_gate::{BUILTIN_PACKS, Verdict, builtin_pack_summaries};

#[test]
fn every_builtin_pack_is_summarized_with_its_rules() {
    let packs = builtin_pack_summaries().unwrap();
    let ids: Vec<&str> = packs.iter().map(|p| p.id.as_str()).collect();
    let names: Vec<&str> = BUILTIN_PACKS.iter().map(|(n, _)| *n).collect();
    assert_eq!(ids, names);
    for p in &packs {
        assert!(!p.description.trim().is_empty(), "pack {} has no description", p.id);
        assert!(!p.rules.is_empty(), "pack {} lists no rules", p.id);
        for r in &p.rules {
            assert!(!r.reason.trim().is_empty(), "rule {} has no reason", r.id);
        }
    }
    let git = packs.iter().find(|p| p.id == "git-history").unwrap();
    let force = git.rules.iter().find(|r| r.id == "git-history.force-push").unwrap();
    assert_eq!(force.verdict, Verdict::Deny);
    assert!(force.reason.contains("force push"));
}
