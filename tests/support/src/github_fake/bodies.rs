//! The fake's response bodies: whole GitHub objects made from the fixtures in
//! `tests/fixtures/github` (the examples of GitHub's OpenAPI description), with the fields of
//! the one object they stand for set.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// A fixture of `tests/support/fixtures/github`, parsed.
#[allow(clippy::disallowed_methods, reason = "tests read their fixtures")]
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/github/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = fs_err::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A stable made-up numeric id for a login.
pub fn user_id(login: &str) -> u64 {
    login
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        % 100_000_000
        + 1000
}

/// A `simple-user`: `github-actions[bot]` (type `Bot`) or a user named `login`.
pub fn simple_user(login: &str) -> Value {
    if login == idp_core::ports::forge::ACTIONS_BOT_LOGIN {
        return fixture("user-github-actions-bot.json");
    }
    let mut user = fixture("issue-comment.json")["user"].take();
    let api = format!("https://api.github.com/users/{login}");
    user["login"] = json!(login);
    user["id"] = json!(user_id(login));
    user["node_id"] = json!(format!("U_{}", user_id(login)));
    user["url"] = json!(api);
    user["html_url"] = json!(format!("https://github.com/{login}"));
    for (key, tail) in [
        ("followers_url", "/followers"),
        ("following_url", "/following{/other_user}"),
        ("gists_url", "/gists{/gist_id}"),
        ("starred_url", "/starred{/owner}{/repo}"),
        ("subscriptions_url", "/subscriptions"),
        ("organizations_url", "/orgs"),
        ("repos_url", "/repos"),
        ("events_url", "/events{/privacy}"),
        ("received_events_url", "/received_events"),
    ] {
        user[key] = json!(format!("{api}{tail}"));
    }
    user
}

/// `GET /user` for `login` (a `private-user`).
pub fn authenticated_user(login: &str) -> Value {
    let mut user = fixture("user.json");
    let simple = simple_user(login);
    for key in [
        "login",
        "id",
        "node_id",
        "url",
        "html_url",
        "followers_url",
        "following_url",
        "gists_url",
        "starred_url",
        "subscriptions_url",
        "organizations_url",
        "repos_url",
        "events_url",
        "received_events_url",
    ] {
        user[key] = simple[key].clone();
    }
    user["name"] = json!(login);
    user
}

/// An issue comment.
pub struct CommentView<'a> {
    pub repo: &'a str,
    pub pr: u64,
    pub id: u64,
    pub author: &'a str,
    pub body: &'a str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn comment(c: &CommentView<'_>) -> Value {
    let mut v = fixture("issue-comment.json");
    let (repo, pr, id) = (c.repo, c.pr, c.id);
    v["id"] = json!(id);
    v["node_id"] = json!(format!("IC_{id}"));
    v["url"] = json!(format!(
        "https://api.github.com/repos/{repo}/issues/comments/{id}"
    ));
    v["html_url"] = json!(format!(
        "https://github.com/{repo}/pull/{pr}#issuecomment-{id}"
    ));
    v["issue_url"] = json!(format!("https://api.github.com/repos/{repo}/issues/{pr}"));
    v["body"] = json!(c.body);
    v["user"] = simple_user(c.author);
    v["author_association"] = json!(if c.author.ends_with("[bot]") {
        "NONE"
    } else {
        "CONTRIBUTOR"
    });
    v["created_at"] = json!(time(c.created_at));
    v["updated_at"] = json!(time(c.updated_at));
    v
}

/// A pull request as `GET /repos/{o}/{r}/pulls` lists it (`pull-request-simple`).
pub struct PullView<'a> {
    pub repo: &'a str,
    pub number: u64,
    pub head_repo: &'a str,
    pub branch: &'a str,
    pub head_sha: &'a str,
    /// When it was closed; `None`: open.
    pub closed_at: Option<DateTime<Utc>>,
}

pub fn pull(p: &PullView<'_>) -> Value {
    let mut v = fixture("pull-request-simple.json");
    let (repo, number) = (p.repo, p.number);
    let api = format!("https://api.github.com/repos/{repo}");
    v["id"] = json!(number + 1_000_000);
    v["node_id"] = json!(format!("PR_{number}"));
    v["number"] = json!(number);
    v["state"] = json!(if p.closed_at.is_some() {
        "closed"
    } else {
        "open"
    });
    v["closed_at"] = json!(p.closed_at.map(time));
    v["merged_at"] = Value::Null;
    v["locked"] = json!(false);
    v["url"] = json!(format!("{api}/pulls/{number}"));
    v["html_url"] = json!(format!("https://github.com/{repo}/pull/{number}"));
    v["issue_url"] = json!(format!("{api}/issues/{number}"));
    v["comments_url"] = json!(format!("{api}/issues/{number}/comments"));
    let head_owner = p.head_repo.split('/').next().unwrap_or_default();
    v["head"]["label"] = json!(format!("{head_owner}:{}", p.branch));
    v["head"]["ref"] = json!(p.branch);
    v["head"]["sha"] = json!(p.head_sha);
    v["head"]["user"] = simple_user(head_owner);
    set_repo(&mut v["head"]["repo"], p.head_repo);
    set_repo(&mut v["base"]["repo"], repo);
    v["base"]["ref"] = json!("main");
    v
}

fn set_repo(v: &mut Value, full_name: &str) {
    let (owner, name) = full_name.split_once('/').unwrap_or((full_name, full_name));
    v["full_name"] = json!(full_name);
    v["name"] = json!(name);
    v["owner"] = simple_user(owner);
    v["html_url"] = json!(format!("https://github.com/{full_name}"));
    v["url"] = json!(format!("https://api.github.com/repos/{full_name}"));
}

/// A workflow run.
pub struct RunView<'a> {
    pub repo: &'a str,
    pub id: u64,
    pub workflow_id: u64,
    pub workflow_file: &'a str,
    pub branch: &'a str,
    pub event: &'a str,
    pub status: &'a str,
    pub conclusion: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    pub actor: &'a str,
}

pub fn run(r: &RunView<'_>) -> Value {
    let mut v = fixture("workflow-run.json");
    let (repo, id) = (r.repo, r.id);
    let api = format!("https://api.github.com/repos/{repo}/actions/runs/{id}");
    v["id"] = json!(id);
    v["node_id"] = json!(format!("WFR_{id}"));
    v["run_number"] = json!(id % 10_000);
    v["name"] = json!(r.workflow_file);
    v["display_title"] = json!(r.workflow_file);
    v["path"] = json!(format!(".github/workflows/{}", r.workflow_file));
    v["workflow_id"] = json!(r.workflow_id);
    v["workflow_url"] = json!(format!(
        "https://api.github.com/repos/{repo}/actions/workflows/{}",
        r.workflow_id
    ));
    v["head_branch"] = json!(r.branch);
    v["event"] = json!(r.event);
    v["status"] = json!(r.status);
    v["conclusion"] = json!(r.conclusion);
    v["created_at"] = json!(time(r.created_at));
    v["updated_at"] = json!(time(r.created_at));
    v["run_started_at"] = json!(time(r.created_at));
    v["url"] = json!(api);
    v["html_url"] = json!(format!("https://github.com/{repo}/actions/runs/{id}"));
    for (key, tail) in [
        ("jobs_url", "/jobs"),
        ("logs_url", "/logs"),
        ("artifacts_url", "/artifacts"),
        ("cancel_url", "/cancel"),
        ("rerun_url", "/rerun"),
    ] {
        v[key] = json!(format!("{api}{tail}"));
    }
    v["actor"] = simple_user(r.actor);
    v["triggering_actor"] = simple_user(r.actor);
    v["pull_requests"] = json!([]);
    set_repo(&mut v["repository"], repo);
    set_repo(&mut v["head_repository"], repo);
    v
}

/// A commit status.
pub struct StatusView<'a> {
    pub repo: &'a str,
    pub sha: &'a str,
    pub id: u64,
    pub state: &'a str,
    pub context: &'a str,
    pub target_url: Option<&'a str>,
    pub description: Option<&'a str>,
    pub creator: &'a str,
    pub at: DateTime<Utc>,
}

pub fn status(s: &StatusView<'_>) -> Value {
    let mut v = fixture("status.json");
    v["id"] = json!(s.id);
    v["node_id"] = json!(format!("SC_{}", s.id));
    v["url"] = json!(format!(
        "https://api.github.com/repos/{}/statuses/{}",
        s.repo, s.sha
    ));
    v["state"] = json!(s.state);
    v["context"] = json!(s.context);
    v["target_url"] = json!(s.target_url);
    v["description"] = json!(s.description);
    v["creator"] = simple_user(s.creator);
    v["created_at"] = json!(time(s.at));
    v["updated_at"] = json!(time(s.at));
    v
}

/// An error body: the fixture `name` with its `message` replaced when `message` is given.
pub fn error(name: &str, message: Option<&str>) -> Value {
    let mut v = fixture(name);
    if let Some(message) = message {
        v["message"] = json!(message);
    }
    v
}

/// `GET /repos/{owner}/{repo}/git/ref/{ref}`: `full_ref` (`refs/tags/v1`) pointing at `sha`, a
/// `commit` or (an annotated tag) a `tag` object (a `git-ref`).
pub fn git_ref(repo: &str, full_ref: &str, kind: &str, sha: &str) -> Value {
    let api = format!("https://api.github.com/repos/{repo}");
    let plural = if kind == "tag" { "tags" } else { "commits" };
    json!({
        "ref": full_ref,
        "node_id": format!("REF_{}", full_ref.replace('/', "_")),
        "url": format!("{api}/git/{full_ref}"),
        "object": {"type": kind, "sha": sha, "url": format!("{api}/git/{plural}/{sha}")}
    })
}

/// `GET /repos/{owner}/{repo}/git/tags/{tag_sha}`: annotated tag `name` of commit `commit` (a
/// `git-tag`).
pub fn git_tag(repo: &str, tag_sha: &str, name: &str, commit: &str) -> Value {
    let api = format!("https://api.github.com/repos/{repo}");
    json!({
        "node_id": format!("TAG_{tag_sha}"),
        "tag": name,
        "sha": tag_sha,
        "url": format!("{api}/git/tags/{tag_sha}"),
        "message": format!("Release {name}\n"),
        "tagger": {"name": "Octocat", "email": "octocat@github.com", "date": "2026-11-01T12:00:00Z"},
        "object": {"type": "commit", "sha": commit, "url": format!("{api}/git/commits/{commit}")},
        "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null}
    })
}

/// An `organization-simple` for organization `login`.
pub fn organization(login: &str) -> Value {
    let mut v = fixture("organization-simple.json");
    set_organization(&mut v, login);
    v
}

/// The fields an `organization-simple` and a `team-organization` share, for `login`.
fn set_organization(v: &mut Value, login: &str) {
    let api = format!("https://api.github.com/orgs/{login}");
    let id = user_id(login);
    v["login"] = json!(login);
    v["id"] = json!(id);
    v["node_id"] = json!(format!("O_{id}"));
    v["url"] = json!(api);
    for (key, tail) in [
        ("repos_url", "/repos"),
        ("events_url", "/events"),
        ("hooks_url", "/hooks"),
        ("issues_url", "/issues"),
        ("members_url", "/members{/member}"),
        ("public_members_url", "/public_members{/member}"),
    ] {
        v[key] = json!(format!("{api}{tail}"));
    }
}

/// A `team-full`: team `slug` of organization `org`.
pub fn team(org: &str, slug: &str) -> Value {
    let mut v = fixture("team-full.json");
    let org_id = user_id(org);
    let id = user_id(&format!("{org}/{slug}"));
    let api = format!("https://api.github.com/organizations/{org_id}/team/{id}");
    v["id"] = json!(id);
    v["node_id"] = json!(format!("T_{id}"));
    v["url"] = json!(api);
    v["html_url"] = json!(format!("https://github.com/orgs/{org}/teams/{slug}"));
    v["name"] = json!(slug);
    v["slug"] = json!(slug);
    v["members_url"] = json!(format!("{api}/members{{/member}}"));
    v["repositories_url"] = json!(format!("{api}/repos"));
    let organization = &mut v["organization"];
    set_organization(organization, org);
    organization["name"] = json!(org);
    organization["html_url"] = json!(format!("https://github.com/{org}"));
    v
}

/// A `pull-request-review` of pull request `pr`.
pub fn review(repo: &str, pr: u64, r: &super::FakeReview) -> Value {
    let mut v = fixture("pull-request-review.json");
    let id = r.id;
    let html = format!("https://github.com/{repo}/pull/{pr}#pullrequestreview-{id}");
    let api = format!("https://api.github.com/repos/{repo}/pulls/{pr}");
    v["id"] = json!(id);
    v["node_id"] = json!(format!("PRR_{id}"));
    v["user"] = simple_user(&r.login);
    v["state"] = json!(r.state);
    v["submitted_at"] = json!(time(r.submitted_at));
    v["commit_id"] = json!(r.commit_id);
    v["html_url"] = json!(html);
    v["pull_request_url"] = json!(api);
    v["_links"]["html"]["href"] = json!(html);
    v["_links"]["pull_request"]["href"] = json!(api);
    v["author_association"] = json!("MEMBER");
    v
}

/// A `labeled-issue-event` or `unlabeled-issue-event` (`issue-event-for-issue`).
pub fn label_event(repo: &str, e: &super::FakeLabelEvent) -> Value {
    let mut v = fixture("issue-event-labeled.json");
    let id = e.id;
    v["id"] = json!(id);
    v["node_id"] = json!(format!("LE_{id}"));
    v["url"] = json!(format!(
        "https://api.github.com/repos/{repo}/issues/events/{id}"
    ));
    v["actor"] = simple_user(&e.actor);
    v["event"] = json!(if e.added { "labeled" } else { "unlabeled" });
    v["created_at"] = json!(time(e.at));
    v["label"] = json!({"name": e.label, "color": "0e8a16"});
    v
}

/// A `team-membership` of `login` in `org/slug` (an active member).
pub fn team_membership(org: &str, slug: &str, login: &str) -> Value {
    let mut v = fixture("team-membership.json");
    v["url"] = json!(format!(
        "https://api.github.com/organizations/{}/team/{}/memberships/{login}",
        user_id(org),
        user_id(slug)
    ));
    v["role"] = json!("member");
    v["state"] = json!("active");
    v
}
