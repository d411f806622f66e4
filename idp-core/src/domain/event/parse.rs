//! Parsing `(event name, payload bytes)` into a [`Trigger`]: only the fields idp reads are
//! deserialized, and every malformed payload is a typed [`EventError`].

use super::{
    Branch, CommitSha, EventError, IgnoredReason, PrAction, PullRequest, Repository, Trigger,
    check_ref_name, shown,
};

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize)]
struct RawRepo {
    full_name: Option<String>,
    default_branch: Option<String>,
}

#[derive(Deserialize)]
struct RawUser {
    login: Option<String>,
}

#[derive(Deserialize)]
struct RawPusher {
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawPush {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    after: Option<String>,
    deleted: Option<bool>,
    repository: Option<RawRepo>,
    sender: Option<RawUser>,
    pusher: Option<RawPusher>,
}

#[derive(Deserialize)]
struct RawDelete {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    ref_type: Option<String>,
    repository: Option<RawRepo>,
    sender: Option<RawUser>,
}

#[derive(Deserialize)]
struct RawPrSide {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    sha: Option<String>,
    repo: Option<RawRepo>,
}

#[derive(Deserialize)]
struct RawPr {
    number: Option<u64>,
    title: Option<String>,
    user: Option<RawUser>,
    head: Option<RawPrSide>,
    base: Option<RawPrSide>,
    merged: Option<bool>,
    merged_at: Option<String>,
}

#[derive(Deserialize)]
struct RawPullRequestEvent {
    action: Option<String>,
    number: Option<u64>,
    pull_request: Option<RawPr>,
    repository: Option<RawRepo>,
}

#[derive(Deserialize)]
struct RawSchedule {
    schedule: Option<String>,
    repository: Option<RawRepo>,
}

#[derive(Deserialize)]
struct RawDispatch {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    inputs: Option<BTreeMap<String, serde_json::Value>>,
    repository: Option<RawRepo>,
}

/// Turn a GitHub event (its name, e.g. `GITHUB_EVENT_NAME`, and its JSON payload, e.g. the
/// bytes of `GITHUB_EVENT_PATH`) into a [`Trigger`].
///
/// Events other than `push`, `delete`, `pull_request`, `pull_request_review`, `schedule` and
/// `workflow_dispatch` are
/// [`Trigger::Ignored`] without reading the payload. Never panics, whatever the bytes.
pub fn parse_event(event_name: &str, payload: &[u8]) -> Result<Trigger, EventError> {
    let cx = Cx { event: event_name };
    match event_name {
        "push" => parse_push(&cx, payload),
        "delete" => parse_delete(&cx, payload),
        "pull_request" => parse_pull_request(&cx, payload),
        "pull_request_review" => parse_pull_request_review(&cx, payload),
        "schedule" => parse_schedule(&cx, payload),
        "workflow_dispatch" => parse_dispatch(&cx, payload),
        other => Ok(Trigger::Ignored {
            reason: IgnoredReason::UnsupportedEvent {
                event: other.to_owned(),
            },
        }),
    }
}

/// Error-building context: the event name.
struct Cx<'a> {
    event: &'a str,
}

impl Cx<'_> {
    fn event(&self) -> String {
        shown(self.event)
    }

    fn decode<T: for<'de> Deserialize<'de>>(&self, payload: &[u8]) -> Result<T, EventError> {
        let mut de = serde_json::Deserializer::from_slice(payload);
        let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            self.json_error(e.into_inner(), Some(path))
        })?;
        de.end().map_err(|e| self.json_error(e, None))?;
        Ok(value)
    }

    fn json_error(&self, e: serde_json::Error, path: Option<String>) -> EventError {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = shown(full.strip_suffix(&suffix).unwrap_or(&full));
        match (e.classify(), path) {
            (serde_json::error::Category::Data, Some(path)) => EventError::WrongType {
                event: self.event(),
                path,
                message,
            },
            _ => EventError::InvalidJson {
                event: self.event(),
                line: e.line(),
                column: e.column(),
                message,
            },
        }
    }

    fn req<T>(&self, value: Option<T>, path: &str) -> Result<T, EventError> {
        value.ok_or_else(|| EventError::MissingField {
            event: self.event(),
            path: path.to_owned(),
        })
    }

    fn branch(&self, name: &str, path: &str) -> Result<Branch, EventError> {
        Branch::parse(name).map_err(|problem| EventError::InvalidRef {
            event: self.event(),
            path: path.to_owned(),
            value: shown(name),
            problem,
        })
    }

    fn repository(&self, repo: Option<&RawRepo>, path: &str) -> Result<Repository, EventError> {
        let field = format!("{path}.full_name");
        let name = self.req(repo.and_then(|r| r.full_name.as_deref()), &field)?;
        Repository::parse(name).ok_or_else(|| EventError::InvalidRepository {
            event: self.event(),
            path: field,
            value: shown(name),
        })
    }

    fn commit(&self, sha: Option<&str>, path: &str) -> Result<CommitSha, EventError> {
        let sha = self.req(sha, path)?;
        CommitSha::parse(sha).ok_or_else(|| EventError::InvalidCommit {
            event: self.event(),
            path: path.to_owned(),
            value: shown(sha),
        })
    }

    fn default_branch(&self, repo: Option<&RawRepo>) -> Result<Option<Branch>, EventError> {
        repo.and_then(|r| r.default_branch.as_deref())
            .map(|b| self.branch(b, "repository.default_branch"))
            .transpose()
    }
}

fn parse_push(cx: &Cx<'_>, payload: &[u8]) -> Result<Trigger, EventError> {
    let raw: RawPush = cx.decode(payload)?;
    let git_ref = cx.req(raw.git_ref.as_deref(), "ref")?;
    if let Some(tag) = git_ref.strip_prefix("refs/tags/") {
        return Ok(Trigger::Ignored {
            reason: IgnoredReason::TagPush {
                tag: tag.to_owned(),
            },
        });
    }
    let Some(name) = git_ref.strip_prefix("refs/heads/") else {
        return Ok(Trigger::Ignored {
            reason: IgnoredReason::OtherRef {
                git_ref: git_ref.to_owned(),
            },
        });
    };
    let branch = cx.branch(name, "ref")?;
    let repository = cx.repository(raw.repository.as_ref(), "repository")?;
    let actor = cx.req(
        raw.sender
            .and_then(|s| s.login)
            .or_else(|| raw.pusher.and_then(|p| p.name)),
        "sender.login",
    )?;
    if raw.deleted == Some(true) {
        return Ok(Trigger::BranchDeleted {
            repository,
            branch,
            actor,
        });
    }
    let default_branch = cx.default_branch(raw.repository.as_ref())?;
    let is_default = match &default_branch {
        Some(default) => *default == branch,
        None => matches!(branch.as_str(), "main" | "master"),
    };
    if is_default {
        return Ok(Trigger::Ignored {
            reason: IgnoredReason::DefaultBranch { branch },
        });
    }
    let commit = cx.commit(raw.after.as_deref(), "after")?;
    Ok(Trigger::Push {
        repository,
        branch,
        commit,
        actor,
        default_branch,
    })
}

fn parse_delete(cx: &Cx<'_>, payload: &[u8]) -> Result<Trigger, EventError> {
    let raw: RawDelete = cx.decode(payload)?;
    let git_ref = cx.req(raw.git_ref.as_deref(), "ref")?;
    let ref_type = cx.req(raw.ref_type.as_deref(), "ref_type")?;
    match ref_type {
        "branch" => {}
        "tag" => {
            return Ok(Trigger::Ignored {
                reason: IgnoredReason::TagDeleted {
                    tag: git_ref.to_owned(),
                },
            });
        }
        other => {
            return Ok(Trigger::Ignored {
                reason: IgnoredReason::OtherRefType {
                    ref_type: other.to_owned(),
                },
            });
        }
    }
    // The `delete` event carries the short name; accept a full ref too.
    let name = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
    let branch = cx.branch(name, "ref")?;
    let repository = cx.repository(raw.repository.as_ref(), "repository")?;
    let actor = cx.req(raw.sender.and_then(|s| s.login), "sender.login")?;
    Ok(Trigger::BranchDeleted {
        repository,
        branch,
        actor,
    })
}

fn parse_pull_request(cx: &Cx<'_>, payload: &[u8]) -> Result<Trigger, EventError> {
    let raw: RawPullRequestEvent = cx.decode(payload)?;
    let action = cx.req(raw.action.as_deref(), "action")?;
    let action = match action {
        "opened" => Some(PrAction::Opened),
        "synchronize" => Some(PrAction::Synchronize),
        "reopened" => Some(PrAction::Reopened),
        "labeled" => Some(PrAction::Labeled),
        "closed" => None,
        other => {
            return Ok(Trigger::Ignored {
                reason: IgnoredReason::PullRequestAction {
                    action: other.to_owned(),
                },
            });
        }
    };
    let pr = cx.req(raw.pull_request, "pull_request")?;
    let number = cx.req(raw.number, "number")?;
    let (pr_view, merged) = pull_request_view(cx, pr, number, raw.repository.as_ref())?;
    Ok(match action {
        Some(action) => Trigger::PullRequest {
            action,
            pr: pr_view,
        },
        None => Trigger::PullRequestClosed {
            merged,
            pr: pr_view,
        },
    })
}

/// A `pull_request_review`: a `submitted` review may approve a waiting preview; an edited or
/// dismissed one changes nothing here (a dismissal is seen by the next evaluation).
fn parse_pull_request_review(cx: &Cx<'_>, payload: &[u8]) -> Result<Trigger, EventError> {
    let raw: RawPullRequestEvent = cx.decode(payload)?;
    let action = cx.req(raw.action.as_deref(), "action")?;
    if action != "submitted" {
        return Ok(Trigger::Ignored {
            reason: IgnoredReason::PullRequestAction {
                action: format!("review_{action}"),
            },
        });
    }
    let pr = cx.req(raw.pull_request, "pull_request")?;
    let number = cx.req(raw.number.or(pr.number), "pull_request.number")?;
    let (pr_view, _) = pull_request_view(cx, pr, number, raw.repository.as_ref())?;
    Ok(Trigger::PullRequest {
        action: PrAction::Reviewed,
        pr: pr_view,
    })
}

/// The pull request of an event, and whether it was merged.
fn pull_request_view(
    cx: &Cx<'_>,
    pr: RawPr,
    number: u64,
    repository: Option<&RawRepo>,
) -> Result<(PullRequest, bool), EventError> {
    let head = cx.req(pr.head, "pull_request.head")?;
    let base = cx.req(pr.base, "pull_request.base")?;
    let branch = cx.branch(
        cx.req(head.git_ref.as_deref(), "pull_request.head.ref")?,
        "pull_request.head.ref",
    )?;
    let base_branch = cx.branch(
        cx.req(base.git_ref.as_deref(), "pull_request.base.ref")?,
        "pull_request.base.ref",
    )?;
    let head_sha = cx.commit(head.sha.as_deref(), "pull_request.head.sha")?;
    let repository = cx.repository(repository, "repository")?;
    let base_repository = cx.repository(base.repo.as_ref(), "pull_request.base.repo")?;
    let head_repository = head
        .repo
        .as_ref()
        .map(|r| cx.repository(Some(r), "pull_request.head.repo"))
        .transpose()?;
    let from_fork = head_repository.as_ref() != Some(&base_repository);
    let pr_view = PullRequest {
        number,
        branch,
        head_sha,
        repository,
        head_repository,
        author: cx.req(pr.user.and_then(|u| u.login), "pull_request.user.login")?,
        title: cx.req(pr.title, "pull_request.title")?,
        base_branch,
        from_fork,
    };
    Ok((pr_view, pr.merged.unwrap_or(pr.merged_at.is_some())))
}

fn parse_schedule(cx: &Cx<'_>, payload: &[u8]) -> Result<Trigger, EventError> {
    let raw: RawSchedule = cx.decode(payload)?;
    let repository = raw
        .repository
        .as_ref()
        .map(|r| cx.repository(Some(r), "repository"))
        .transpose()?;
    Ok(Trigger::Schedule {
        cron: raw.schedule,
        repository,
    })
}

fn parse_dispatch(cx: &Cx<'_>, payload: &[u8]) -> Result<Trigger, EventError> {
    let raw: RawDispatch = cx.decode(payload)?;
    let git_ref = cx.req(raw.git_ref, "ref")?;
    check_ref_name(&git_ref).map_err(|problem| EventError::InvalidRef {
        event: cx.event(),
        path: "ref".to_owned(),
        value: shown(&git_ref),
        problem,
    })?;
    let repository = cx.repository(raw.repository.as_ref(), "repository")?;
    let mut inputs = BTreeMap::new();
    for (key, value) in raw.inputs.unwrap_or_default() {
        let text = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                return Err(EventError::WrongType {
                    event: cx.event(),
                    path: format!("inputs.{}", shown(&key)),
                    message: "expected a string, a boolean or a number".to_owned(),
                });
            }
        };
        inputs.insert(key, text);
    }
    Ok(Trigger::Dispatch {
        repository,
        git_ref,
        inputs,
    })
}
