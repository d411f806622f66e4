//! The forges under test: the memory forge, and the GitHub forge against the GitHub fake
//! (`tests/github/fake`) with a personal access token and with the Actions token, each with a
//! [`ForgeSeed`] that writes and reads what the port itself does not. `forge_conformance!`
//! instantiates every rule of `suites/forge.rs` per forge, named `forges::<forge>::forge::<rule>`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use idp_core::adapters::memory::MemoryForge;
use idp_core::ports::{Clock, Forge, SystemClock};

/// What differs between forges.
#[derive(Debug, Clone)]
pub(crate) struct ForgeCaps {
    /// The token the forge sends, which no error may show.
    pub(crate) secret: Option<String>,
    /// How many items a listing page holds (the rules write more to reach later pages).
    pub(crate) page_size: usize,
    /// The forge's time when the test started.
    pub(crate) now: DateTime<Utc>,
}

/// A comment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeenComment {
    pub(crate) id: u64,
    pub(crate) author: String,
    pub(crate) body: String,
}

/// A commit status as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeenStatus {
    pub(crate) context: String,
    pub(crate) state: String,
    pub(crate) target_url: Option<String>,
    pub(crate) description: Option<String>,
}

/// A workflow run as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeenRun {
    pub(crate) id: u64,
    pub(crate) branch: String,
    pub(crate) inputs: std::collections::BTreeMap<String, String>,
}

/// Writes and reads the forge's data behind the port.
pub(crate) trait ForgeSeed: Send + Sync {
    /// The login the forge writes comments as.
    fn identity(&self) -> String;
    /// Opens pull request `number` from `branch` of `repo` itself at `sha`.
    fn open_pr(&self, repo: &str, number: u64, branch: &str, sha: &str);
    /// Posts a comment as `author`; its id.
    fn add_comment(&self, repo: &str, pr: u64, author: &str, body: &str) -> u64;
    /// The comments of pull request `pr`, oldest first.
    fn comments(&self, repo: &str, pr: u64) -> Vec<SeenComment>;
    /// The latest status of each context on `sha`, by context.
    fn latest_statuses(&self, repo: &str, sha: &str) -> Vec<SeenStatus>;
    /// Declares a workflow with a `workflow_dispatch` trigger taking `inputs`.
    fn add_workflow(&self, repo: &str, file: &str, inputs: &[&str]);
    /// Adds a finished run; its id.
    fn seed_run(&self, repo: &str, file: &str, branch: &str, event: &str, at: DateTime<Utc>)
    -> u64;
    /// Every run of `repo`.
    fn runs(&self, repo: &str) -> Vec<SeenRun>;
    /// Tags commit `sha` as `name` (annotated: a tag object with id `tag_sha`).
    fn add_tag(&self, repo: &str, name: &str, sha: &str, annotated: Option<&str>);
    /// Points branch `name` at commit `sha`.
    fn add_branch(&self, repo: &str, name: &str, sha: &str);
    /// Lets the token read but not write from now on.
    fn read_only_token(&self);
    /// Makes the token invalid from now on.
    fn revoke_token(&self);
    /// Fails the test if the forge sent a request its backend does not implement.
    fn check(&self);
}

/// A fresh forge for one test.
pub(crate) struct ForgeFixture {
    pub(crate) forge: Arc<dyn Forge>,
    pub(crate) seed: Arc<dyn ForgeSeed>,
    pub(crate) caps: ForgeCaps,
}

fn latest(mut all: Vec<SeenStatus>) -> Vec<SeenStatus> {
    let mut latest: Vec<SeenStatus> = Vec::new();
    while let Some(status) = all.pop() {
        if !latest.iter().any(|s| s.context == status.context) {
            latest.push(status);
        }
    }
    latest.sort_by(|a, b| a.context.cmp(&b.context));
    latest
}

// === memory ===

struct MemorySeed(Arc<MemoryForge>);

impl ForgeSeed for MemorySeed {
    fn identity(&self) -> String {
        self.0.identity()
    }
    fn open_pr(&self, repo: &str, number: u64, branch: &str, sha: &str) {
        self.0.open_pr(repo, number, branch, sha);
    }
    fn add_comment(&self, repo: &str, pr: u64, author: &str, body: &str) -> u64 {
        self.0
            .add_comment(repo, pr, author, body)
            .expect("an open pull request")
    }
    fn comments(&self, repo: &str, pr: u64) -> Vec<SeenComment> {
        self.0
            .comments(repo, pr)
            .into_iter()
            .map(|c| SeenComment {
                id: c.id,
                author: c.author,
                body: c.body,
            })
            .collect()
    }
    fn latest_statuses(&self, repo: &str, sha: &str) -> Vec<SeenStatus> {
        latest(
            self.0
                .statuses()
                .into_iter()
                .filter(|s| s.repo == repo && s.sha == sha)
                .map(|s| SeenStatus {
                    context: s.status.context,
                    state: s.status.state.as_str().to_owned(),
                    target_url: s.status.target_url,
                    description: s.status.description,
                })
                .collect(),
        )
    }
    fn add_workflow(&self, repo: &str, file: &str, inputs: &[&str]) {
        self.0.add_workflow(repo, file, inputs);
    }
    fn seed_run(
        &self,
        repo: &str,
        file: &str,
        branch: &str,
        event: &str,
        at: DateTime<Utc>,
    ) -> u64 {
        self.0.seed_run(repo, file, branch, event, at)
    }
    fn runs(&self, repo: &str) -> Vec<SeenRun> {
        self.0
            .runs()
            .into_iter()
            .filter(|r| r.repo == repo)
            .map(|r| SeenRun {
                id: r.state.id,
                branch: r.git_ref,
                inputs: r.inputs,
            })
            .collect()
    }
    fn add_tag(&self, repo: &str, name: &str, sha: &str, _annotated: Option<&str>) {
        self.0.set_ref(repo, &format!("refs/tags/{name}"), sha);
    }
    fn add_branch(&self, repo: &str, name: &str, sha: &str) {
        self.0.set_ref(repo, &format!("refs/heads/{name}"), sha);
    }
    fn read_only_token(&self) {
        self.0.set_read_only(true);
    }
    fn revoke_token(&self) {
        self.0.revoke_token();
    }
    fn check(&self) {}
}

pub(crate) async fn memory() -> ForgeFixture {
    let forge = Arc::new(MemoryForge::new());
    forge.add_repo("octo/app");
    ForgeFixture {
        forge: forge.clone(),
        seed: Arc::new(MemorySeed(forge)),
        caps: ForgeCaps {
            secret: None,
            page_size: 2,
            now: SystemClock.now(),
        },
    }
}

// === GitHub, on the fake ===

#[cfg(feature = "github")]
mod on_fake {
    use std::sync::Arc;
    use std::time::Duration;

    use chrono::{DateTime, Utc};
    use idp_core::adapters::github::{GitHubConfig, GitHubForge, RetryPolicy};
    use idp_core::ports::forge::ACTIONS_BOT_LOGIN;
    use idp_core::ports::{Clock, SystemClock};
    use idp_core::secret::Secret;

    use super::{ForgeCaps, ForgeFixture, ForgeSeed, SeenComment, SeenRun, SeenStatus, latest};
    use crate::github_fake::{ACTIONS_TOKEN, GitHubFake, PAT, PAT_LOGIN};

    /// Small pages, so that every rule's listings span several.
    const PAGE: usize = 2;

    struct FakeSeed {
        fake: GitHubFake,
        token: &'static str,
        login: &'static str,
    }

    impl ForgeSeed for FakeSeed {
        fn identity(&self) -> String {
            self.login.to_owned()
        }
        fn open_pr(&self, repo: &str, number: u64, branch: &str, sha: &str) {
            self.fake.open_pr(repo, number, repo, branch, sha);
        }
        fn add_comment(&self, repo: &str, pr: u64, author: &str, body: &str) -> u64 {
            self.fake.add_comment(repo, pr, author, body)
        }
        fn comments(&self, repo: &str, pr: u64) -> Vec<SeenComment> {
            self.fake
                .comments(repo, pr)
                .into_iter()
                .map(|c| SeenComment {
                    id: c.id,
                    author: c.author,
                    body: c.body,
                })
                .collect()
        }
        fn latest_statuses(&self, repo: &str, sha: &str) -> Vec<SeenStatus> {
            latest(
                self.fake
                    .statuses(repo)
                    .into_iter()
                    .filter(|s| s.sha == sha)
                    .map(|s| SeenStatus {
                        context: s.context,
                        state: s.state,
                        target_url: s.target_url,
                        description: s.description,
                    })
                    .collect(),
            )
        }
        fn add_workflow(&self, repo: &str, file: &str, inputs: &[&str]) {
            self.fake.add_workflow(repo, file, inputs);
        }
        fn seed_run(
            &self,
            repo: &str,
            file: &str,
            branch: &str,
            event: &str,
            at: DateTime<Utc>,
        ) -> u64 {
            self.fake.seed_run(repo, file, branch, event, at)
        }
        fn runs(&self, repo: &str) -> Vec<SeenRun> {
            self.fake
                .runs(repo)
                .into_iter()
                .map(|r| SeenRun {
                    id: r.id,
                    branch: r.branch,
                    inputs: r.inputs,
                })
                .collect()
        }
        fn add_tag(&self, repo: &str, name: &str, sha: &str, annotated: Option<&str>) {
            self.fake.add_tag(repo, name, sha, annotated);
        }
        fn add_branch(&self, repo: &str, name: &str, sha: &str) {
            self.fake.add_branch(repo, name, sha);
        }
        fn read_only_token(&self) {
            self.fake.set_read_only(self.token, true);
        }
        fn revoke_token(&self) {
            self.fake.revoke(self.token);
        }
        fn check(&self) {
            let unexpected = self.fake.unexpected();
            assert!(unexpected.is_empty(), "unexpected requests: {unexpected:?}");
        }
    }

    async fn fixture(token: &'static str, login: &'static str) -> ForgeFixture {
        let fake = GitHubFake::start().await;
        fake.add_repo("octo/app");
        fake.set_page_size(PAGE);
        let cfg = GitHubConfig::new(fake.uri(), Some(Secret::new(token.to_owned()))).with_retry(
            RetryPolicy {
                max_retries: 2,
                initial_backoff: Duration::from_millis(5),
                max_total_wait: Duration::from_secs(2),
            },
        );
        let forge = GitHubForge::new(&cfg).expect("a GitHub forge");
        ForgeFixture {
            forge: Arc::new(forge),
            seed: Arc::new(FakeSeed { fake, token, login }),
            caps: ForgeCaps {
                secret: Some(token.to_owned()),
                page_size: PAGE,
                now: SystemClock.now(),
            },
        }
    }

    /// A personal access token: the identity is `GET /user`'s login.
    pub(crate) async fn pat() -> ForgeFixture {
        fixture(PAT, PAT_LOGIN).await
    }

    /// The Actions token: `GET /user` is refused, comments are `github-actions[bot]`'s.
    pub(crate) async fn actions() -> ForgeFixture {
        fixture(ACTIONS_TOKEN, ACTIONS_BOT_LOGIN).await
    }
}

macro_rules! forge_conformance {
    ($adapter:ident, $factory:path) => {
        mod $adapter {
            forge_conformance!(@rules $factory;
                comment_upsert_creates_once_then_edits_the_same_comment,
                two_environments_keep_two_comments,
                a_marker_comment_by_someone_else_is_left_alone,
                idps_own_comment_not_starting_with_the_marker_is_not_adopted,
                the_marker_comment_is_found_past_the_first_pages,
                commit_status_is_set_and_replaced_by_context,
                the_open_pr_of_a_branch_is_the_lowest_numbered_on_any_page,
                a_dispatch_finds_its_own_run_and_polls_it_to_completion,
                the_dispatched_run_is_found_past_the_first_pages,
                a_full_ref_is_used_by_its_short_name,
                a_ref_resolves_to_the_commit_it_names,
                failures_are_the_ports_error_kinds_without_the_token,
            );
        }
    };
    (@rules $factory:path; $($test:ident),* $(,)?) => {
        mod forge {
            $(
                #[tokio::test]
                async fn $test() {
                    let f = $factory().await;
                    $crate::suites::forge::$test(f.forge.clone(), f.seed.clone(), &f.caps).await;
                    f.seed.check();
                }
            )*
        }
    };
}

forge_conformance!(memory, crate::forges::memory);
#[cfg(feature = "github")]
forge_conformance!(github_pat, crate::forges::on_fake::pat);
#[cfg(feature = "github")]
forge_conformance!(github_actions_token, crate::forges::on_fake::actions);
