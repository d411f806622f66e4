//! The GitHub [`Forge`]: pull-request comments, commit statuses and workflow runs over the REST
//! API, with octocrab as the HTTP client.
//!
//! Works with github.com and GitHub Enterprise Server (`GITHUB_API_URL`, e.g.
//! `https://ghe.example.com/api/v3`). Every request goes through `request::send`, which respects
//! GitHub's primary and secondary rate limits (`retry-after`, `x-ratelimit-remaining: 0` until
//! `x-ratelimit-reset`), retries 5xx answers and dropped connections with exponential backoff,
//! and caps both the retries and the total wait ([`RetryPolicy`]). 404 and 422 become
//! [`ForgeError::NotFound`] and [`ForgeError::Unprocessable`] with GitHub's message.
//!
//! The token is a [`Secret`]: it is handed to octocrab once and never formatted; `Debug` of
//! every type here shows `****`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use octocrab::Octocrab;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::json;

use crate::domain::event::{Branch, CommitSha, Repository};
use crate::ports::forge::{fit_comment, fit_status_description};
use crate::ports::{
    Clock, CommentRef, CommitStatus, DispatchRef, Forge, ForgeError, PrRef, RunState, RunStatus,
    SystemClock,
};
use crate::secret::Secret;
use crate::setup::env_vars::{self, EnvVars};

mod request;

pub use request::RetryPolicy;
use request::{Method, send};

/// github.com's REST API.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// How long to wait for a connection to GitHub.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one answer may take.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Comments (and runs) read per page: GitHub's maximum.
const PER_PAGE: u32 = 100;
/// The most pages of comments searched for the marker (10,000 comments).
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

    /// From the environment: `GITHUB_API_URL` (default [`DEFAULT_API_URL`]) and the token from
    /// `GITHUB_TOKEN`, else `GH_TOKEN`.
    pub fn from_env() -> Self {
        let api_url =
            env_vars::get(EnvVars::GITHUB_API_URL).unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        let token = env_vars::get(EnvVars::GITHUB_TOKEN)
            .or_else(|| env_vars::get(EnvVars::GH_TOKEN))
            .map(Secret::new);
        Self::new(api_url, token)
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
}

impl fmt::Debug for GitHubForge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubForge")
            .field("api_url", &self.api_url)
            .field("retry", &self.retry)
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

#[derive(Debug, Deserialize)]
struct Comment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    html_url: String,
}

#[derive(Debug, Deserialize)]
struct PullHead {
    sha: String,
    #[serde(default)]
    repo: Option<PullHeadRepo>,
}

#[derive(Debug, Deserialize)]
struct PullHeadRepo {
    full_name: String,
}

#[derive(Debug, Deserialize)]
struct Pull {
    number: u64,
    html_url: String,
    head: PullHead,
}

#[derive(Debug, Deserialize)]
struct Run {
    id: u64,
    status: Option<String>,
    conclusion: Option<String>,
    html_url: String,
    created_at: DateTime<Utc>,
    #[serde(default)]
    event: String,
    #[serde(default)]
    head_branch: Option<String>,
}

impl Run {
    fn state(self) -> RunState {
        RunState {
            id: self.id,
            status: RunStatus::from_github(self.status.as_deref().unwrap_or("queued")),
            conclusion: self.conclusion,
            html_url: self.html_url,
            created_at: self.created_at,
        }
    }
}

#[derive(Debug, Deserialize)]
struct Runs {
    workflow_runs: Vec<Run>,
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
        })
    }

    /// A forge configured from the environment ([`GitHubConfig::from_env`]).
    pub fn from_env() -> Result<Self, ForgeError> {
        Self::new(&GitHubConfig::from_env())
    }

    /// The same forge on another clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
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
        let mut next = Some(self.url(repo, &format!("issues/{pr}/comments?per_page={PER_PAGE}")));
        let mut pages = 0;
        let mut found = None;
        while let Some(url) = next.take() {
            pages += 1;
            let answer = self.get(&url, &what).await?;
            let comments: Vec<Comment> = answer.json()?;
            if let Some(c) = comments
                .into_iter()
                .find(|c| c.body.as_deref().is_some_and(|b| b.contains(marker)))
            {
                found = Some(c);
                break;
            }
            if pages < MAX_PAGES {
                next = self.follow(answer.next);
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
        let url = self.url(
            repo,
            &format!(
                "pulls?state=open&per_page={PER_PAGE}&head={}",
                seg(&format!("{}:{}", repo.owner(), branch.as_str()))
            ),
        );
        let pulls: Vec<Pull> = self
            .get(&url, &format!("repository `{repo}`"))
            .await?
            .json()?;
        Ok(pulls
            .into_iter()
            .filter(|p| {
                p.head
                    .repo
                    .as_ref()
                    .is_some_and(|r| r.full_name.eq_ignore_ascii_case(repo.as_str()))
            })
            .min_by_key(|p| p.number)
            .map(|p| PrRef {
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
        // The runs that exist now, and the server's time now: the run this dispatch starts is
        // created later and is none of these.
        let before = self
            .runs(
                repo,
                workflow_file,
                &format!(
                    "event=workflow_dispatch&branch={}&per_page={PER_PAGE}",
                    seg(git_ref)
                ),
            )
            .await?;
        let dispatched_at = before
            .date
            .unwrap_or_else(|| self.clock.now())
            .trunc_subsecs(0);
        let earlier_runs = before
            .json::<Runs>()?
            .workflow_runs
            .into_iter()
            .map(|r| r.id)
            .collect();
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
        let answer = self
            .runs(
                &dispatch.repo,
                &dispatch.workflow_file,
                &format!(
                    "event=workflow_dispatch&branch={}&created={}&per_page={PER_PAGE}",
                    seg(&dispatch.git_ref),
                    seg(&created)
                ),
            )
            .await?;
        let earlier: BTreeSet<u64> = dispatch.earlier_runs.iter().copied().collect();
        Ok(answer
            .json::<Runs>()?
            .workflow_runs
            .into_iter()
            .filter(|r| {
                r.event == "workflow_dispatch"
                    && r.created_at >= dispatch.dispatched_at
                    && !earlier.contains(&r.id)
                    && r.head_branch
                        .as_deref()
                        .is_none_or(|b| b == dispatch.git_ref)
            })
            .min_by_key(|r| (r.created_at, r.id))
            .map(Run::state))
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
}
