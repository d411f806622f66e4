//! The fake's routes: one function per operation of GitHub's REST API it implements, over the
//! Long because every route the fake implements is one arm of one match over the shared state.
//! shared state.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use idp_core::ports::forge::ACTIONS_BOT_LOGIN;
use idp_core::ports::{Clock, SystemClock};
use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

use super::bodies::{self, CommentView, PullView, RunView, StatusView, error};
use super::oauth;
use super::{
    ACTIONS_TOKEN, FakeComment, FakeRun, FakeStatus, PAT, PAT_LOGIN, Pull, Served, State, lock,
};

pub(super) struct Responder(pub(super) Arc<Mutex<State>>);

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
        if let Some(web) = &answer.web {
            if let Some(location) = &web.location {
                template = template.insert_header("location", location.as_str());
            }
            if let Some(form) = &web.form {
                template =
                    template.set_body_raw(form.as_str(), "application/x-www-form-urlencoded");
            }
            // The web site's answers are not part of the REST API's description.
            return template;
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
pub(super) struct Answer {
    operation: Option<(&'static str, &'static str)>,
    status: u16,
    body: Option<Value>,
    link: Option<String>,
    /// Set for the web site's answers (the OAuth flow), which are no operation of the REST API.
    web: Option<Box<Web>>,
}

/// What only the web site's answers have.
#[derive(Default)]
struct Web {
    location: Option<String>,
    /// A form body instead of `body`.
    form: Option<String>,
}

impl Answer {
    pub(super) fn new(status: u16, body: Value) -> Self {
        Self {
            operation: None,
            status,
            body: Some(body),
            link: None,
            web: None,
        }
    }

    /// An answer of the web site.
    pub(super) fn web(status: u16, body: Option<Value>) -> Self {
        Self {
            body,
            web: Some(Box::default()),
            ..Self::new(status, Value::Null)
        }
    }

    /// A web site's redirect to `location`.
    pub(super) fn redirect(location: String) -> Self {
        Self {
            web: Some(Box::new(Web {
                location: Some(location),
                form: None,
            })),
            ..Self::web(302, None)
        }
    }

    /// An answer of the web site with `body`'s fields as a form.
    pub(super) fn form(status: u16, body: &Value) -> Self {
        Self {
            web: Some(Box::new(Web {
                location: None,
                form: Some(super::oauth::form_of(body)),
            })),
            ..Self::web(status, None)
        }
    }

    pub(super) fn not_found() -> Self {
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
const GIT_REF: &str = "/repos/{owner}/{repo}/git/ref/{ref}";
const GIT_TAG: &str = "/repos/{owner}/{repo}/git/tags/{tag_sha}";
const REVIEWS: &str = "/repos/{owner}/{repo}/pulls/{pull_number}/reviews";
const ISSUE_EVENTS: &str = "/repos/{owner}/{repo}/issues/{issue_number}/events";
const TEAM_MEMBERSHIP: &str = "/orgs/{org}/teams/{team_slug}/memberships/{username}";

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
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["login", "oauth", "authorize"]) => return state.oauth.authorize(req),
        ("POST", ["login", "oauth", "access_token"]) => return state.oauth.access_token(req),
        _ => {}
    }
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
        ("GET", ["user", "teams"]) => ("/user/teams", "get"),
        ("GET", ["user", "orgs"]) => ("/user/orgs", "get"),
        ("GET", ["repos", _, _, "issues", _, "comments"]) => (COMMENTS, "get"),
        ("POST", ["repos", _, _, "issues", _, "comments"]) => (COMMENTS, "post"),
        ("PATCH", ["repos", _, _, "issues", "comments", _]) => (COMMENT, "patch"),
        ("GET", ["repos", _, _, "pulls"]) => (PULLS, "get"),
        ("POST", ["repos", _, _, "statuses", _]) => (STATUSES, "post"),
        ("POST", ["repos", _, _, "actions", "workflows", _, "dispatches"]) => (DISPATCHES, "post"),
        ("GET", ["repos", _, _, "actions", "workflows", _, "runs"]) => (WORKFLOW_RUNS, "get"),
        ("GET", ["repos", _, _, "actions", "runs", _]) => (RUN, "get"),
        ("GET", ["repos", _, _, "git", "ref", _, ..]) => (GIT_REF, "get"),
        ("GET", ["repos", _, _, "git", "tags", _]) => (GIT_TAG, "get"),
        ("GET", ["repos", _, _, "pulls", _, "reviews"]) => (REVIEWS, "get"),
        ("GET", ["repos", _, _, "issues", _, "events"]) => (ISSUE_EVENTS, "get"),
        ("GET", ["orgs", _, "teams", _, "memberships", _]) => (TEAM_MEMBERSHIP, "get"),
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
    if let Some(login) = oauth::caller(state, req) {
        // A signed-in user's token reads who they are; it sees no repository here.
        return match segs {
            ["user", ..] => oauth::user(state, req, &login, segs),
            _ => Answer::not_found(),
        };
    }
    let login = match caller(state, req, write) {
        Ok(login) => login,
        Err(refused) => return refused,
    };
    if segs.first() == Some(&"user") {
        return if login == ACTIONS_BOT_LOGIN {
            Answer::new(403, error("error-not-accessible-by-integration.json", None))
        } else {
            oauth::user(state, req, login, segs)
        };
    }
    if let ["orgs", org, "teams", slug, "memberships", login] = segs {
        let key = (
            format!("{org}/{slug}").to_ascii_lowercase(),
            login.to_ascii_lowercase(),
        );
        // GitHub answers 404 without a body for a non-member (and for a team it cannot see).
        return if state.teams.contains(&key) {
            Answer::new(200, bodies::team_membership(org, slug, login))
        } else {
            Answer {
                body: None,
                ..Answer::not_found()
            }
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
        ("GET", ["pulls", n, "reviews"]) => {
            let Some(pull) = n
                .parse::<u64>()
                .ok()
                .and_then(|n| repo.pulls.iter().find(|p| p.number == n))
            else {
                return Answer::not_found();
            };
            let all: Vec<Value> = pull
                .reviews
                .iter()
                .map(|r| bodies::review(&full, pull.number, r))
                .collect();
            listing(state, req, &all, |items| json!(items))
        }
        ("GET", ["issues", n, "events"]) => {
            let Some(pull) = n
                .parse::<u64>()
                .ok()
                .and_then(|n| repo.pulls.iter().find(|p| p.number == n))
            else {
                return Answer::not_found();
            };
            let all: Vec<Value> = pull
                .label_events
                .iter()
                .map(|e| bodies::label_event(&full, e))
                .collect();
            listing(state, req, &all, |items| json!(items))
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
            pulls.sort_by_key(|p| std::cmp::Reverse(p.number));
            let all: Vec<Value> = pulls
                .iter()
                .map(|p| {
                    bodies::pull(&PullView {
                        repo: &full,
                        number: p.number,
                        head_repo: &p.head_repo,
                        branch: &p.branch,
                        head_sha: &p.head_sha,
                        closed_at: p.closed_at,
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
                body: None,
                ..Answer::new(204, Value::Null)
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
            runs.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
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
        ("GET", ["git", "ref", rest @ ..]) => {
            let name = rest.join("/");
            match repo.git_refs.get(&name) {
                Some((kind, sha)) => Answer::new(
                    200,
                    bodies::git_ref(&full, &format!("refs/{name}"), kind, sha),
                ),
                None => Answer::not_found(),
            }
        }
        ("GET", ["git", "tags", tag_sha]) => match repo.tags.get(*tag_sha) {
            Some((name, commit)) => Answer::new(200, bodies::git_tag(&full, tag_sha, name, commit)),
            None => Answer::not_found(),
        },
        _ => Answer::not_found(),
    }
}

/// A listing's page of `all`, its body made by `wrap`.
pub(super) fn listing(
    state: &State,
    req: &Request,
    all: &[Value],
    wrap: impl FnOnce(Vec<Value>) -> Value,
) -> Answer {
    let (items, link) = page(state, req, all);
    Answer {
        link,
        ..Answer::new(200, wrap(items))
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
