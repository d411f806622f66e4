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

pub(crate) mod bodies;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use idp_core::ports::forge::ACTIONS_BOT_LOGIN;
use idp_core::ports::{Clock, SystemClock};
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use self::bodies::{CommentView, PullView, RunView, StatusView, error};

/// A personal access token of [`PAT_LOGIN`].
pub(crate) const PAT: &str = "ghp_s3cr3tT0kenValue0000000000000000000";
/// The login of [`PAT`].
pub(crate) const PAT_LOGIN: &str = "idp-bot";
/// The workflow's `GITHUB_TOKEN`.
pub(crate) const ACTIONS_TOKEN: &str = "ghs_AcT10nsT0kenValue000000000000000000";

/// One answer the fake gave: the OpenAPI operation (`path`, `method`), the status and the body.
#[derive(Debug, Clone)]
pub(crate) struct Served {
    pub(crate) path: &'static str,
    pub(crate) method: &'static str,
    pub(crate) status: u16,
    pub(crate) body: Option<Value>,
}

/// A comment as the fake keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FakeComment {
    pub(crate) id: u64,
    pub(crate) author: String,
    pub(crate) body: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A commit status as posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FakeStatus {
    pub(crate) sha: String,
    pub(crate) state: String,
    pub(crate) context: String,
    pub(crate) target_url: Option<String>,
    pub(crate) description: Option<String>,
}

/// A workflow run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FakeRun {
    pub(crate) id: u64,
    pub(crate) workflow_file: String,
    pub(crate) branch: String,
    pub(crate) event: String,
    pub(crate) inputs: BTreeMap<String, String>,
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
    comments: Vec<FakeComment>,
}

#[derive(Debug, Default)]
struct Repo {
    pulls: Vec<Pull>,
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
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fake GitHub. Its state is shared with the responder, so tests seed and inspect it while
/// the forge talks to it.
pub(crate) struct GitHubFake {
    pub(crate) server: MockServer,
    state: Arc<Mutex<State>>,
}

impl GitHubFake {
    /// A fake with no repositories, pages of up to 100 items.
    pub(crate) async fn start() -> Self {
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
        }));
        Mock::given(wiremock::matchers::any())
            .respond_with(Responder(state.clone()))
            .mount(&server)
            .await;
        Self { server, state }
    }

    pub(crate) fn uri(&self) -> String {
        self.server.uri()
    }

    fn with_repo<T>(&self, repo: &str, f: impl FnOnce(&mut Repo) -> T) -> T {
        let mut state = lock(&self.state);
        let repo = state.repos.entry(repo.to_owned()).or_default();
        repo.refs.insert("main".to_owned());
        f(repo)
    }

    pub(crate) fn add_repo(&self, repo: &str) {
        self.with_repo(repo, |_| ());
    }

    /// The most items a page holds, whatever `per_page` asks (GitHub's is 100).
    pub(crate) fn set_page_size(&self, size: usize) {
        lock(&self.state).page_size = size.max(1);
    }

    /// Opens pull request `number` from `branch` of `head_repo` (the repository itself, or a
    /// fork) at `head_sha`.
    pub(crate) fn open_pr(
        &self,
        repo: &str,
        number: u64,
        head_repo: &str,
        branch: &str,
        head_sha: &str,
    ) {
        self.with_repo(repo, |r| {
            r.pulls.retain(|p| p.number != number);
            r.pulls.push(Pull {
                number,
                branch: branch.to_owned(),
                head_sha: head_sha.to_owned(),
                head_repo: head_repo.to_owned(),
                open: true,
                comments: Vec::new(),
            });
            r.refs.insert(branch.to_owned());
            r.commits.insert(head_sha.to_owned());
        });
    }

    pub(crate) fn add_commit(&self, repo: &str, sha: &str) {
        self.with_repo(repo, |r| r.commits.insert(sha.to_owned()));
    }

    /// Posts a comment by `author` on pull request `pr`; its id.
    pub(crate) fn add_comment(&self, repo: &str, pr: u64, author: &str, body: &str) -> u64 {
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

    pub(crate) fn comments(&self, repo: &str, pr: u64) -> Vec<FakeComment> {
        self.with_repo(repo, |r| {
            r.pulls
                .iter()
                .find(|p| p.number == pr)
                .map(|p| p.comments.clone())
                .unwrap_or_default()
        })
    }

    pub(crate) fn statuses(&self, repo: &str) -> Vec<FakeStatus> {
        self.with_repo(repo, |r| r.statuses.clone())
    }

    /// Declares workflow `file` with a `workflow_dispatch` trigger taking `inputs`.
    pub(crate) fn add_workflow(&self, repo: &str, file: &str, inputs: &[&str]) {
        let id = self.next_id();
        self.with_repo(repo, |r| {
            let inputs = inputs.iter().map(|i| (*i).to_owned()).collect();
            r.workflows.insert(file.to_owned(), (id, inputs));
        });
    }

    /// Adds a finished run of `file` on `branch` created at `created_at`; its id.
    pub(crate) fn seed_run(
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

    pub(crate) fn runs(&self, repo: &str) -> Vec<FakeRun> {
        self.with_repo(repo, |r| r.runs.clone())
    }

    /// How runs dispatched from now on end.
    pub(crate) fn set_run_conclusion(&self, conclusion: &str) {
        lock(&self.state).conclusion = conclusion.to_owned();
    }

    /// Makes `token` answer 401 from now on.
    pub(crate) fn revoke(&self, token: &str) {
        lock(&self.state)
            .tokens
            .entry(token.to_owned())
            .or_default()
            .revoked = true;
    }

    /// Makes writes with `token` answer 403.
    pub(crate) fn set_read_only(&self, token: &str, read_only: bool) {
        lock(&self.state)
            .tokens
            .entry(token.to_owned())
            .or_default()
            .read_only = read_only;
    }

    /// Every answer given so far.
    pub(crate) fn served(&self) -> Vec<Served> {
        lock(&self.state).served.clone()
    }

    /// Requests the fake does not implement (answered 418).
    pub(crate) fn unexpected(&self) -> Vec<String> {
        lock(&self.state).unexpected.clone()
    }

    /// How many requests were `method path` (path without the query).
    pub(crate) async fn requests(&self, method: &str, path: &str) -> usize {
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

struct Responder(Arc<Mutex<State>>);

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut state = lock(&self.0);
        let now = SystemClock.now();
        let answer = route(&mut state, req, now);
        let date = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let mut template = ResponseTemplate::new(answer.status).insert_header("date", date);
        if let Some(link) = &answer.link {
            template = template.insert_header("link", link.as_str());
        }
        if let Some(body) = &answer.body {
            template = template.set_body_json(body);
        }
        match answer.operation {
            Some((path, method)) => state.served.push(Served {
                path,
                method,
                status: answer.status,
                body: answer.body,
            }),
            None => state
                .unexpected
                .push(format!("{} {}", req.method, req.url.path())),
        }
        template
    }
}

/// What a route answers.
struct Answer {
    operation: Option<(&'static str, &'static str)>,
    status: u16,
    body: Option<Value>,
    link: Option<String>,
}

impl Answer {
    fn new(status: u16, body: Value) -> Self {
        Self {
            operation: None,
            status,
            body: Some(body),
            link: None,
        }
    }

    fn not_found() -> Self {
        Self::new(404, error("error-not-found.json", None))
    }

    fn unprocessable(fixture: &str, message: &str) -> Self {
        Self::new(422, error(fixture, Some(message)))
    }
}

const COMMENTS: &str = "/repos/{owner}/{repo}/issues/{issue_number}/comments";
const COMMENT: &str = "/repos/{owner}/{repo}/issues/comments/{comment_id}";
const PULLS: &str = "/repos/{owner}/{repo}/pulls";
const STATUSES: &str = "/repos/{owner}/{repo}/statuses/{sha}";
const DISPATCHES: &str = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";
const WORKFLOW_RUNS: &str = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs";
const RUN: &str = "/repos/{owner}/{repo}/actions/runs/{run_id}";

fn route(state: &mut State, req: &Request, now: DateTime<Utc>) -> Answer {
    let method = req.method.as_str().to_owned();
    let segments: Vec<String> = req
        .url
        .path_segments()
        .map(|s| {
            s.map(|x| {
                percent_encoding::percent_decode_str(x)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect()
        })
        .unwrap_or_default();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let operation = operation(&method, &segs);
    let Some((op_path, op_method)) = operation else {
        return Answer::new(
            418,
            json!({"message": format!("unexpected request: {method} {}", req.url)}),
        );
    };
    let mut answer = answer(state, req, &method, &segs, now);
    answer.operation = Some((op_path, op_method));
    answer
}

/// The OpenAPI operation a request is for, if the fake implements it.
fn operation(method: &str, segs: &[&str]) -> Option<(&'static str, &'static str)> {
    Some(match (method, segs) {
        ("GET", ["user"]) => ("/user", "get"),
        ("GET", ["repos", _, _, "issues", _, "comments"]) => (COMMENTS, "get"),
        ("POST", ["repos", _, _, "issues", _, "comments"]) => (COMMENTS, "post"),
        ("PATCH", ["repos", _, _, "issues", "comments", _]) => (COMMENT, "patch"),
        ("GET", ["repos", _, _, "pulls"]) => (PULLS, "get"),
        ("POST", ["repos", _, _, "statuses", _]) => (STATUSES, "post"),
        ("POST", ["repos", _, _, "actions", "workflows", _, "dispatches"]) => (DISPATCHES, "post"),
        ("GET", ["repos", _, _, "actions", "workflows", _, "runs"]) => (WORKFLOW_RUNS, "get"),
        ("GET", ["repos", _, _, "actions", "runs", _]) => (RUN, "get"),
        _ => return None,
    })
}

/// Who a request's token is: `Ok(login)`, or the 401 to answer.
fn caller(state: &State, req: &Request, write: bool) -> Result<&'static str, Answer> {
    let token = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("token "))
        });
    let known = token.and_then(|t| state.tokens.get(t).map(|k| (t, k)));
    match known {
        Some((_, k)) if k.revoked => {
            Err(Answer::new(401, error("error-bad-credentials.json", None)))
        }
        Some((_, k)) if write && k.read_only => Err(Answer::new(
            403,
            error("error-not-accessible-by-integration.json", None),
        )),
        Some((PAT, _)) => Ok(PAT_LOGIN),
        Some((ACTIONS_TOKEN, _)) => Ok(ACTIONS_BOT_LOGIN),
        _ => Err(Answer::new(401, error("error-bad-credentials.json", None))),
    }
}

fn query(req: &Request, key: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// One page of `items` as `page` and `per_page` ask, with the `Link` header to the next.
fn page<T: Clone>(state: &State, req: &Request, items: &[T]) -> (Vec<T>, Option<String>) {
    let per_page = query(req, "per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, state.page_size);
    let number = query(req, "page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let start = (number - 1) * per_page;
    let shown: Vec<T> = items.iter().skip(start).take(per_page).cloned().collect();
    let last = items.len().div_ceil(per_page).max(1);
    let link = (number < last).then(|| {
        let at = |n: usize| {
            let mut url = req.url.clone();
            let pairs: Vec<(String, String)> = req
                .url
                .query_pairs()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair("page", &n.to_string());
            format!("{}{}?{}", state.base, url.path(), url.query().unwrap_or(""))
        };
        format!(
            "<{}>; rel=\"next\", <{}>; rel=\"last\"",
            at(number + 1),
            at(last)
        )
    });
    (shown, link)
}

fn body_json(req: &Request) -> Value {
    serde_json::from_slice(&req.body).unwrap_or(Value::Null)
}

fn answer(
    state: &mut State,
    req: &Request,
    method: &str,
    segs: &[&str],
    now: DateTime<Utc>,
) -> Answer {
    let write = method != "GET";
    let login = match caller(state, req, write) {
        Ok(login) => login,
        Err(refused) => return refused,
    };
    if segs == ["user"] {
        return if login == ACTIONS_BOT_LOGIN {
            Answer::new(403, error("error-not-accessible-by-integration.json", None))
        } else {
            Answer::new(200, bodies::authenticated_user(login))
        };
    }
    let full = format!("{}/{}", segs[1], segs[2]);
    let conclusion = state.conclusion.clone();
    state.next_id += 1;
    let new_id = state.next_id;
    let Some(repo) = state.repos.get_mut(&full) else {
        return Answer::not_found();
    };
    match (method, &segs[3..]) {
        ("GET", ["issues", n, "comments"]) => {
            let Some(pull) = n
                .parse::<u64>()
                .ok()
                .and_then(|n| repo.pulls.iter().find(|p| p.number == n))
            else {
                return Answer::not_found();
            };
            let all: Vec<Value> = pull
                .comments
                .iter()
                .map(|c| comment_body(&full, pull.number, c))
                .collect();
            listing(state, req, &all, |items| json!(items))
        }
        ("POST", ["issues", n, "comments"]) => {
            let Some(pull) = n
                .parse::<u64>()
                .ok()
                .and_then(|n| repo.pulls.iter_mut().find(|p| p.number == n))
            else {
                return Answer::not_found();
            };
            let Some(text) = body_json(req)["body"].as_str().map(str::to_owned) else {
                return Answer::unprocessable(
                    "error-validation-failed.json",
                    "Invalid request.\n\n\"body\" wasn't supplied.",
                );
            };
            let c = FakeComment {
                id: new_id,
                author: login.to_owned(),
                body: text,
                created_at: now,
                updated_at: now,
            };
            let body = comment_body(&full, pull.number, &c);
            pull.comments.push(c);
            Answer::new(201, body)
        }
        ("PATCH", ["issues", "comments", id]) => {
            let id = id.parse::<u64>().unwrap_or(0);
            let Some((number, c)) = repo.pulls.iter_mut().find_map(|p| {
                let number = p.number;
                p.comments
                    .iter_mut()
                    .find(|c| c.id == id)
                    .map(|c| (number, c))
            }) else {
                return Answer::not_found();
            };
            // The Actions token may edit only its own comments; the admin's PAT any.
            if login == ACTIONS_BOT_LOGIN && c.author != login {
                return Answer::new(403, error("error-not-accessible-by-integration.json", None));
            }
            let Some(text) = body_json(req)["body"].as_str().map(str::to_owned) else {
                return Answer::unprocessable(
                    "error-validation-failed.json",
                    "Invalid request.\n\n\"body\" wasn't supplied.",
                );
            };
            c.body = text;
            c.updated_at = now;
            let body = comment_body(&full, number, c);
            Answer::new(200, body)
        }
        ("GET", ["pulls"]) => {
            let head = query(req, "head");
            let open_only = query(req, "state").is_none_or(|s| s == "open");
            let mut pulls: Vec<&Pull> = repo
                .pulls
                .iter()
                .filter(|p| !open_only || p.open)
                .filter(|p| {
                    let owner = p.head_repo.split('/').next().unwrap_or_default();
                    head.as_deref()
                        .is_none_or(|h| h == format!("{owner}:{}", p.branch))
                })
                .collect();
            // GitHub's default order: newest first.
            pulls.sort_by(|a, b| b.number.cmp(&a.number));
            let all: Vec<Value> = pulls
                .iter()
                .map(|p| {
                    bodies::pull(&PullView {
                        repo: &full,
                        number: p.number,
                        head_repo: &p.head_repo,
                        branch: &p.branch,
                        head_sha: &p.head_sha,
                    })
                })
                .collect();
            listing(state, req, &all, |items| json!(items))
        }
        ("POST", ["statuses", sha]) => {
            if !repo.commits.contains(*sha) {
                return Answer::unprocessable(
                    "error-no-commit.json",
                    &format!("No commit found for SHA: {sha}"),
                );
            }
            let sent = body_json(req);
            let state_name = sent["state"].as_str().unwrap_or_default();
            if !["pending", "success", "failure", "error"].contains(&state_name) {
                return Answer::unprocessable("error-validation-failed.json", "Validation Failed");
            }
            let status = FakeStatus {
                sha: (*sha).to_owned(),
                state: state_name.to_owned(),
                context: sent["context"].as_str().unwrap_or("default").to_owned(),
                target_url: sent["target_url"].as_str().map(str::to_owned),
                description: sent["description"].as_str().map(str::to_owned),
            };
            let body = bodies::status(&StatusView {
                repo: &full,
                sha,
                id: new_id,
                state: &status.state,
                context: &status.context,
                target_url: status.target_url.as_deref(),
                description: status.description.as_deref(),
                creator: login,
                at: now,
            });
            repo.statuses.push(status);
            Answer::new(201, body)
        }
        ("POST", ["actions", "workflows", file, "dispatches"]) => {
            let Some((_, declared)) = repo.workflows.get(*file) else {
                return Answer::not_found();
            };
            let sent = body_json(req);
            let Some(git_ref) = sent["ref"].as_str() else {
                return Answer::unprocessable(
                    "error-no-ref.json",
                    "Invalid request.\n\n\"ref\" wasn't supplied.",
                );
            };
            if !repo.refs.contains(git_ref) {
                return Answer::unprocessable(
                    "error-no-ref.json",
                    &format!("No ref found for: {git_ref}"),
                );
            }
            let inputs: BTreeMap<String, String> = sent["inputs"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let unexpected: Vec<&String> =
                inputs.keys().filter(|k| !declared.contains(*k)).collect();
            if !unexpected.is_empty() {
                let message = format!(
                    "Unexpected inputs provided: {}",
                    serde_json::to_string(&unexpected).unwrap_or_default()
                );
                return Answer::unprocessable("error-unexpected-inputs.json", &message);
            }
            repo.runs.push(FakeRun {
                id: new_id,
                workflow_file: (*file).to_owned(),
                branch: git_ref.to_owned(),
                event: "workflow_dispatch".to_owned(),
                inputs,
                status: "queued",
                conclusion: None,
                created_at: now,
                ends: conclusion,
            });
            Answer {
                operation: None,
                status: 204,
                body: None,
                link: None,
            }
        }
        ("GET", ["actions", "workflows", file, "runs"]) => {
            let Some((workflow_id, _)) = repo.workflows.get(*file) else {
                return Answer::not_found();
            };
            let event = query(req, "event");
            let branch = query(req, "branch");
            let created = query(req, "created").and_then(|c| {
                let at = c.strip_prefix(">=")?;
                DateTime::parse_from_rfc3339(at)
                    .ok()
                    .map(|d| d.with_timezone(&Utc))
            });
            let mut runs: Vec<&FakeRun> = repo
                .runs
                .iter()
                .filter(|r| r.workflow_file == *file)
                .filter(|r| event.as_deref().is_none_or(|e| e == r.event))
                .filter(|r| branch.as_deref().is_none_or(|b| b == r.branch))
                .filter(|r| created.is_none_or(|c| r.created_at >= c))
                .collect();
            runs.sort_by(|a, b| (b.created_at, b.id).cmp(&(a.created_at, a.id)));
            let all: Vec<Value> = runs
                .iter()
                .map(|r| run_body(&full, *workflow_id, r))
                .collect();
            let total = all.len();
            listing(
                state,
                req,
                &all,
                move |items| json!({"total_count": total, "workflow_runs": items}),
            )
        }
        ("GET", ["actions", "runs", id]) => {
            let id = id.parse::<u64>().unwrap_or(0);
            let workflows = repo.workflows.clone();
            let Some(run) = repo.runs.iter_mut().find(|r| r.id == id) else {
                return Answer::not_found();
            };
            let workflow_id = workflows.get(&run.workflow_file).map_or(1, |w| w.0);
            let body = run_body(&full, workflow_id, run);
            // Each GET moves the run one step: queued → in_progress → completed.
            match run.status {
                "queued" => run.status = "in_progress",
                "in_progress" => {
                    run.status = "completed";
                    run.conclusion = Some(run.ends.clone());
                }
                _ => {}
            }
            Answer::new(200, body)
        }
        _ => Answer::not_found(),
    }
}

/// A listing's page of `all`, its body made by `wrap`.
fn listing(
    state: &State,
    req: &Request,
    all: &[Value],
    wrap: impl FnOnce(Vec<Value>) -> Value,
) -> Answer {
    let (items, link) = page(state, req, all);
    Answer {
        operation: None,
        status: 200,
        body: Some(wrap(items)),
        link,
    }
}

fn comment_body(repo: &str, pr: u64, c: &FakeComment) -> Value {
    bodies::comment(&CommentView {
        repo,
        pr,
        id: c.id,
        author: &c.author,
        body: &c.body,
        created_at: c.created_at,
        updated_at: c.updated_at,
    })
}

fn run_body(repo: &str, workflow_id: u64, r: &FakeRun) -> Value {
    bodies::run(&RunView {
        repo,
        id: r.id,
        workflow_id,
        workflow_file: &r.workflow_file,
        branch: &r.branch,
        event: &r.event,
        status: r.status,
        conclusion: r.conclusion.as_deref(),
        created_at: r.created_at,
        actor: "octocat",
    })
}
