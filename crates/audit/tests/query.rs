//! Queries: keyset pages both ways, filters checked against a brute-force scan, counts,
//! timelines, and clear errors for malformed filters.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

use paddock_audit::{
    Actor, AuditError, AuditLog, Cursor, Event, Filter, Kind, NewEvent, Page, Query,
    parse_time_bound,
};

/// 300 varied events, appended one at a time (distinct, increasing timestamps).
fn dataset() -> (tempfile::TempDir, AuditLog, Vec<Event>) {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(&dir.path().join("audit.db")).unwrap();
    let mut all = Vec::new();
    for i in 0..300u32 {
        let kind = Kind::ALL[(i % 7) as usize];
        let actor = Actor::ALL[(i % 3) as usize];
        let mut ev = NewEvent::new(actor, kind, if i % 5 == 0 { "Bash" } else { "Edit" })
            .resource(if i % 11 == 0 { format!("rm -rf build/{i}") } else { format!("src/file{i}.rs") })
            .detail(serde_json::json!({ "i": i, "note": if i % 13 == 0 { "overnight migration" } else { "routine" } }));
        if i % 4 != 0 {
            ev = ev.task(format!("task-{}", i % 3));
        }
        if i % 2 == 0 {
            ev = ev.outcome(if i % 6 == 0 { "deny" } else { "allow" });
        }
        all.push(log.append(ev).unwrap());
    }
    (dir, log, all)
}

/// Lowercased ASCII-alphanumeric runs: what the `unicode61` tokenizer makes of ASCII.
fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The detail's values (strings and numbers) in order; its keys are not searched.
fn values(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Number(n) => out.push(n.to_string()),
        serde_json::Value::Array(a) => a.iter().for_each(|i| values(i, out)),
        serde_json::Value::Object(m) => m.values().for_each(|i| values(i, out)),
        _ => {}
    }
}

/// The search semantics, by brute force: every whitespace-separated word is a phrase
/// (its tokens adjacent, in order; a trailing `*` makes the last one a prefix) that
/// must occur in action, resource, outcome and the detail's values, joined by spaces.
fn text_matches(text: &str, e: &Event) -> bool {
    let mut detail = Vec::new();
    values(&e.detail, &mut detail);
    let body = format!(
        "{} {} {} {}",
        e.action,
        e.resource,
        e.outcome.as_deref().unwrap_or(""),
        detail.join(" ")
    );
    let doc = tokens(&body);
    text.split_whitespace().all(|word| {
        let (word, prefix) = match word.strip_suffix('*') {
            Some(w) => (w, true),
            None => (word, false),
        };
        let phrase = tokens(word);
        if phrase.is_empty() {
            return true;
        }
        doc.windows(phrase.len()).any(|w| {
            w.iter().zip(&phrase).enumerate().all(|(i, (d, p))| {
                if prefix && i == phrase.len() - 1 {
                    d.starts_with(p.as_str())
                } else {
                    d == p
                }
            })
        })
    })
}

fn matches(f: &Filter, e: &Event) -> bool {
    f.text.as_deref().is_none_or(|t| text_matches(t, e))
        && f.since.is_none_or(|s| {
            e.ts.as_str() >= s.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string().as_str()
        })
        && f.until
            .is_none_or(|u| e.ts.as_str() < u.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string().as_str())
        && f.task_id
            .as_ref()
            .is_none_or(|t| e.task_id.as_ref() == Some(t))
        && (f.kinds.is_empty() || f.kinds.contains(&e.kind))
        && (f.actors.is_empty() || f.actors.contains(&e.actor))
        && (f.outcomes.is_empty() || e.outcome.as_ref().is_some_and(|o| f.outcomes.contains(o)))
}

/// Every page from `start` following `next`, concatenated, checking page invariants.
fn walk(
    log: &AuditLog,
    filter: &Filter,
    start: Cursor,
    limit: u32,
    next: fn(&Page) -> Option<Cursor>,
) -> Vec<u64> {
    let mut seqs = Vec::new();
    let mut cursor = start;
    loop {
        let page = log
            .query(&Query {
                filter: filter.clone(),
                cursor,
                limit,
            })
            .unwrap();
        assert!(page.events.len() <= limit as usize);
        assert!(
            page.events.windows(2).all(|w| w[0].seq < w[1].seq),
            "page not ascending"
        );
        seqs.extend(page.events.iter().map(|e| e.seq));
        match next(&page) {
            Some(c) => cursor = c,
            None => return seqs,
        }
    }
}

fn filters(all: &[Event]) -> Vec<(&'static str, Filter)> {
    let mid_ts = chrono::DateTime::parse_from_rfc3339(&all[120].ts)
        .unwrap()
        .to_utc();
    let late_ts = chrono::DateTime::parse_from_rfc3339(&all[250].ts)
        .unwrap()
        .to_utc();
    vec![
        ("none", Filter::default()),
        (
            "kind",
            Filter {
                kinds: vec![Kind::Egress],
                ..Filter::default()
            },
        ),
        (
            "two kinds",
            Filter {
                kinds: vec![Kind::ToolCall, Kind::Approval],
                ..Filter::default()
            },
        ),
        (
            "actor",
            Filter {
                actors: vec![Actor::SubAgent],
                ..Filter::default()
            },
        ),
        (
            "outcome",
            Filter {
                outcomes: vec!["deny".into()],
                ..Filter::default()
            },
        ),
        (
            "task",
            Filter {
                task_id: Some("task-1".into()),
                ..Filter::default()
            },
        ),
        (
            "since",
            Filter {
                since: Some(mid_ts),
                ..Filter::default()
            },
        ),
        (
            "range",
            Filter {
                since: Some(mid_ts),
                until: Some(late_ts),
                ..Filter::default()
            },
        ),
        (
            "combined",
            Filter {
                kinds: vec![Kind::ToolCall, Kind::Sandbox, Kind::Egress],
                actors: vec![Actor::User, Actor::Agent],
                outcomes: vec!["allow".into()],
                since: Some(mid_ts),
                ..Filter::default()
            },
        ),
        (
            "matches nothing",
            Filter {
                task_id: Some("no-such-task".into()),
                ..Filter::default()
            },
        ),
        ("word", text("routine", Filter::default())),
        ("word in action", text("bash", Filter::default())),
        ("two words", text("overnight migration", Filter::default())),
        (
            "detail key",
            text(
                "note",
                Filter {
                    kinds: vec![Kind::Approval],
                    ..Filter::default()
                },
            ),
        ),
        ("prefix", text("file1*", Filter::default())),
        ("phrase", text("rm -rf build/1*", Filter::default())),
        (
            "word that is also an outcome",
            text("deny", Filter::default()),
        ),
        ("word nowhere", text("zanzibar", Filter::default())),
        (
            "word and kinds",
            text(
                "routine",
                Filter {
                    kinds: vec![Kind::ToolCall, Kind::Egress],
                    ..Filter::default()
                },
            ),
        ),
        (
            "word and task and outcome",
            text(
                "src*",
                Filter {
                    task_id: Some("task-1".into()),
                    outcomes: vec!["allow".into()],
                    ..Filter::default()
                },
            ),
        ),
        (
            "common word and filter matching nothing",
            text(
                "routine",
                Filter {
                    outcomes: vec!["no-such-outcome".into()],
                    ..Filter::default()
                },
            ),
        ),
        (
            "word, actor and time range",
            text(
                "edit",
                Filter {
                    actors: vec![Actor::User, Actor::System],
                    since: Some(mid_ts),
                    until: Some(late_ts),
                    ..Filter::default()
                },
            ),
        ),
    ]
}

fn text(t: &str, f: Filter) -> Filter {
    Filter {
        text: Some(t.into()),
        ..f
    }
}

#[test]
fn brute_force_filters_are_not_vacuous() {
    // Most cases must select something (and not everything), or the scans below
    // compare empty sets and prove little.
    let (_d, _log, all) = dataset();
    let cases = filters(&all);
    let nonempty = cases
        .iter()
        .filter(|(_, f)| all.iter().any(|e| matches(f, e)))
        .count();
    assert!(
        nonempty + 4 >= cases.len(),
        "only {nonempty} of {} cases match anything",
        cases.len()
    );
    for (name, f) in &cases {
        if *name != "none" {
            assert!(
                !all.iter().all(|e| matches(f, e)),
                "{name} matches every event"
            );
        }
    }
}

#[test]
fn pages_backwards_cover_every_match_exactly_once() {
    let (_d, log, all) = dataset();
    for (name, f) in filters(&all) {
        let want: Vec<u64> = all
            .iter()
            .filter(|e| matches(&f, e))
            .map(|e| e.seq)
            .collect();
        let mut got = walk(&log, &f, Cursor::Newest, 17, Page::older);
        got.sort_unstable();
        assert_eq!(got, want, "filter {name}");
    }
}

#[test]
fn pages_forwards_cover_every_match_exactly_once() {
    let (_d, log, all) = dataset();
    for (name, f) in filters(&all) {
        let want: Vec<u64> = all
            .iter()
            .filter(|e| matches(&f, e))
            .map(|e| e.seq)
            .collect();
        assert_eq!(
            walk(&log, &f, Cursor::Oldest, 23, Page::newer),
            want,
            "filter {name}"
        );
    }
}

#[test]
fn newest_page_knows_what_lies_on_each_side() {
    let (_d, log, _all) = dataset();
    let newest = log
        .query(&Query {
            limit: 100,
            ..Query::default()
        })
        .unwrap();
    assert_eq!(newest.events.first().map(|e| e.seq), Some(201));
    assert_eq!(newest.events.last().map(|e| e.seq), Some(300));
    assert!(newest.has_older && !newest.has_newer);
    let older = log
        .query(&Query {
            cursor: newest.older().unwrap(),
            limit: 100,
            ..Query::default()
        })
        .unwrap();
    assert_eq!(older.events.first().map(|e| e.seq), Some(101));
    assert!(older.has_older && older.has_newer);
    // Scrolling back down from the middle returns the newest page again.
    let back = log
        .query(&Query {
            cursor: older.newer().unwrap(),
            limit: 100,
            ..Query::default()
        })
        .unwrap();
    assert_eq!(back.events, newest.events);
    // Live tail: nothing after the head yet, but older events exist.
    let tail = log
        .query(&Query {
            cursor: Cursor::After(300),
            limit: 10,
            ..Query::default()
        })
        .unwrap();
    assert!(tail.events.is_empty() && tail.has_older && !tail.has_newer);
}

#[test]
fn full_text_search_finds_words_in_resource_and_detail() {
    let (_d, log, all) = dataset();
    let text = |t: &str| Filter {
        text: Some(t.into()),
        ..Filter::default()
    };
    let got = walk(
        &log,
        &text("overnight migration"),
        Cursor::Newest,
        7,
        Page::older,
    );
    let want: Vec<u64> = all
        .iter()
        .filter(|e| e.detail["note"] == "overnight migration")
        .map(|e| e.seq)
        .collect();
    let mut got_sorted = got.clone();
    got_sorted.sort_unstable();
    assert_eq!(got_sorted, want);
    // Combined with a structured filter and a prefix word.
    let f = Filter {
        kinds: vec![Kind::ToolCall],
        ..text("rm buil*")
    };
    let got = walk(&log, &f, Cursor::Oldest, 5, Page::newer);
    let want: Vec<u64> = all
        .iter()
        .filter(|e| e.kind == Kind::ToolCall && e.resource.starts_with("rm -rf build/"))
        .map(|e| e.seq)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[test]
fn search_text_with_fts_syntax_is_taken_literally() {
    let (_d, log, _all) = dataset();
    for t in [
        "\"unbalanced",
        "NEAR(a b",
        "a OR",
        "col:value",
        "-rf AND *",
        "^start",
    ] {
        let f = Filter {
            text: Some(t.into()),
            ..Filter::default()
        };
        log.query(&Query {
            filter: f,
            ..Query::default()
        })
        .unwrap_or_else(|e| panic!("{t:?}: {e}"));
    }
}

#[test]
fn counts_by_kind_and_outcome_match_a_scan() {
    let (_d, log, all) = dataset();
    for (name, f) in filters(&all) {
        let c = log.counts(&f).unwrap();
        let sel: Vec<&Event> = all.iter().filter(|e| matches(&f, e)).collect();
        assert_eq!(c.total, sel.len() as u64, "filter {name}");
        for k in Kind::ALL {
            let n = sel.iter().filter(|e| e.kind == k).count() as u64;
            assert_eq!(
                c.by_kind.get(&k).copied().unwrap_or(0),
                n,
                "filter {name} kind {k}"
            );
        }
        let deny = sel
            .iter()
            .filter(|e| e.outcome.as_deref() == Some("deny"))
            .count() as u64;
        assert_eq!(
            c.by_outcome.get("deny").copied().unwrap_or(0),
            deny,
            "filter {name}"
        );
        let none = sel.iter().filter(|e| e.outcome.is_none()).count() as u64;
        assert_eq!(
            c.by_outcome.get("").copied().unwrap_or(0),
            none,
            "filter {name}"
        );
    }
}

#[test]
fn task_timeline_and_task_list() {
    let (_d, log, all) = dataset();
    let page = log.timeline("task-2", Cursor::Oldest, 1000).unwrap();
    let want: Vec<u64> = all
        .iter()
        .filter(|e| e.task_id.as_deref() == Some("task-2"))
        .map(|e| e.seq)
        .collect();
    assert_eq!(page.events.iter().map(|e| e.seq).collect::<Vec<_>>(), want);
    let tasks = log.tasks(10).unwrap();
    assert_eq!(tasks.len(), 3);
    let t2 = tasks.iter().find(|t| t.task_id == "task-2").unwrap();
    assert_eq!(
        (t2.first_seq, t2.last_seq, t2.events),
        (want[0], *want.last().unwrap(), want.len() as u64)
    );
}

#[test]
fn get_by_seq_and_by_id() {
    let (_d, log, all) = dataset();
    assert_eq!(log.get(42).unwrap().as_ref(), Some(&all[41]));
    assert_eq!(log.get_by_id(&all[9].id).unwrap().as_ref(), Some(&all[9]));
    assert_eq!(log.get(301).unwrap(), None);
}

fn invalid(r: Result<Page, AuditError>) -> String {
    match r {
        Err(AuditError::InvalidQuery(m)) => m,
        other => panic!("expected InvalidQuery, got {other:?}"),
    }
}

fn query_with(f: Filter) -> Result<Page, AuditError> {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(&dir.path().join("a.db")).unwrap();
    log.query(&Query {
        filter: f,
        ..Query::default()
    })
}

#[test]
fn unknown_kind_is_named_with_the_valid_ones() {
    let m = "tool-cal".parse::<Kind>().unwrap_err().to_string();
    assert!(
        m.contains("unknown kind \"tool-cal\"") && m.contains("tool_call, gate_decision"),
        "{m}"
    );
    assert_eq!("Gate-Decision".parse::<Kind>().unwrap(), Kind::GateDecision);
}

#[test]
fn unknown_actor_is_named_with_the_valid_ones() {
    let m = "robot".parse::<Actor>().unwrap_err().to_string();
    assert!(
        m.contains("unknown actor \"robot\"") && m.contains("user, agent, sub_agent, system"),
        "{m}"
    );
    assert_eq!("sub-agent".parse::<Actor>().unwrap(), Actor::SubAgent);
}

#[test]
fn unreadable_time_says_what_is_accepted() {
    let m = parse_time_bound("last tuesday").unwrap_err().to_string();
    assert!(
        m.contains("\"last tuesday\"") && m.contains("RFC 3339") && m.contains("2h"),
        "{m}"
    );
}

#[test]
fn empty_time_range_is_rejected() {
    let since = parse_time_bound("2026-11-23").ok();
    let until = parse_time_bound("2026-11-22").ok();
    let m = invalid(query_with(Filter {
        since,
        until,
        ..Filter::default()
    }));
    assert!(m.contains("empty time range"), "{m}");
}

#[test]
fn search_text_without_words_is_rejected() {
    let m = invalid(query_with(Filter {
        text: Some(" -- ** ".into()),
        ..Filter::default()
    }));
    assert!(m.contains("no letters or digits"), "{m}");
}

#[test]
fn empty_task_id_is_rejected() {
    let m = invalid(query_with(Filter {
        task_id: Some("  ".into()),
        ..Filter::default()
    }));
    assert!(m.contains("task id is empty"), "{m}");
}

#[test]
fn out_of_range_page_size_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(&dir.path().join("a.db")).unwrap();
    for limit in [0, paddock_audit::MAX_LIMIT + 1] {
        let m = invalid(log.query(&Query {
            limit,
            ..Query::default()
        }));
        assert!(m.contains("page size"), "{m}");
    }
}

#[test]
fn query_round_trips_through_json_for_the_ui() {
    let q = Query {
        filter: Filter {
            kinds: vec![Kind::GateDecision],
            text: Some("curl".into()),
            ..Filter::default()
        },
        cursor: Cursor::Before(99),
        limit: 50,
    };
    let json = serde_json::to_string(&q).unwrap();
    assert!(
        json.contains("\"gate_decision\"") && json.contains("\"before\""),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Query>(&json).unwrap(), q);
    let err = serde_json::from_str::<Query>(
        r#"{"filter":{"kinds":["nope"]},"cursor":{"at":"newest"},"limit":5}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn search_finds_events_appended_since_the_last_index_batch() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(&dir.path().join("a.db")).unwrap();
    let search = |t: &str| {
        let f = Filter {
            text: Some(t.into()),
            ..Filter::default()
        };
        log.query(&Query {
            filter: f,
            ..Query::default()
        })
        .unwrap()
        .events
        .len()
    };
    // A big batch (indexed in its own transaction), then single appends below the batch size.
    log.append_batch(
        (0..600)
            .map(|i| NewEvent::new(Actor::Agent, Kind::ToolCall, format!("bulk{i}")))
            .collect(),
    )
    .unwrap();
    assert_eq!(search("bulk599"), 1);
    log.append(NewEvent::new(Actor::Agent, Kind::ToolCall, "Bash").resource("quokka"))
        .unwrap();
    assert_eq!(
        search("quokka"),
        1,
        "a single fresh append must be searchable at once"
    );
    log.append(NewEvent::new(Actor::Agent, Kind::ToolCall, "Bash").resource("quokka again"))
        .unwrap();
    assert_eq!(search("quokka"), 2);
    let counts = log
        .counts(&Filter {
            text: Some("quokka".into()),
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(counts.total, 2);
}

/// Every event's detail has the keys `i` and `note`: a search for a key name finds no
/// event, a search for a value finds exactly those that hold it.
#[test]
fn the_details_values_are_searched_not_its_keys() {
    let (_d, log, all) = dataset();
    let text = |t: &str| Filter { text: Some(t.into()), ..Filter::default() };
    assert!(walk(&log, &text("note"), Cursor::Newest, 50, Page::older).is_empty(), "a key name matched");
    let routine = walk(&log, &text("routine"), Cursor::Newest, 50, Page::older);
    let want = all.iter().filter(|e| e.detail["note"] == "routine").count();
    assert_eq!(routine.len(), want);
    // Numbers are values too.
    let got = walk(&log, &text("299"), Cursor::Newest, 50, Page::older);
    assert_eq!(got, vec![all[299].seq]);
}
