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

/// A pack switched off in the walkthrough is not enforced; every other pack still is.
#[test]
fn a_pack_switched_off_is_not_enforced_and_the_others_still_are() {
    use paddock_gate::{Context, Gate};
    let ctx = Context { worktree: Some("/work/task".into()), home: Some("/home/dev".into()), temp_dirs: vec![] };
    let wt = Some(std::path::Path::new("/work/task"));
    let inline = "python3 -c 'print(1)'";
    let force = "git push --force origin main";

    let all = Gate::with_builtin_packs();
    assert_eq!(all.decide_command(inline, wt, &ctx).verdict, Verdict::Ask);
    let off = Gate::with_builtin_packs_except(&["code-exec".into()]).unwrap();
    assert_eq!(off.decide_command(inline, wt, &ctx).verdict, Verdict::Allow);
    let d = off.decide_command(force, wt, &ctx);
    assert_eq!((d.verdict, d.rule_id.as_deref()), (Verdict::Deny, Some("git-history.force-push")));
    // Nothing off is the same gate as every pack.
    assert_eq!(Gate::with_builtin_packs_except(&[]).unwrap().decide_command(inline, wt, &ctx).verdict, Verdict::Ask);

    let e = Gate::with_builtin_packs_except(&["code-exce".into()]).err().expect("a typo is refused").to_string();
    assert!(e.contains("\"code-exce\"") && e.contains("code-exec"), "{e}");
}
