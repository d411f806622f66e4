//! The GitHub [`Forge`]: pull-request comments, commit statuses and workflow runs over the REST
//! API, with octocrab as the HTTP client.
//! Long because every operation of the port is one request shape here, with its paging.
//!
//! Works with github.com and GitHub Enterprise Server (`GITHUB_API_URL`, e.g.
//! `https://ghe.example.com/api/v3`). Every request goes through `request::send`, which respects
//! GitHub's primary and secondary rate limits (`retry-after`, `x-ratelimit-remaining: 0` until
//! `x-ratelimit-reset`), retries 5xx answers and dropped connections with exponential backoff,
//! and caps both the retries and the total wait ([`RetryPolicy`]). 404 and 422 become
//! [`ForgeError::NotFound`] and [`ForgeError::Unprocessable`] with GitHub's message.
//!
//! Listings (comments, pull requests, workflow runs) follow the `Link` header's `rel="next"` pages
//! on the configured API host only, so the token is never sent elsewhere.
//!
//! A pull-request comment is edited only if idp's own identity wrote it and it starts with the
//! marker. The identity is the token's login (`GET /user`), learned once per forge and shared by
//! its clones; an Actions or installation token, for which `GET /user` answers 403 "Resource not
//! accessible by integration", writes as `github-actions[bot]` ([`GitHubForge::with_identity`]
//! names another app's bot).
//!
//! The token is a [`Secret`]: it is handed to octocrab once and never formatted; `Debug` of
//! every type here shows `****`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::SubsecRound;
use octocrab::Octocrab;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::json;

use tokio::sync::OnceCell;

use crate::domain::event::{Branch, CommitSha, Repository};
use crate::ports::forge::{
    ACTIONS_BOT_LOGIN, LabelEvent, Review, ReviewState, fit_comment, fit_status_description,
    is_own_marked_comment, ref_candidates, short_ref,
};
use crate::ports::{
    Clock, CommentRef, CommitStatus, DispatchRef, Forge, ForgeError, PrRef, RunState, SystemClock,
};
use crate::secret::Secret;

pub mod oauth;
mod request;
mod wire;

pub use request::RetryPolicy;
use request::{Method, send};
use wire::{
    Comment, GitRef, GitTag, IssueEvent, Pull, PullReview, Run, Runs, TeamMembership, User, runs_of,
};

/// github.com's REST API.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// How long to wait for a connection to GitHub.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one answer may take.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Items read per page: GitHub's maximum.
const PER_PAGE: u32 = 100;
/// The most pages one listing reads (10,000 items).
const MAX_PAGES: u32 = 100;

/// Where GitHub is and how to authenticate.
#[derive(Clone)]
pub struct GitHubConfig {
    /// The REST API base URL, without a trailing `/` (default [`DEFAULT_API_URL`]).
    pub api_url: String,
    /// The token (a fine-grained or classic personal access token, or the workflow's
    /// `GITHUB_TOKEN`); `None` sends anonymous requests.
    pub token: Option<Secret<String>>,
    /// Retries and waits.
    pub retry: RetryPolicy,
}

impl fmt::Debug for GitHubConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubConfig")
            .field("api_url", &self.api_url)
            .field("token", &self.token.as_ref().map(|_| "****"))
            .field("retry", &self.retry)
            .finish()
    }
}

impl GitHubConfig {
    /// github.com (or `api_url`) with `token`.
    pub fn new(api_url: impl Into<String>, token: Option<Secret<String>>) -> Self {
        Self {
            api_url: api_url.into().trim_end_matches('/').to_owned(),
            token,
            retry: RetryPolicy::default(),
        }
    }

    /// The same configuration with `retry`.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

/// The GitHub forge.
#[derive(Clone)]
pub struct GitHubForge {
    client: Octocrab,
    api_url: String,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    /// The login comments are written as, once known.
    identity: Arc<OnceCell<String>>,
}

impl fmt::Debug for GitHubForge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubForge")
            .field("api_url", &self.api_url)
            .field("retry", &self.retry)
            .field("identity", &self.identity.get())
            .finish_non_exhaustive()
    }
}

/// Everything but RFC 3986's unreserved characters is percent-encoded in paths and queries.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `value` as one path segment or query value.
fn seg(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

fn backend(source: impl std::error::Error + Send + Sync + 'static) -> ForgeError {
    ForgeError::Backend {
        backend: "github",
        source: Box::new(source),
    }
}

impl GitHubForge {
    /// A forge for `cfg`, on the system clock (used only when GitHub sends no `Date` header).
    ///
    /// Nothing is sent yet: a wrong token shows on the first call as
    /// [`ForgeError::Unauthorized`].
    pub fn new(cfg: &GitHubConfig) -> Result<Self, ForgeError> {
        let mut builder = Octocrab::builder()
            .base_uri(cfg.api_url.as_str())
            .map_err(backend)?
            .set_connect_timeout(Some(CONNECT_TIMEOUT))
            .set_read_timeout(Some(READ_TIMEOUT));
        if let Some(token) = &cfg.token {
            builder = builder.personal_token(token.expose().clone());
        }
        Ok(Self {
            client: builder.build().map_err(backend)?,
            api_url: cfg.api_url.clone(),
            retry: cfg.retry,
            clock: Arc::new(SystemClock),
            identity: Arc::new(OnceCell::new()),
        })
    }

    /// The same forge on another clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same forge writing as `login` (a GitHub App's `<app-slug>[bot]`), without asking
    /// `GET /user`.
    #[must_use]
    pub fn with_identity(mut self, login: impl Into<String>) -> Self {
        self.identity = Arc::new(OnceCell::new_with(Some(login.into())));
        self
    }

    /// The login this forge's comments are written as: the token's user, or
    /// `github-actions[bot]` for a token `GET /user` refuses as an integration's.
    async fn identity(&self) -> Result<&str, ForgeError> {
        let login = self
            .identity
            .get_or_try_init(|| async {
                let url = format!("{}/user", self.api_url);
                match self.get(&url, "the authenticated user").await {
                    Ok(answer) => Ok(answer.json::<User>()?.login),
                    Err(ForgeError::Unauthorized { message })
                        if message.contains("not accessible by integration") =>
                    {
                        Ok(ACTIONS_BOT_LOGIN.to_owned())
                    }
                    Err(error) => Err(error),
                }
            })
            .await?;
        Ok(login)
    }

    fn url(&self, repo: &Repository, path: &str) -> String {
        format!(
            "{}/repos/{}/{}/{path}",
            self.api_url,
            seg(repo.owner()),
            seg(repo.name())
        )
    }

    async fn get(&self, url: &str, what: &str) -> Result<request::Answer, ForgeError> {
        send(&self.client, &self.retry, Method::Get, url, None, what).await
    }

    async fn write(
        &self,
        method: Method,
        url: &str,
        body: &serde_json::Value,
        what: &str,
    ) -> Result<request::Answer, ForgeError> {
        send(&self.client, &self.retry, method, url, Some(body), what).await
    }

    /// Only follow `Link` URLs on the configured API host, so the token is never sent elsewhere.
    fn follow(&self, next: Option<String>) -> Option<String> {
        next.filter(|n| n.starts_with(&format!("{}/", self.api_url)))
    }

    /// The pages of a listing starting at `url`, read one at a time.
    fn pages<'a>(&'a self, url: String, what: &'a str) -> Pages<'a> {
        Pages {
            forge: self,
            next: Some(url),
            read: 0,
            what,
        }
    }

    async fn runs(
        &self,
        repo: &Repository,
        workflow_file: &str,
        query: &str,
    ) -> Result<request::Answer, ForgeError> {
        let url = self.url(
            repo,
            &format!("actions/workflows/{}/runs?{query}", seg(workflow_file)),
        );
        self.get(&url, &format!("workflow `{workflow_file}` in `{repo}`"))
            .await
    }
}

/// A listing read page by page along its `Link` headers, up to [`MAX_PAGES`].
struct Pages<'a> {
    forge: &'a GitHubForge,
    next: Option<String>,
    read: u32,
    what: &'a str,
}

impl Pages<'_> {
    /// The next page's items (`items` picks them out of the page's body), or `None` after the
    /// last page.
    async fn next<T>(
        &mut self,
        items: impl FnOnce(&request::Answer) -> Result<Vec<T>, ForgeError>,
    ) -> Result<Option<Vec<T>>, ForgeError> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        let answer = self.forge.get(&url, self.what).await?;
        self.read += 1;
        if self.read < MAX_PAGES {
            self.next = self.forge.follow(answer.next.clone());
        }
        items(&answer).map(Some)
    }
}

#[async_trait]
impl Forge for GitHubForge {
    async fn upsert_pr_comment(
        &self,
        repo: &Repository,
        pr: u64,
        marker: &str,
        body: &str,
    ) -> Result<CommentRef, ForgeError> {
        let body = fit_comment(marker, body);
        let what = format!("pull request #{pr} in `{repo}`");
        let first = self.url(repo, &format!("issues/{pr}/comments?per_page={PER_PAGE}"));
        let mut pages = self.pages(first, &what);
        let mut found = None;
        'pages: while let Some(comments) = pages.next(|a| a.json::<Vec<Comment>>()).await? {
            for comment in comments {
                let text = comment.body.as_deref().unwrap_or_default();
                // The identity is asked for only once a comment could be ours.
                if text.starts_with(marker)
                    && is_own_marked_comment(
                        comment.user.as_ref().map(|u| u.login.as_str()),
                        self.identity().await?,
                        text,
                        marker,
                    )
                {
                    found = Some(comment);
                    break 'pages;
                }
            }
        }
        let payload = json!({ "body": body });
        if let Some(existing) = found {
            let url = self.url(repo, &format!("issues/comments/{}", existing.id));
            let answer = self
                .write(
                    Method::Patch,
                    &url,
                    &payload,
                    &format!("comment {} in `{repo}`", existing.id),
                )
                .await?;
            let edited: Comment = answer.json()?;
            return Ok(CommentRef {
                id: edited.id,
                url: edited.html_url,
                created: false,
            });
        }
        let url = self.url(repo, &format!("issues/{pr}/comments"));
        let created: Comment = self
            .write(Method::Post, &url, &payload, &what)
            .await?
            .json()?;
        // The author of the comment just written is this forge's identity.
        if let Some(user) = &created.user {
            let _ = self.identity.set(user.login.clone());
        }
        Ok(CommentRef {
            id: created.id,
            url: created.html_url,
            created: true,
        })
    }

    async fn find_open_pr(
        &self,
        repo: &Repository,
        branch: &Branch,
    ) -> Result<Option<PrRef>, ForgeError> {
        let branch = short_ref(branch.as_str());
        let first = self.url(
            repo,
            &format!(
                "pulls?state=open&per_page={PER_PAGE}&head={}",
                seg(&format!("{}:{branch}", repo.owner()))
            ),
        );
        let what = format!("repository `{repo}`");
        // GitHub lists the newest first: the lowest number may be on the last page.
        let mut pages = self.pages(first, &what);
        let mut lowest: Option<Pull> = None;
        while let Some(pulls) = pages.next(|a| a.json::<Vec<Pull>>()).await? {
            for pull in pulls {
                let own = pull
                    .head
                    .repo
                    .as_ref()
                    .is_some_and(|r| r.full_name.eq_ignore_ascii_case(repo.as_str()));
                if own && lowest.as_ref().is_none_or(|l| pull.number < l.number) {
                    lowest = Some(pull);
                }
            }
        }
        Ok(lowest.map(|p| PrRef {
            number: p.number,
            url: p.html_url,
            head_sha: p.head.sha,
        }))
    }

    async fn set_commit_status(
        &self,
        repo: &Repository,
        sha: &CommitSha,
        status: &CommitStatus,
    ) -> Result<(), ForgeError> {
        let mut payload = json!({ "state": status.state.as_str(), "context": status.context });
        if let Some(url) = &status.target_url {
            payload["target_url"] = json!(url);
        }
        if let Some(description) = &status.description {
            payload["description"] = json!(fit_status_description(description));
        }
        let url = self.url(repo, &format!("statuses/{}", seg(sha.as_str())));
        self.write(
            Method::Post,
            &url,
            &payload,
            &format!("repository `{repo}`"),
        )
        .await?;
        Ok(())
    }

    async fn dispatch_workflow(
        &self,
        repo: &Repository,
        workflow_file: &str,
        git_ref: &str,
        inputs: &BTreeMap<String, String>,
    ) -> Result<DispatchRef, ForgeError> {
        let git_ref = short_ref(git_ref);
        // The server's time now, and the runs that exist now: the run this dispatch starts is
        // created later and is none of these. Runs come newest first; once a page reaches one
        // created before `dispatched_at`, the rest are left out by the `created` filter anyway.
        let what = format!("workflow `{workflow_file}` in `{repo}`");
        let first = self.url(
            repo,
            &format!(
                "actions/workflows/{}/runs?event=workflow_dispatch&branch={}&per_page={PER_PAGE}",
                seg(workflow_file),
                seg(git_ref)
            ),
        );
        let mut page = Some(self.get(&first, &what).await?);
        let dispatched_at = page
            .as_ref()
            .and_then(|p| p.date)
            .unwrap_or_else(|| self.clock.now())
            .trunc_subsecs(0);
        let mut earlier_runs = Vec::new();
        let mut read = 0;
        while let Some(answer) = page.take() {
            read += 1;
            let runs = runs_of(&answer)?;
            let reached_older = runs.iter().any(|r| r.created_at < dispatched_at);
            earlier_runs.extend(runs.iter().map(|r| r.id));
            if let Some(next) = self
                .follow(answer.next)
                .filter(|_| !reached_older && read < MAX_PAGES)
            {
                page = Some(self.get(&next, &what).await?);
            }
        }
        let url = self.url(
            repo,
            &format!("actions/workflows/{}/dispatches", seg(workflow_file)),
        );
        self.write(
            Method::Post,
            &url,
            &json!({ "ref": git_ref, "inputs": inputs }),
            &format!("workflow `{workflow_file}` in `{repo}`"),
        )
        .await?;
        Ok(DispatchRef {
            repo: repo.clone(),
            workflow_file: workflow_file.to_owned(),
            git_ref: git_ref.to_owned(),
            dispatched_at,
            earlier_runs,
        })
    }

    async fn find_dispatched_run(
        &self,
        dispatch: &DispatchRef,
    ) -> Result<Option<RunState>, ForgeError> {
        let created = format!(">={}", dispatch.dispatched_at.format("%Y-%m-%dT%H:%M:%SZ"));
        let git_ref = short_ref(&dispatch.git_ref);
        let workflow = &dispatch.workflow_file;
        let first = self.url(
            &dispatch.repo,
            &format!(
                "actions/workflows/{}/runs?event=workflow_dispatch&branch={}&created={}&per_page={PER_PAGE}",
                seg(workflow),
                seg(git_ref),
                seg(&created)
            ),
        );
        let what = format!("workflow `{workflow}` in `{}`", dispatch.repo);
        let earlier: BTreeSet<u64> = dispatch.earlier_runs.iter().copied().collect();
        let mut pages = self.pages(first, &what);
        let mut oldest: Option<Run> = None;
        while let Some(runs) = pages.next(runs_of).await? {
            for run in runs {
                let ours = run.event == "workflow_dispatch"
                    && run.created_at >= dispatch.dispatched_at
                    && !earlier.contains(&run.id)
                    && run.head_branch.as_deref().is_none_or(|b| b == git_ref);
                if ours
                    && oldest
                        .as_ref()
                        .is_none_or(|o| (run.created_at, run.id) < (o.created_at, o.id))
                {
                    oldest = Some(run);
                }
            }
        }
        Ok(oldest.map(Run::state))
    }

    async fn poll_run(&self, repo: &Repository, run_id: u64) -> Result<RunState, ForgeError> {
        let url = self.url(repo, &format!("actions/runs/{run_id}"));
        let run: Run = self
            .get(&url, &format!("workflow run {run_id} in `{repo}`"))
            .await?
            .json()?;
        Ok(run.state())
    }

    async fn latest_run_url(
        &self,
        repo: &Repository,
        workflow_file: &str,
    ) -> Result<Option<String>, ForgeError> {
        let runs: Runs = self.runs(repo, workflow_file, "per_page=1").await?.json()?;
        Ok(runs.workflow_runs.into_iter().next().map(|r| r.html_url))
    }

    async fn resolve_ref(&self, repo: &Repository, git_ref: &str) -> Result<CommitSha, ForgeError> {
        if let Some(sha) = CommitSha::parse(git_ref) {
            return Ok(sha);
        }
        let what = format!("ref `{git_ref}` in `{repo}`");
        // `GET /repos/{owner}/{repo}/git/ref/{ref}` takes `tags/v1`: the slashes stay, every
        // segment is encoded on its own.
        let path = |full: &str| full.split('/').map(seg).collect::<Vec<_>>().join("/");
        let mut found = None;
        for candidate in ref_candidates(git_ref) {
            // The endpoint takes the ref without its `refs/`.
            let short = candidate.strip_prefix("refs/").unwrap_or(&candidate);
            let url = self.url(repo, &format!("git/ref/{}", path(short)));
            match self.get(&url, &what).await {
                Ok(answer) => {
                    found = Some(answer.json::<GitRef>()?.object);
                    break;
                }
                Err(ForgeError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        let mut object = found.ok_or(ForgeError::NotFound { what: what.clone() })?;
        // An annotated tag points at a tag object; follow it (a tag of a tag too) to the commit.
        for _ in 0..4 {
            if object.kind != "tag" {
                break;
            }
            let url = self.url(repo, &format!("git/tags/{}", seg(&object.sha)));
            object = self.get(&url, &what).await?.json::<GitTag>()?.object;
        }
        if object.kind != "commit" {
            return Err(ForgeError::Unprocessable {
                message: format!("{what} names a `{}`, not a commit", object.kind),
            });
        }
        CommitSha::parse(&object.sha).ok_or_else(|| ForgeError::Unprocessable {
            message: format!("{what}: `{}` is not a commit id", object.sha.escape_debug()),
        })
    }

    async fn list_pr_reviews(&self, repo: &Repository, pr: u64) -> Result<Vec<Review>, ForgeError> {
        let what = format!("pull request #{pr} in `{repo}`");
        let first = self.url(repo, &format!("pulls/{pr}/reviews?per_page={PER_PAGE}"));
        let mut pages = self.pages(first, &what);
        let mut reviews = Vec::new();
        while let Some(page) = pages.next(|a| a.json::<Vec<PullReview>>()).await? {
            reviews.extend(page.into_iter().map(|r| Review {
                login: r.user.map(|u| u.login),
                state: ReviewState::from_github(&r.state),
                submitted_at: r.submitted_at,
            }));
        }
        Ok(reviews)
    }

    async fn list_label_events(
        &self,
        repo: &Repository,
        pr: u64,
    ) -> Result<Vec<LabelEvent>, ForgeError> {
        let what = format!("pull request #{pr} in `{repo}`");
        let first = self.url(repo, &format!("issues/{pr}/events?per_page={PER_PAGE}"));
        let mut pages = self.pages(first, &what);
        let mut events = Vec::new();
        while let Some(page) = pages.next(|a| a.json::<Vec<IssueEvent>>()).await? {
            for e in page {
                let added = match e.event.as_str() {
                    "labeled" => true,
                    "unlabeled" => false,
                    _ => continue,
                };
                let Some(label) = e.label else { continue };
                events.push(LabelEvent {
                    actor: e.actor.map(|u| u.login),
                    label: label.name,
                    added,
                    at: e.created_at,
                });
            }
        }
        events.sort_by_key(|e| e.at);
        Ok(events)
    }

    async fn is_team_member(
        &self,
        org: &str,
        team_slug: &str,
        login: &str,
    ) -> Result<bool, ForgeError> {
        let url = format!(
            "{}/orgs/{}/teams/{}/memberships/{}",
            self.api_url,
            seg(org),
            seg(team_slug),
            seg(login)
        );
        let what = format!("membership of `{login}` in team `{org}/{team_slug}`");
        match self.get(&url, &what).await {
            Ok(answer) => Ok(answer.json::<TeamMembership>()?.state == "active"),
            Err(ForgeError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
