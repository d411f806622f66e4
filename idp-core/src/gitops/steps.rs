//! The GitOps path split into the steps of a CI workflow, for runners that apply templates
//! themselves (a GitHub Actions job running `tofu apply` between two idp steps).
//! Long because its tests walk each step's records through a whole deploy and destroy.
//!
//! [`crate::gitops::preview`] does the whole path in one process and holds the environment's
//! lease across the apply. A workflow cannot: its steps are separate processes and an apply can
//! outlast any lease. So the path is cut where the provisioner would run:
//!
//! 1. [`plan`]: read the metadata, decide ([`crate::domain::decide`]); with `begin`, re-decide
//!    under the lease on fresh metadata and write the new status (`provisioning`, `updating` or
//!    `destroying`) with compare-and-swap, plus the tfvars the template is applied with;
//! 2. the workflow applies (or destroys) the template;
//! 3. [`record`] stores the outputs and marks the environment `active` (or `failed`), or
//!    [`cleanup`] removes the environment's images, OpenTofu lock items and state objects and
//!    leaves the `destroyed` tombstone.
//!
//! A provision of a template that needs approval ([`crate::gitops::approval`]) that the pull
//! request does not carry yet is a no-op (`awaiting_approval`): the pull request is told (the
//! waiting comment and a `pending` status), and nothing is written.
//!
//! Two runs for one environment are serialised by the workflow's concurrency group; the
//! compare-and-swap and the short lease around each write keep a concurrent `idp` command from
//! being overwritten.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::budgets::guard;
use crate::domain::approval::Approval;
use crate::domain::config::Config;
pub use crate::domain::decide::Expect;
use crate::domain::decide::{self, Action, Decision, DispatchInputs, NoOpReason, decide_dispatch};
use crate::domain::event::Trigger;
use crate::domain::lifecycle::{Metadata, Source, Status};
use crate::domain::naming::EnvName;
use crate::domain::template::TemplateName;
use crate::domain::ttl::{self, Ttl};
use crate::error::{Error, Result};
use crate::gitops::approval::{self, Gate};
use crate::gitops::records::{self, Deployment};
use crate::platform::Platform;
use crate::ports::CommitState;
use crate::ports::provisioner::{Outputs, ProvisionRequest};
use crate::support::deploy;
use crate::support::lease::{self, Purpose};
use crate::support::notify;
use crate::support::report::Cleanup;
use crate::support::state::{self, Versioned};

/// What [`plan`] works on.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// The parsed event.
    pub trigger: Trigger,
    /// The repository's `.idp/config.yml` (or the defaults).
    pub config: Config,
    /// The image built for this commit; `None` runs the config's image.
    pub image: Option<String>,
    /// Who pushed (the owner of a new environment).
    pub owner: Option<String>,
    /// The kind of workflow asking; `None` accepts any action.
    pub expect: Option<Expect>,
    /// Write the new status and tfvars (the step right before the apply); `false` only decides.
    pub begin: bool,
}

/// What the workflow should do next.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The decision (environment, action, reason).
    pub decision: Decision,
    /// The template to apply or destroy.
    pub template: Option<TemplateName>,
    /// What applies it: `opentofu` (the workflow runs `tofu`) or `kubernetes` (the workflow
    /// calls [`apply`] / [`destroy`]); see [`TemplateName::provisioner`].
    pub provisioner: &'static str,
    /// The region of the environment.
    pub region: String,
    /// The OpenTofu state key (`environments/{name}/terraform.tfstate`).
    pub state_key: Option<String>,
    /// The environment's record (after `begin`'s write, when it wrote).
    pub environment: Option<Metadata>,
    /// The variables to apply (or destroy) the template with.
    pub tfvars: Option<Map<String, Value>>,
}

/// How many times [`plan`] re-reads and re-decides after losing a compare-and-swap.
const BEGIN_ATTEMPTS: usize = 8;

/// Decide what the trigger means and, with `begin`, record the start of the work.
pub async fn plan(platform: &Platform, req: PlanRequest) -> Result<Plan> {
    let mut config = req.config.clone();
    let env = match &req.trigger {
        Trigger::Dispatch { inputs, .. } => {
            let inputs = DispatchInputs::from_inputs(inputs);
            let deploy = !matches!(req.expect, Some(Expect::Destroy));
            apply_dispatch_inputs(&mut config, &inputs, deploy)?;
            match inputs.environment_name.as_deref() {
                Some(name) => Some(EnvName::parse(name)?),
                None => None,
            }
        }
        other => decide::env_for(other).ok().flatten(),
    };
    let req = PlanRequest { config, ..req };
    let Some(env) = env else {
        let decision = decide_for(&req, None, None, platform.backend.clock.now())?;
        return Ok(empty_plan(platform, decision));
    };
    if !req.begin {
        let current = state::load(&*platform.backend.store, &env).await?;
        let decision = decide_for(
            &req,
            Some(&env),
            current.as_ref().map(|c| &c.meta),
            platform.backend.clock.now(),
        )?;
        let (decision, _) = gated(
            platform,
            &req,
            &env,
            decision,
            current.as_ref().map(|c| &c.meta),
        )
        .await?;
        return build_plan(platform, &req, decision, current.map(|c| c.meta)).await;
    }
    let backend = &platform.backend;
    let purpose = match req.expect {
        Some(Expect::Destroy) => Purpose::Destroy,
        _ => Purpose::Deploy,
    };
    let guard = lease::acquire(
        &backend.locks,
        &backend.clock,
        &env,
        purpose,
        &platform.settings.actor,
        platform.settings.lease_ttl,
        Some(platform.settings.lease_wait),
    )
    .await?;
    let result = begin_locked(platform, &req, &env).await;
    guard.release().await;
    result
}

/// `deploy`: whether the template is about to be applied (a destroy needs no schedule).
fn apply_dispatch_inputs(config: &mut Config, inputs: &DispatchInputs, deploy: bool) -> Result<()> {
    if let Some(template) = inputs.template.as_deref().filter(|t| !t.is_empty()) {
        config.template = TemplateName::new(template).ok_or_else(|| Error::Refused {
            reason: "invalid_template".to_owned(),
            message: format!(
                "input `template`: `{}` is not a template name; use one of {}",
                template.escape_debug(),
                crate::domain::template::BUILTIN_TEMPLATES.join(", ")
            ),
        })?;
        // The config was validated for its own template; a dispatched one must fit it too.
        let scheduled = config.template.as_str() == "scheduled-worker";
        match (scheduled, config.schedule_expression.is_some() || !deploy) {
            (true, false) => {
                return Err(Error::Refused {
                    reason: "invalid_template".to_owned(),
                    message: "input `template`: `scheduled-worker` needs a `schedule_expression`, \
                              and the repository's `.idp/config.yml` has none; add e.g. \
                              `schedule_expression: rate(1 hour)` to it (with \
                              `template: scheduled-worker`)"
                        .to_owned(),
                });
            }
            (false, true) if deploy => {
                return Err(Error::Refused {
                    reason: "invalid_template".to_owned(),
                    message: format!(
                        "input `template`: `{}` does not run on a schedule, but the repository's \
                         `.idp/config.yml` sets `schedule_expression`; dispatch \
                         `scheduled-worker`, or remove `schedule_expression`",
                        config.template
                    ),
                });
            }
            _ => {}
        }
    }
    if let Some(ttl) = inputs.ttl.as_deref().filter(|t| !t.is_empty()) {
        config.ttl = Ttl::parse(ttl)?;
    }
    Ok(())
}

async fn begin_locked(platform: &Platform, req: &PlanRequest, env: &EnvName) -> Result<Plan> {
    let store = &*platform.backend.store;
    for _ in 0..BEGIN_ATTEMPTS {
        let now = platform.backend.clock.now();
        let current = state::load(store, env).await?;
        let decision = decide_for(req, Some(env), current.as_ref().map(|c| &c.meta), now)?;
        let (decision, approved) = gated(
            platform,
            req,
            env,
            decision,
            current.as_ref().map(|c| &c.meta),
        )
        .await?;
        let source = Source::of(&req.trigger);
        let mut deployment = deployment(req, &source);
        deployment.approval = approved.as_ref();
        if matches!(
            decision.action,
            Action::Provision | Action::ExtendAndRedeploy
        ) && let Err(refused) = platform
            .settings
            .secret_allow_list
            .check(&req.config.secrets, source.repository.as_deref())
        {
            refused_secret(platform, req, env, &refused).await;
            return Err(refused.into());
        }
        if matches!(decision.action, Action::Provision)
            || (decision.action == Action::ExtendAndRedeploy && current.is_none())
        {
            let checked = deployment
                .check_budget(platform, env, current.as_ref().map(|c| &c.meta))
                .await;
            if let Err(error @ Error::BudgetExceeded { .. }) = &checked {
                refused_over_budget(platform, req, env, error).await;
            }
            checked?;
        }
        let written = match decision.action {
            Action::Provision => deployment.begin_provision(platform, env, current).await,
            Action::ExtendAndRedeploy => match current {
                Some(current) => deployment.begin_redeploy(platform, &current).await,
                None => deployment.begin_provision(platform, env, None).await,
            },
            Action::Destroy => match current {
                Some(current) => records::begin_destroy(platform, current).await,
                None => return build_plan(platform, req, decision, None).await,
            },
            _ => return build_plan(platform, req, decision, current.map(|c| c.meta)).await,
        };
        match written {
            Ok(saved) => {
                if approved.is_some() {
                    crate::environments::approve::consume(platform, env).await;
                }
                if matches!(
                    decision.action,
                    Action::Provision | Action::ExtendAndRedeploy
                ) {
                    // The workflow applies next: what an interrupted run left outside the
                    // state goes first (see `Provisioner::remove_orphans`).
                    let pr = deploy::request(platform, &saved.meta, &req.config)?;
                    remove_orphans(platform, &pr).await?;
                }
                let keys = state::keys(&saved.meta)?;
                let mut plan = build_plan(platform, req, decision, Some(saved.meta)).await?;
                if let Some(vars) = &plan.tfvars {
                    state::put_json(store, &keys.tfvars, &Value::Object(vars.clone())).await?;
                }
                plan.state_key = Some(keys.state);
                return Ok(plan);
            }
            Err(Error::Conflict { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::Conflict {
        name: env.to_string(),
    })
}

/// A workflow's deploy refused by a budget: the pull request's comment says why and the
/// environment's commit status fails (forge errors are logged; the step fails either way).
async fn refused_over_budget(platform: &Platform, req: &PlanRequest, env: &EnvName, error: &Error) {
    let mut notices = Vec::new();
    let repo = req.trigger.repository();
    let pr = match req.trigger.pr_number() {
        Some(number) => Some(number),
        None => notify::open_pr(platform, repo, req.trigger.branch(), &mut notices).await,
    };
    let sha = match &req.trigger {
        Trigger::PullRequestClosed { .. } => None,
        trigger => trigger.commit(),
    };
    let status = notify::env_status(
        env.as_str(),
        CommitState::Failure,
        None,
        "Over budget: no preview was created (see the pull request comment)".to_owned(),
    );
    notify::status(platform, repo, sha, status, &mut notices).await;
    guard::comment_refusal(platform, &req.trigger, pr, env, error, &mut notices).await;
    for notice in &notices {
        tracing::warn!("{notice}");
    }
}

/// The commit status and pull request comment of a plan refused for a secret outside the
/// repository's allow-list.
async fn refused_secret(
    platform: &Platform,
    req: &PlanRequest,
    env: &EnvName,
    refused: &crate::domain::secret_access::SecretNotAllowed,
) {
    let mut notices = Vec::new();
    let repo = req.trigger.repository();
    let pr = match req.trigger.pr_number() {
        Some(number) => Some(number),
        None => notify::open_pr(platform, repo, req.trigger.branch(), &mut notices).await,
    };
    let sha = req.trigger.commit();
    let status = notify::env_status(
        env.as_str(),
        CommitState::Failure,
        None,
        format!(
            "Secret not allowed: `{}` is outside this repository's allow-list",
            refused.key
        ),
    );
    notify::status(platform, repo, sha, status, &mut notices).await;
    crate::gitops::preview::comment_secret_refusal(
        platform,
        &req.trigger,
        pr,
        env,
        refused,
        &mut notices,
    )
    .await;
    for notice in &notices {
        tracing::warn!("{notice}");
    }
}

/// `decision` with the approval gate applied: a provision the pull request has not approved
/// becomes an `awaiting_approval` no-op, after the pull request is told; an approved one
/// carries the approval to record.
async fn gated(
    platform: &Platform,
    req: &PlanRequest,
    env: &EnvName,
    decision: Decision,
    current: Option<&Metadata>,
) -> Result<(Decision, Option<Approval>)> {
    let provisions = match decision.action {
        Action::Provision => true,
        Action::ExtendAndRedeploy => current.is_none(),
        _ => false,
    };
    if !provisions {
        return Ok((decision, None));
    }
    let repo = req.trigger.repository();
    let mut notices = Vec::new();
    let pr = match req.trigger.pr_number() {
        Some(pr) => Some(pr),
        None => notify::open_pr(platform, repo, req.trigger.branch(), &mut notices).await,
    };
    let gate = approval::check(
        platform,
        &req.config,
        env,
        repo,
        pr,
        req.trigger.actor(),
        current,
    )
    .await?;
    match gate {
        Gate::Open(approved) => Ok((decision, approved)),
        Gate::Wait {
            requirement,
            ignored,
        } => {
            approval::notify_waiting(
                platform,
                env,
                repo,
                req.trigger.commit(),
                pr,
                (&requirement, &ignored),
                &mut notices,
            )
            .await;
            for notice in &notices {
                tracing::warn!("{notice}");
            }
            Ok((
                Decision {
                    env: Some(env.clone()),
                    reason: approval::waiting_reason(env, &requirement),
                    action: Action::NoOp {
                        reason: NoOpReason::AwaitingApproval {
                            needed: requirement.who(),
                        },
                    },
                },
                None,
            ))
        }
    }
}

/// The decision for `req`, with the workflow's expectation applied.
fn decide_for(
    req: &PlanRequest,
    env: Option<&EnvName>,
    current: Option<&Metadata>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Decision> {
    let decision = match (&req.trigger, env) {
        (Trigger::Dispatch { .. }, Some(env)) => decide_dispatch(env, req.expect, current, now),
        (trigger, _) => decide::decide(trigger, current, now),
    };
    let mismatch = match (req.expect, &decision.action) {
        (Some(Expect::Deploy), Action::Destroy) => Some("a destroy"),
        (Some(Expect::Destroy), Action::Provision | Action::ExtendAndRedeploy) => Some("a deploy"),
        _ => None,
    };
    if let Some(what) = mismatch {
        return Err(Error::Refused {
            reason: "wrong_workflow".to_owned(),
            message: format!(
                "the `{}` event asks for {what}, which this workflow does not do: call the {} workflow for it",
                req.trigger.kind(),
                if what == "a destroy" {
                    "destroy"
                } else {
                    "provision"
                }
            ),
        });
    }
    Ok(decision)
}

fn empty_plan(platform: &Platform, decision: Decision) -> Plan {
    Plan {
        decision,
        template: None,
        provisioner: "opentofu",
        region: platform.settings.region.clone(),
        state_key: None,
        environment: None,
        tfvars: None,
    }
}

/// The plan for `decision`: the tfvars of the environment as it will be applied (deploys) or
/// as it was applied (destroys).
async fn build_plan(
    platform: &Platform,
    req: &PlanRequest,
    decision: Decision,
    meta: Option<Metadata>,
) -> Result<Plan> {
    let Some(env) = decision.env.clone() else {
        return Ok(empty_plan(platform, decision));
    };
    let now = platform.backend.clock.now();
    let source = Source::of(&req.trigger);
    let deployment = deployment(req, &source);
    let (template, tfvars, region, state_key) = match &decision.action {
        Action::Provision | Action::ExtendAndRedeploy => {
            let meta = match &meta {
                // Before `begin` wrote anything, show the record the deploy would write.
                Some(m)
                    if matches!(m.status, Status::Provisioning | Status::Updating) && req.begin =>
                {
                    m.clone()
                }
                Some(m) if !req.begin && decision.action == Action::ExtendAndRedeploy => {
                    let mut next = m.clone();
                    let ttl = platform.settings.ttl_policy.check(req.config.ttl)?;
                    next.expires_at = next.expires_at.max(ttl::expires_at(now, ttl));
                    next.apply_source(&source, Some(deployment.image()));
                    next
                }
                _ => deployment.new_record(platform, &env, now)?,
            };
            let pr = deploy::request(platform, &meta, &req.config)?;
            (
                Some(meta.template.clone()),
                Some(pr.tfvars),
                pr.region,
                Some(pr.state_key),
            )
        }
        Action::Destroy => match &meta {
            Some(m) => {
                let pr = deploy::stored_request(platform, m).await?;
                (
                    Some(m.template.clone()),
                    Some(pr.tfvars),
                    pr.region,
                    Some(pr.state_key),
                )
            }
            None => (None, None, None, None),
        },
        _ => (
            meta.as_ref().map(|m| m.template.clone()),
            None,
            meta.as_ref().and_then(|m| m.region.clone()),
            None,
        ),
    };
    Ok(Plan {
        state_key,
        decision,
        provisioner: template
            .as_ref()
            .map_or("opentofu", TemplateName::provisioner),
        template,
        region: region.unwrap_or_else(|| platform.settings.region.clone()),
        environment: meta,
        tfvars,
    })
}

fn deployment<'a>(req: &'a PlanRequest, source: &'a Source) -> Deployment<'a> {
    Deployment {
        config: &req.config,
        image: req.image.as_deref(),
        owner: req.owner.as_deref(),
        source,
        approval: None,
    }
}

/// How an apply ended, as the workflow reports it to [`record`].
#[derive(Debug, Clone)]
pub enum ApplyResult {
    /// The apply succeeded with these outputs (`tofu output -json`).
    Applied(Outputs),
    /// The apply (or the build before it) failed.
    Failed,
}

/// Record the end of an apply: the outputs in `outputs.json` (sensitive values masked) and
/// status `active` with the endpoint, or status `failed`. Recording `active` twice is
/// harmless (a re-run step).
pub async fn record(
    platform: &Platform,
    name: &EnvName,
    result: &ApplyResult,
) -> Result<Versioned> {
    let store = &*platform.backend.store;
    let now = platform.backend.clock.now();
    match result {
        ApplyResult::Applied(outputs) => {
            let current = state::load_existing(store, name).await?;
            state::put_json(
                store,
                &state::keys(&current.meta)?.outputs,
                &deploy::outputs_json(outputs),
            )
            .await?;
            let endpoint = outputs.endpoint().map(str::to_owned);
            state::update(store, name, |meta| {
                match meta.status {
                    Status::Active if meta.endpoint == endpoint => return Ok(false),
                    Status::Active => {}
                    Status::Provisioning | Status::Updating => {
                        meta.transition(Status::Active, now)?
                    }
                    status => {
                        return Err(Error::InvalidState {
                            name: name.to_string(),
                            status,
                            action: "record an apply of",
                        });
                    }
                }
                meta.endpoint = endpoint.clone();
                meta.updated_at = now;
                Ok(true)
            })
            .await
        }
        ApplyResult::Failed => {
            state::update(store, name, |meta| match meta.status {
                Status::Failed => Ok(false),
                Status::Provisioning | Status::Updating => {
                    meta.transition(Status::Failed, now)?;
                    Ok(true)
                }
                status => Err(Error::InvalidState {
                    name: name.to_string(),
                    status,
                    action: "record a failed apply of",
                }),
            })
            .await
        }
    }
}

/// For a template the workflow does not apply with `tofu` (its `provisioner` is not
/// `opentofu`, see [`TemplateName::provisioner`]): apply it through the platform's provisioner
/// with the tfvars [`plan`] recorded, and return the outputs for [`record`]. The environment
/// must be `provisioning` or `updating` (the plan's `begin` put it there); a failure is returned
/// as is, for the workflow to [`record`] as [`ApplyResult::Failed`].
pub async fn apply(platform: &Platform, name: &EnvName) -> Result<Outputs> {
    let current = state::load_existing(&*platform.backend.store, name).await?;
    if !matches!(current.meta.status, Status::Provisioning | Status::Updating) {
        return Err(Error::InvalidState {
            name: name.to_string(),
            status: current.meta.status,
            action: "apply",
        });
    }
    let pr = deploy::stored_request(platform, &current.meta).await?;
    platform
        .backend
        .provisioner
        .apply(&pr)
        .await
        .map_err(|source| Error::Provision {
            name: name.to_string(),
            source,
        })
}

/// For a template the workflow does not destroy with `tofu`: destroy it through the platform's
/// provisioner with the tfvars it was applied with; [`cleanup`] follows. The environment must
/// be `destroying` (the plan's `begin` put it there). Destroying what is already gone succeeds.
pub async fn destroy(platform: &Platform, name: &EnvName) -> Result<()> {
    let current = state::load_existing(&*platform.backend.store, name).await?;
    if current.meta.status != Status::Destroying {
        return Err(Error::InvalidState {
            name: name.to_string(),
            status: current.meta.status,
            action: "destroy",
        });
    }
    let pr = deploy::stored_request(platform, &current.meta).await?;
    platform
        .backend
        .provisioner
        .destroy(&pr)
        .await
        .map_err(|source| Error::Provision {
            name: name.to_string(),
            source,
        })
}

/// What [`cleanup`] did.
#[derive(Debug, Clone, Serialize)]
pub struct CleanupReport {
    /// The environment's record afterwards (the `destroyed` tombstone).
    pub environment: Metadata,
    /// What was removed.
    pub cleanup: Cleanup,
    /// Whether it was already destroyed (nothing was done).
    pub already_destroyed: bool,
}

/// What an interrupted run of `pr`'s environment left outside its state, removed (see
/// `Provisioner::remove_orphans`).
async fn remove_orphans(platform: &Platform, pr: &ProvisionRequest) -> Result<()> {
    platform
        .backend
        .provisioner
        .remove_orphans(pr)
        .await
        .map_err(|source| Error::Provision {
            name: pr.env.to_string(),
            source,
        })
}

/// After the workflow destroyed the template: delete the environment's images (exact tags
/// only), its OpenTofu lock items and its state objects (all but the metadata), then mark it
/// `destroyed`. The environment must be `destroying` (the plan's `begin` put it there).
pub async fn cleanup(platform: &Platform, name: &EnvName) -> Result<CleanupReport> {
    let backend = &platform.backend;
    let current = state::load_existing(&*backend.store, name).await?;
    if current.meta.status == Status::Destroyed {
        return Ok(CleanupReport {
            environment: current.meta,
            cleanup: Cleanup::default(),
            already_destroyed: true,
        });
    }
    if current.meta.status != Status::Destroying {
        return Err(Error::InvalidState {
            name: name.to_string(),
            status: current.meta.status,
            action: "clean up",
        });
    }
    // The workflow destroyed what the state names; what an interrupted run left outside it
    // goes too, while the state's key still says what the environment is.
    remove_orphans(
        platform,
        &deploy::stored_request(platform, &current.meta).await?,
    )
    .await?;
    let cleanup = crate::environments::destroy::clean_up_after(
        platform,
        &current.meta,
        &state::keys(&current.meta)?.state,
    )
    .await?;
    let now = backend.clock.now();
    let saved = state::update(&*backend.store, name, |meta| {
        if meta.status == Status::Destroyed {
            return Ok(false);
        }
        meta.transition(Status::Destroyed, now)?;
        meta.endpoint = None;
        Ok(true)
    })
    .await?;
    Ok(CleanupReport {
        environment: saved.meta,
        cleanup,
        already_destroyed: false,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{DateTime, Utc};

    use super::*;
    use crate::backend::Backend;
    use crate::domain::decide::NoOpReason;
    use crate::domain::event::Repository;

    fn now() -> DateTime<Utc> {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    fn dispatch(name: &str) -> Trigger {
        let mut inputs = BTreeMap::new();
        inputs.insert("environment_name".to_owned(), name.to_owned());
        Trigger::Dispatch {
            repository: Repository::parse("octo-org/platform").unwrap(),
            git_ref: "refs/heads/main".to_owned(),
            inputs,
        }
    }

    fn request(trigger: Trigger, expect: Expect, begin: bool) -> PlanRequest {
        PlanRequest {
            trigger,
            config: Config::default(),
            image: Some("nginx:1.27".to_owned()),
            owner: Some("octocat".to_owned()),
            expect: Some(expect),
            begin,
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_dispatched_deploy_provisions_then_records_then_a_dispatched_destroy_cleans_up() {
        rt().block_on(async {
            let (backend, _) = Backend::memory_at(now());
            let platform = Platform::new(backend);
            let name = EnvName::parse("demo").unwrap();
            let planned = plan(&platform, request(dispatch("demo"), Expect::Deploy, true))
                .await
                .unwrap();
            assert_eq!(planned.decision.action, Action::Provision);
            assert_eq!(
                planned.environment.as_ref().unwrap().status,
                Status::Provisioning
            );
            assert_eq!(
                planned.tfvars.as_ref().unwrap()["container_image"],
                "nginx:1.27"
            );
            let mut outputs = Outputs::new();
            outputs.insert("endpoint", "https://demo.example.com");
            let saved = record(&platform, &name, &ApplyResult::Applied(outputs))
                .await
                .unwrap();
            assert_eq!(saved.meta.status, Status::Active);
            assert_eq!(
                saved.meta.endpoint.as_deref(),
                Some("https://demo.example.com")
            );

            let err = cleanup(&platform, &name).await.unwrap_err();
            assert!(
                matches!(err, Error::InvalidState { .. }),
                "only a destroying environment is cleaned up: {err}"
            );

            let planned = plan(&platform, request(dispatch("demo"), Expect::Destroy, true))
                .await
                .unwrap();
            assert_eq!(planned.decision.action, Action::Destroy);
            assert_eq!(
                planned.environment.as_ref().unwrap().status,
                Status::Destroying
            );
            let done = cleanup(&platform, &name).await.unwrap();
            assert_eq!(done.environment.status, Status::Destroyed);
            assert_eq!(
                done.cleanup.state_objects_deleted, 2,
                "outputs.json and tfvars.json"
            );
            assert!(cleanup(&platform, &name).await.unwrap().already_destroyed);

            let again = plan(&platform, request(dispatch("demo"), Expect::Destroy, true))
                .await
                .unwrap();
            assert!(matches!(
                again.decision.action,
                Action::NoOp {
                    reason: NoOpReason::AlreadyDestroyed
                }
            ));
        });
    }

    #[test]
    fn apply_and_destroy_run_the_platforms_provisioner_only_in_their_own_status() {
        rt().block_on(async {
            let (backend, _) = Backend::memory_at(now());
            let platform = Platform::new(backend);
            let name = EnvName::parse("demo").unwrap();
            let err = apply(&platform, &name).await.unwrap_err();
            assert!(matches!(err, Error::NotFound { .. }), "{err}");
            let planned = plan(&platform, request(dispatch("demo"), Expect::Deploy, true))
                .await
                .unwrap();
            assert_eq!(planned.provisioner, "opentofu");
            let outputs = apply(&platform, &name).await.unwrap();
            let saved = record(&platform, &name, &ApplyResult::Applied(outputs))
                .await
                .unwrap();
            assert_eq!(saved.meta.status, Status::Active);
            for err in [
                apply(&platform, &name).await.unwrap_err(),
                destroy(&platform, &name).await.unwrap_err(),
            ] {
                assert!(
                    matches!(
                        err,
                        Error::InvalidState {
                            status: Status::Active,
                            ..
                        }
                    ),
                    "an active environment is neither applied nor destroyed by a step: {err}"
                );
            }
            plan(&platform, request(dispatch("demo"), Expect::Destroy, true))
                .await
                .unwrap();
            destroy(&platform, &name).await.unwrap();
            destroy(&platform, &name)
                .await
                .expect("destroying what is gone succeeds");
            let done = cleanup(&platform, &name).await.unwrap();
            assert_eq!(done.environment.status, Status::Destroyed);
        });
    }

    #[test]
    fn a_dispatched_template_must_fit_the_configs_schedule() {
        rt().block_on(async {
            let (backend, _) = Backend::memory_at(now());
            let platform = Platform::new(backend);
            let with_template = |template: &str| {
                let Trigger::Dispatch {
                    repository,
                    git_ref,
                    mut inputs,
                } = dispatch("demo")
                else {
                    unreachable!()
                };
                inputs.insert("template".to_owned(), template.to_owned());
                Trigger::Dispatch {
                    repository,
                    git_ref,
                    inputs,
                }
            };
            let err = plan(
                &platform,
                request(with_template("scheduled-worker"), Expect::Deploy, true),
            )
            .await
            .unwrap_err();
            assert!(
                err.to_string().contains("needs a `schedule_expression`"),
                "{err}"
            );
            assert!(
                state::load(&*platform.backend.store, &EnvName::parse("demo").unwrap())
                    .await
                    .unwrap()
                    .is_none(),
                "nothing is recorded for a refused dispatch"
            );
            // A destroy needs no schedule.
            plan(
                &platform,
                request(with_template("scheduled-worker"), Expect::Destroy, true),
            )
            .await
            .unwrap();

            let mut scheduled = request(with_template("api-service"), Expect::Deploy, true);
            scheduled.config.template = TemplateName::new("scheduled-worker").unwrap();
            scheduled.config.schedule_expression = Some("rate(1 hour)".to_owned());
            let err = plan(&platform, scheduled).await.unwrap_err();
            assert!(
                err.to_string().contains("does not run on a schedule"),
                "{err}"
            );
        });
    }

    #[test]
    fn a_failed_apply_is_recorded_and_the_next_deploy_recovers_it() {
        rt().block_on(async {
            let (backend, _) = Backend::memory_at(now());
            let platform = Platform::new(backend);
            let name = EnvName::parse("demo").unwrap();
            plan(&platform, request(dispatch("demo"), Expect::Deploy, true))
                .await
                .unwrap();
            let failed = record(&platform, &name, &ApplyResult::Failed)
                .await
                .unwrap();
            assert_eq!(failed.meta.status, Status::Failed);
            let retry = plan(&platform, request(dispatch("demo"), Expect::Deploy, true))
                .await
                .unwrap();
            assert_eq!(retry.decision.action, Action::Provision);
            assert_eq!(
                retry.environment.unwrap().created_at,
                failed.meta.created_at,
                "recovery keeps the creation time"
            );
        });
    }

    #[test]
    fn planning_without_begin_writes_nothing() {
        rt().block_on(async {
            let (backend, handles) = Backend::memory_at(now());
            let platform = Platform::new(backend);
            let planned = plan(&platform, request(dispatch("demo"), Expect::Deploy, false))
                .await
                .unwrap();
            assert_eq!(planned.decision.action, Action::Provision);
            assert!(planned.tfvars.is_some());
            assert!(
                crate::ports::ObjectStore::list_all(&*handles.store, "")
                    .await
                    .unwrap()
                    .is_empty()
            );
        });
    }
}
