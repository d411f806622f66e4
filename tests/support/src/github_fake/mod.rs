//! A GitHub stand-in on loopback (a `wiremock` server with one stateful responder) for the REST
//! API subset the GitHub forge uses: comments created are listed afterwards and PATCH edits them,
//! statuses posted are kept, dispatches create workflow runs that listings return and that move
//! `queued → in_progress → completed` one step per `GET`, listings come in pages with `Link`
//! headers (newest first for pull requests and runs, as GitHub sorts them), and every answer
//! carries a `Date`. Bodies are whole GitHub objects ([`bodies`]); every body served is recorded
//! with the OpenAPI operation it answers, for the schema test.
//!
//! Tokens: [`PAT`] is the user [`PAT_LOGIN`], a repository admin (it may edit anyone's comment);
//! [`ACTIONS_TOKEN`] is the Actions token, for which `GET /user` is 403 and which writes as
//! `github-actions[bot]` and may edit only its own comments. Any other token is 401.
//!
//! Signing in with GitHub (`oauth.rs`): the fake is also the GitHub web site of an OAuth App's
//! web flow (`/login/oauth/authorize`, `/login/oauth/access_token`), so [`GitHubFake::uri`] is
//! both the web and the API URL. The tokens it issues are the users added with
//! [`GitHubFake::add_oauth_user`], whose `GET /user`, `GET /user/teams` and `GET /user/orgs`
//! the API answers.

pub mod bodies;
mod oauth;
mod routes;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use idp_core::ports::{Clock, SystemClock};
use serde_json::Value;
use wiremock::{Mock, MockServer};

/// A personal access token of [`PAT_LOGIN`].
pub const PAT: &str = "ghp_s3cr3tT0kenValue0000000000000000000";
/// The login of [`PAT`].
pub const PAT_LOGIN: &str = "idp-bot";
/// The workflow's `GITHUB_TOKEN`.
pub const ACTIONS_TOKEN: &str = "ghs_AcT10nsT0kenValue000000000000000000";

/// One answer the fake gave: the OpenAPI operation (`path`, `method`), the status and the body.
#[derive(Debug, Clone)]
pub struct Served {
    pub path: &'static str,
    pub method: &'static str,
    pub status: u16,
    pub body: Option<Value>,
}

/// A comment as the fake keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeComment {
    pub id: u64,
    pub author: String,
    pub body: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A commit status as posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeStatus {
    pub sha: String,
    pub state: String,
    pub context: String,
    pub target_url: Option<String>,
    pub description: Option<String>,
}

/// A workflow run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeRun {
    pub id: u64,
    pub workflow_file: String,
    pub branch: String,
    pub event: String,
    pub inputs: BTreeMap<String, String>,
    status: &'static str,
    conclusion: Option<String>,
    created_at: DateTime<Utc>,
    ends: String,
}

#[derive(Debug)]
struct Pull {
    number: u64,
    branch: String,
    head_sha: String,
    head_repo: String,
    open: bool,
    closed_at: Option<DateTime<Utc>>,
    comments: Vec<FakeComment>,
    reviews: Vec<FakeReview>,
    label_events: Vec<FakeLabelEvent>,
}

/// A pull-request review as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeReview {
    pub id: u64,
    pub login: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`.
    pub state: String,
    pub submitted_at: DateTime<Utc>,
    pub commit_id: String,
}

/// A `labeled` / `unlabeled` issue event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeLabelEvent {
    pub id: u64,
    pub actor: String,
    pub label: String,
    pub added: bool,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct Repo {
    pulls: Vec<Pull>,
    /// Git refs (`tags/v1`, `heads/main`) → the object they point at: (`commit` | `tag`, sha).
    git_refs: BTreeMap<String, (String, String)>,
    /// Annotated tags by their object id: (name, commit).
    tags: BTreeMap<String, (String, String)>,
    refs: BTreeSet<String>,
    commits: BTreeSet<String>,
    workflows: BTreeMap<String, (u64, BTreeSet<String>)>,
    runs: Vec<FakeRun>,
    statuses: Vec<FakeStatus>,
}

#[derive(Debug, Default)]
struct Token {
    revoked: bool,
    read_only: bool,
}

#[derive(Debug)]
struct State {
    base: String,
    repos: BTreeMap<String, Repo>,
    tokens: BTreeMap<String, Token>,
    next_id: u64,
    page_size: usize,
    conclusion: String,
    served: Vec<Served>,
    unexpected: Vec<String>,
    oauth: oauth::OAuth,
    /// Team memberships `(org/team-slug, login)`, lowercase.
    teams: BTreeSet<(String, String)>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fake GitHub. Its state is shared with the responder, so tests seed and inspect it while
/// the forge talks to it.
pub struct GitHubFake {
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

impl GitHubFake {
    /// A fake with no repositories, pages of up to 100 items.
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State {
            base: server.uri(),
            repos: BTreeMap::new(),
            tokens: [PAT, ACTIONS_TOKEN]
                .into_iter()
                .map(|t| (t.to_owned(), Token::default()))
                .collect(),
            next_id: 5000,
            page_size: 100,
            conclusion: "success".to_owned(),
            served: Vec::new(),
            unexpected: Vec::new(),
            oauth: oauth::OAuth::default(),
            teams: BTreeSet::new(),
        }));
        Mock::given(wiremock::matchers::any())
            .respond_with(routes::Responder(state.clone()))
            .mount(&server)
            .await;
        Self { server, state }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    fn with_repo<T>(&self, repo: &str, f: impl FnOnce(&mut Repo) -> T) -> T {
        let mut state = lock(&self.state);
        let repo = state.repos.entry(repo.to_owned()).or_default();
        repo.refs.insert("main".to_owned());
        f(repo)
    }

    pub fn add_repo(&self, repo: &str) {
        self.with_repo(repo, |_| ());
    }

    /// Tags commit `sha` as `name`: a lightweight tag, or an annotated one (a tag object whose
    /// id is `tag_sha`).
    pub fn add_tag(&self, repo: &str, name: &str, sha: &str, annotated: Option<&str>) {
        self.with_repo(repo, |r| {
            r.commits.insert(sha.to_owned());
            match annotated {
                Some(tag_sha) => {
                    r.tags
                        .insert(tag_sha.to_owned(), (name.to_owned(), sha.to_owned()));
                    r.git_refs.insert(
                        format!("tags/{name}"),
                        ("tag".to_owned(), tag_sha.to_owned()),
                    );
                }
                None => {
                    r.git_refs.insert(
                        format!("tags/{name}"),
                        ("commit".to_owned(), sha.to_owned()),
                    );
                }
            }
        });
    }

    /// Points branch `name` at commit `sha`.
    pub fn add_branch(&self, repo: &str, name: &str, sha: &str) {
        self.with_repo(repo, |r| {
            r.commits.insert(sha.to_owned());
            r.refs.insert(name.to_owned());
            r.git_refs.insert(
                format!("heads/{name}"),
                ("commit".to_owned(), sha.to_owned()),
            );
        });
    }

    /// The most items a page holds, whatever `per_page` asks (GitHub's is 100).
    pub fn set_page_size(&self, size: usize) {
        lock(&self.state).page_size = size.max(1);
    }

    /// Opens pull request `number` from `branch` of `head_repo` (the repository itself, or a
    /// fork) at `head_sha`.
    pub fn open_pr(&self, repo: &str, number: u64, head_repo: &str, branch: &str, head_sha: &str) {
        self.with_repo(repo, |r| {
            r.pulls.retain(|p| p.number != number);
            r.pulls.push(Pull {
                number,
                branch: branch.to_owned(),
                head_sha: head_sha.to_owned(),
                head_repo: head_repo.to_owned(),
                open: true,
                closed_at: None,
                comments: Vec::new(),
                reviews: Vec::new(),
                label_events: Vec::new(),
            });
            r.refs.insert(branch.to_owned());
            r.commits.insert(head_sha.to_owned());
        });
    }

    /// Closes pull request `number` (its comments stay); it is no longer listed as open.
    pub fn close_pr(&self, repo: &str, number: u64) {
        let now = SystemClock.now();
        self.with_repo(repo, |r| {
            let pull = r.pulls.iter_mut().find(|p| p.number == number);
            let pull = pull.unwrap_or_else(|| panic!("no pull request #{number} in {repo}"));
            pull.open = false;
            pull.closed_at = Some(now);
        });
    }

    /// Posts a comment by `author` on pull request `pr`; its id.
    pub fn add_comment(&self, repo: &str, pr: u64, author: &str, body: &str) -> u64 {
        let id = self.next_id();
        let now = SystemClock.now();
        self.with_repo(repo, |r| {
            let pull = r.pulls.iter_mut().find(|p| p.number == pr);
            pull.unwrap_or_else(|| panic!("no pull request #{pr} in {repo}"))
                .comments
                .push(FakeComment {
                    id,
                    author: author.to_owned(),
                    body: body.to_owned(),
                    created_at: now,
                    updated_at: now,
                });
        });
        id
    }

    /// `login` submits a review in `state` (`APPROVED`, …) on pull request `pr` now.
    pub fn add_review(&self, repo: &str, pr: u64, login: &str, state: &str) {
        let id = self.next_id();
        let now = SystemClock.now();
        self.with_repo(repo, |r| {
            let pull = r.pulls.iter_mut().find(|p| p.number == pr);
            let pull = pull.unwrap_or_else(|| panic!("no pull request #{pr} in {repo}"));
            let commit_id = pull.head_sha.clone();
            pull.reviews.push(FakeReview {
                id,
                login: login.to_owned(),
                state: state.to_owned(),
                submitted_at: now,
                commit_id,
            });
        });
    }

    /// `actor` adds (`added`) or removes `label` on pull request `pr` now.
    pub fn label(&self, repo: &str, pr: u64, actor: &str, label: &str, added: bool) {
        let id = self.next_id();
        let now = SystemClock.now();
        self.with_repo(repo, |r| {
            let pull = r.pulls.iter_mut().find(|p| p.number == pr);
            pull.unwrap_or_else(|| panic!("no pull request #{pr} in {repo}"))
                .label_events
                .push(FakeLabelEvent {
                    id,
                    actor: actor.to_owned(),
                    label: label.to_owned(),
                    added,
                    at: now,
                });
        });
    }

    /// Makes `login` an active member of team `org/team_slug`.
    pub fn add_team_member(&self, org: &str, team_slug: &str, login: &str) {
        lock(&self.state).teams.insert((
            format!("{org}/{team_slug}").to_ascii_lowercase(),
            login.to_ascii_lowercase(),
        ));
    }

    pub fn comments(&self, repo: &str, pr: u64) -> Vec<FakeComment> {
        self.with_repo(repo, |r| {
            r.pulls
                .iter()
                .find(|p| p.number == pr)
                .map(|p| p.comments.clone())
                .unwrap_or_default()
        })
    }

    pub fn statuses(&self, repo: &str) -> Vec<FakeStatus> {
        self.with_repo(repo, |r| r.statuses.clone())
    }

    /// Declares workflow `file` with a `workflow_dispatch` trigger taking `inputs`.
    pub fn add_workflow(&self, repo: &str, file: &str, inputs: &[&str]) {
        let id = self.next_id();
        self.with_repo(repo, |r| {
            let inputs = inputs.iter().map(|i| (*i).to_owned()).collect();
            r.workflows.insert(file.to_owned(), (id, inputs));
        });
    }

    /// Adds a finished run of `file` on `branch` created at `created_at`; its id.
    pub fn seed_run(
        &self,
        repo: &str,
        file: &str,
        branch: &str,
        event: &str,
        created_at: DateTime<Utc>,
    ) -> u64 {
        let id = self.next_id();
        self.with_repo(repo, |r| {
            r.runs.push(FakeRun {
                id,
                workflow_file: file.to_owned(),
                branch: branch.to_owned(),
                event: event.to_owned(),
                inputs: BTreeMap::new(),
                status: "completed",
                conclusion: Some("success".to_owned()),
                created_at,
                ends: "success".to_owned(),
            });
        });
        id
    }

    pub fn runs(&self, repo: &str) -> Vec<FakeRun> {
        self.with_repo(repo, |r| r.runs.clone())
    }

    /// Makes `token` answer 401 from now on.
    pub fn revoke(&self, token: &str) {
        lock(&self.state)
            .tokens
            .entry(token.to_owned())
            .or_default()
            .revoked = true;
    }

    /// Makes writes with `token` answer 403.
    pub fn set_read_only(&self, token: &str, read_only: bool) {
        lock(&self.state)
            .tokens
            .entry(token.to_owned())
            .or_default()
            .read_only = read_only;
    }

    /// Registers an OAuth App: codes are exchanged for tokens only with this id and secret.
    pub fn add_oauth_app(&self, client_id: &str, client_secret: &str) {
        lock(&self.state)
            .oauth
            .apps
            .insert(client_id.to_owned(), client_secret.to_owned());
    }

    /// Adds (or updates) user `login`, a member of `teams` (`(org, team-slug)`) and `orgs`, and
    /// queues a sign-in for them: the next `/login/oauth/authorize` redirects with this code
    /// (sign-ins queued for several users are handed out in order). The code is single use; it
    /// may also be exchanged without going through `/login/oauth/authorize`.
    pub fn add_oauth_user(&self, login: &str, teams: &[(&str, &str)], orgs: &[&str]) -> String {
        let mut state = lock(&self.state);
        state.oauth.add_user(login, teams, orgs)
    }

    /// What a browser sent to `authorize_url` (a `/login/oauth/authorize` URL of this fake) is
    /// redirected to: `redirect_uri?code=…&state=…`. Panics unless the fake answers 302.
    pub async fn visit(&self, authorize_url: &str) -> String {
        let (status, location) = oauth::visit(authorize_url).await;
        assert_eq!(status, 302, "GET {authorize_url} was not redirected");
        location.unwrap_or_else(|| panic!("GET {authorize_url}: a 302 without `Location`"))
    }

    /// Every answer given so far.
    pub fn served(&self) -> Vec<Served> {
        lock(&self.state).served.clone()
    }

    /// Requests the fake does not implement (answered 418).
    pub fn unexpected(&self) -> Vec<String> {
        lock(&self.state).unexpected.clone()
    }

    /// How many requests were `method path` (path without the query).
    pub async fn requests(&self, method: &str, path: &str) -> usize {
        let received = self.server.received_requests().await.unwrap_or_default();
        received
            .iter()
            .filter(|r| r.method.as_str() == method && r.url.path() == path)
            .count()
    }

    fn next_id(&self) -> u64 {
        let mut state = lock(&self.state);
        state.next_id += 1;
        state.next_id
    }
}
