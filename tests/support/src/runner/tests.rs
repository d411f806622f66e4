//! The runner on small workflows of its own (bash only, no AWS): job order and conditions,
//! outputs and runner files, a composite action, a reusable workflow, failures.

use std::path::Path;

use serde_json::json;

use super::*;

const OK: &str = r##"
name: ok
on: push
permissions: {}
env:
  TOP: top
jobs:
  first:
    runs-on: ubuntu-24.04
    outputs:
      word: ${{ steps.w.outputs.word }}
      multi: ${{ steps.w.outputs.multi }}
    env:
      JOB: job-${{ github.event_name }}
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - id: w
        run: |
          echo "word=hello" >> "$GITHUB_OUTPUT"
          { echo 'multi<<EOF'; echo a; echo b=c; echo EOF; } >> "$GITHUB_OUTPUT"
          echo "LATER=from-env-file" >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/bin"
          printf '#!/bin/sh\necho tool\n' > "$RUNNER_TEMP/bin/tool"
          chmod +x "$RUNNER_TEMP/bin/tool"
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
          echo "# summary" >> "$GITHUB_STEP_SUMMARY"
      - name: sees ${{ steps.w.outputs.word }}
        env:
          STEP: step
        run: |
          test "$TOP/$JOB/$STEP/$LATER" = "top/job-push/step/from-env-file"
          test "$(tool)" = tool
          test -z "${CARGO_MANIFEST_DIR:-}"
          test "$GITHUB_EVENT_NAME/$GITHUB_REF/$GITHUB_SHA" = "push/refs/heads/topic/$(printf 'a%.0s' $(seq 40))"
          grep -q '"after"' "$GITHUB_EVENT_PATH"
          test "$PWD" = "$GITHUB_WORKSPACE"
          test -f .github/actions/greet/action.yml
      - id: greet
        uses: ./.github/actions/greet
        with:
          how: loud
      - name: greeted
        env:
          SAID: ${{ steps.greet.outputs.said }}
        run: test "$SAID" = "hi owner/app loud from greet"
      - name: never
        if: github.event_name == 'pull_request'
        run: exit 1
  call:
    needs: first
    permissions:
      contents: read
    uses: ./.github/workflows/called.yml
    with:
      greeting: ${{ needs.first.outputs.word }}
      loud: true
    secrets:
      TOKEN: ${{ secrets.TOKEN }}
  last:
    needs: [first, call]
    if: needs.call.outputs.said == 'HELLO-true-5' && needs.first.result == 'success'
    runs-on: ubuntu-24.04
    steps:
      - env:
          MULTI: ${{ needs.first.outputs.multi }}
        run: test "$MULTI" = "$(printf 'a\nb=c')"
"##;

const CALLED: &str = r#"
on:
  workflow_call:
    inputs:
      greeting:
        type: string
        required: true
      loud:
        type: boolean
        default: false
      unused:
        type: string
        default: fallback
    secrets:
      TOKEN:
        required: true
    outputs:
      said:
        value: ${{ jobs.say.outputs.said }}
jobs:
  say:
    runs-on: ubuntu-24.04
    outputs:
      said: ${{ steps.s.outputs.said }}
    steps:
      - id: s
        env:
          GREETING: ${{ inputs.greeting }}
          LOUD: ${{ inputs.loud }}
          UNUSED: ${{ inputs.unused }}
          TOKEN: ${{ secrets.TOKEN }}
        run: |
          test "$UNUSED" = fallback
          echo "said=${GREETING^^}-$LOUD-${#TOKEN}" >> "$GITHUB_OUTPUT"
"#;

const GREET: &str = r#"
name: greet
inputs:
  who:
    default: ${{ github.repository }}
  how:
    default: plain
outputs:
  said:
    value: ${{ steps.s.outputs.said }}
runs:
  using: composite
  steps:
    - id: s
      shell: bash
      env:
        WHO: ${{ inputs.who }}
        HOW: ${{ inputs.how }}
      run: echo "said=hi $WHO $HOW from $(basename "$GITHUB_ACTION_PATH")" >> "$GITHUB_OUTPUT"
"#;

const FAILS: &str = r#"
on: push
jobs:
  broken:
    runs-on: ubuntu-24.04
    steps:
      - id: pipe
        run: false | true
      - name: skipped after a failure
        run: echo never
      - name: on failure
        if: failure() && steps.pipe.outcome == 'failure'
        run: echo cleaning up
  after:
    needs: broken
    runs-on: ubuntu-24.04
    steps:
      - run: echo never
  always:
    needs: broken
    if: always() && needs.broken.result == 'failure'
    runs-on: ubuntu-24.04
    steps:
      - run: echo reported
  unsecret:
    uses: ./.github/workflows/called.yml
    with:
      greeting: hi
"#;

fn repo(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, text).unwrap();
    }
}

fn runner(dir: &Path) -> Runner {
    let mut world = World {
        repos: BTreeMap::new(),
        vars: BTreeMap::new(),
        secrets: BTreeMap::new(),
        token: "ghs_token".to_owned(),
        api_url: "http://127.0.0.1:9".to_owned(),
        server_url: "https://github.com".to_owned(),
        aws_endpoint: "http://127.0.0.1:9".to_owned(),
        terraform: "/bin/false".into(),
        terraform_env: Vec::new(),
        idp_action: "/bin/true".into(),
        path: "/usr/local/bin:/usr/bin:/bin".to_owned(),
    };
    world.repos.insert("owner/app".to_owned(), dir.to_owned());
    world.secrets.insert("TOKEN".to_owned(), "s3cr3".to_owned());
    Runner::new(world)
}

fn push() -> Event {
    Event::new(
        "push",
        json!({"ref": "refs/heads/topic", "after": "a".repeat(40), "repository": {"full_name": "owner/app"}, "sender": {"login": "me"}}),
        "",
    )
}

#[test]
fn a_workflow_runs_its_jobs_steps_actions_and_called_workflow_as_github_does() {
    let dir = tempfile::tempdir().unwrap();
    repo(
        dir.path(),
        &[
            (".github/workflows/ok.yml", OK),
            (".github/workflows/called.yml", CALLED),
            (".github/actions/greet/action.yml", GREET),
        ],
    );
    let run = runner(dir.path()).run("owner/app", ".github/workflows/ok.yml", &push());
    assert_eq!(
        run.results(),
        [
            ("first", "success"),
            ("call", "success"),
            ("call/say", "success"),
            ("last", "success"),
        ]
        .map(|(j, r)| (j.to_owned(), r)),
        "{}",
        run.timings()
    );
    let first = run.job("first");
    assert_eq!(first.outputs["multi"], "a\nb=c");
    assert_eq!(first.step("w").summary, "# summary\n");
    assert_eq!(first.step("sees hello").outcome, Outcome::Success);
    assert_eq!(first.step("never").outcome, Outcome::Skipped);
    let greet = first.step("greet");
    assert_eq!(greet.with["who"], "owner/app", "the default, evaluated");
    assert_eq!(greet.outputs["said"], "hi owner/app loud from greet");
    assert_eq!(run.job("call").outputs["said"], "HELLO-true-5");
}

#[test]
fn a_failed_step_fails_its_job_skips_what_needs_it_and_runs_what_asks_for_failure() {
    let dir = tempfile::tempdir().unwrap();
    repo(
        dir.path(),
        &[
            (".github/workflows/fails.yml", FAILS),
            (".github/workflows/called.yml", CALLED),
        ],
    );
    let run = runner(dir.path()).run("owner/app", ".github/workflows/fails.yml", &push());
    assert_eq!(run.conclusion, Outcome::Failure);
    assert_eq!(
        run.results(),
        [
            ("broken", "failure"),
            ("after", "skipped"),
            ("always", "success"),
            ("unsecret", "failure"),
        ]
        .map(|(j, r)| (j.to_owned(), r))
    );
    let broken = run.job("broken");
    let outcomes: Vec<&str> = broken.steps.iter().map(|s| s.outcome.as_str()).collect();
    assert_eq!(outcomes, ["failure", "skipped", "success"], "pipefail");
    assert!(
        run.job("unsecret")
            .error
            .as_deref()
            .is_some_and(|e| e.contains("secret `TOKEN` is required")),
        "{:?}",
        run.job("unsecret").error
    );
}

#[test]
#[should_panic(expected = "which the runner does not simulate")]
fn an_unknown_action_stops_the_run_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    repo(
        dir.path(),
        &[(
            ".github/workflows/x.yml",
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: 'true'\n  b:\n    runs-on: x\n    if: false\n    steps:\n      - uses: someone/something@v1\n",
        )],
    );
    runner(dir.path()).run("owner/app", ".github/workflows/x.yml", &push());
}

#[test]
fn the_github_fields_of_an_event_are_derived_as_github_derives_them() {
    let pr = Event::new(
        "pull_request",
        json!({"number": 7, "repository": {"full_name": "o/r"}, "pull_request": {
            "head": {"ref": "feature/x", "sha": "h".repeat(40)}, "base": {"ref": "main"},
            "merge_commit_sha": "m".repeat(40)}}),
        "",
    );
    assert_eq!(
        (pr.git_ref.as_str(), pr.ref_name(), pr.sha.as_str()),
        ("refs/pull/7/merge", "7/merge", "m".repeat(40).as_str())
    );
    assert_eq!(
        (pr.head_ref.as_str(), pr.base_ref.as_str()),
        ("feature/x", "main")
    );
    let schedule = Event::new(
        "schedule",
        json!({"schedule": "17 */4 * * *", "repository": {"full_name": "o/r", "default_branch": "trunk"}}),
        &"s".repeat(40),
    );
    assert_eq!(
        (
            schedule.git_ref.as_str(),
            schedule.ref_name(),
            schedule.sha.len()
        ),
        ("refs/heads/trunk", "trunk", 40)
    );
    assert_eq!(push().ref_name(), "topic");
}
