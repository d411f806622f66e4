//! `idp-action setup`: what does this event mean for its environment?
//!
//! Reads the event and `.idp/config.yml`, asks idp-core to decide on the environment's current
//! record, and writes the step outputs the workflow's later jobs branch on and pass on: the
//! environment, the action, the template and config values, the image tag `{env}-{short sha}`
//! and the path of the tfvars JSON file. With `--begin` (the step right before `tofu apply` or
//! `tofu destroy`) it also records the start of the work (`provisioning`, `updating` or
//! `destroying`).

use std::path::{Path, PathBuf};

use chrono::SecondsFormat;
use idp_core::domain::decide::{Action, Refusal};
use idp_core::domain::event::Trigger;
use idp_core::domain::layout;
use idp_core::domain::render;
use idp_core::gitops::steps::{self, Expect, PlanRequest};
use idp_core::setup::env_vars::{self, EnvVars};

use super::{Failure, read_config, read_event};
use crate::exit::Code;
use crate::gha;
use crate::open;
use crate::step::Step;

/// What kind of workflow runs the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExpectArg {
    /// A provision workflow: never destroys.
    Deploy,
    /// A destroy workflow: never provisions.
    Destroy,
}

/// `setup` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The repository checkout (the Dockerfile is looked up in it).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// The config file, relative to `--root`.
    #[arg(long, default_value = ".idp/config.yml")]
    config: PathBuf,
    /// The image built for this commit (default: the config's `image`).
    #[arg(long, env = EnvVars::IDP_IMAGE)]
    image: Option<String>,
    /// Record the start of the work (right before the apply or destroy).
    #[arg(long)]
    begin: bool,
    /// Refuse actions this workflow does not do.
    #[arg(long, value_enum)]
    expect: Option<ExpectArg>,
    /// The environment the caller expects (its own `setup` output); a trigger about another
    /// environment fails the step before anything is written.
    #[arg(long)]
    environment: Option<String>,
    /// Where to write the tfvars JSON [default: `$RUNNER_TEMP/idp/<env>.tfvars.json`].
    #[arg(long)]
    tfvars_out: Option<PathBuf>,
}

/// Run `setup`.
pub(crate) async fn run(args: Args) -> Result<Code, Failure> {
    let mut step = Step::new();
    let trigger = read_event()?;
    let selected = open::select()?;
    let found = read_config(&args.root, &args.config, &selected)?;
    let config_file = found.name.clone();
    let destroys = matches!(
        trigger,
        Trigger::BranchDeleted { .. } | Trigger::PullRequestClosed { .. }
    ) || args.expect == Some(ExpectArg::Destroy);
    let config = match found.parsed {
        Ok(config) => config,
        // A broken config must never keep an environment alive: destroys use the defaults.
        Err(errors) if destroys => {
            let _ = super::validate::annotate(&step, &errors, "warning");
            idp_core::domain::config::Config::default()
        }
        Err(errors) => {
            step.summary(&format!(
                "### ❌ {}: {} problem(s)\n\n",
                render::code_span(&config_file),
                errors.len()
            ));
            let lines = super::validate::annotate(&step, &errors, "error");
            step.summary(&lines);
            step.output("action", "invalid_config");
            step.finish()?;
            return Ok(Code::Invalid);
        }
    };
    let owner = trigger.actor().map(str::to_owned);
    if let Some(expected) = args.environment.as_deref().filter(|e| !e.is_empty()) {
        let actual = match &trigger {
            Trigger::Dispatch { inputs, .. } => inputs.get("environment_name").cloned(),
            other => idp_core::domain::decide::env_for(other)
                .ok()
                .flatten()
                .map(|e| e.to_string()),
        };
        if actual.as_deref() != Some(expected) {
            return Err(Failure::Usage(format!(
                "the workflow was called for environment `{}`, but the `{}` event is about `{}`: pass the caller's `setup` output unchanged",
                expected.escape_debug(),
                trigger.kind(),
                actual.as_deref().unwrap_or("(none)").escape_debug()
            )));
        }
    }
    let platform = selected.platform().await?;
    let plan = steps::plan(
        &platform,
        PlanRequest {
            trigger: trigger.clone(),
            config: config.clone(),
            image: args.image.clone(),
            owner,
            expect: args.expect.map(|e| match e {
                ExpectArg::Deploy => Expect::Deploy,
                ExpectArg::Destroy => Expect::Destroy,
            }),
            begin: args.begin,
        },
    )
    .await?;
    let decision = &plan.decision;
    let env = decision
        .env
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let deploys = matches!(
        decision.action,
        Action::Provision | Action::ExtendAndRedeploy
    );
    step.output("environment", env.clone());
    step.output("action", decision.action.as_str());
    step.output("deploy", bool_str(deploys));
    step.output("destroy", bool_str(decision.action == Action::Destroy));
    step.output("sweep", bool_str(decision.action == Action::Sweep));
    step.output("reason", decision.reason.clone());
    step.output(
        "template",
        plan.template
            .as_ref()
            .map_or(config.template.to_string(), ToString::to_string),
    );
    step.output("provisioner", plan.provisioner);
    step.output("region", plan.region.clone());
    step.output("state_key", plan.state_key.clone().unwrap_or_default());
    step.output("trigger", trigger.kind());
    step.output(
        "repository",
        trigger
            .repository()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
    );
    step.output(
        "branch",
        trigger
            .branch()
            .map(|b| b.as_str().to_owned())
            .unwrap_or_default(),
    );
    let commit = trigger.commit().map(|c| c.as_str().to_owned());
    let pr = trigger.pr_number();
    step.output("commit", commit.clone().unwrap_or_default());
    step.output("pr_number", pr.map(|n| n.to_string()).unwrap_or_default());
    let image_tag = match (decision.env.as_ref(), commit.as_deref()) {
        (Some(env), Some(sha)) => layout::image_tag(env, sha).unwrap_or_default(),
        _ => String::new(),
    };
    step.output("image_tag", image_tag);
    step.output(
        "image",
        args.image.clone().unwrap_or_else(|| config.image.clone()),
    );
    // The build: the configured Dockerfile (which must exist), else `Dockerfile` if present.
    let dockerfile = config
        .dockerfile
        .clone()
        .unwrap_or_else(|| "Dockerfile".to_owned());
    let has_dockerfile = args.root.join(&dockerfile).is_file();
    if deploys && config.dockerfile.is_some() && !has_dockerfile {
        step.command(&gha::annotation(
            "error",
            "Dockerfile not found",
            &format!("{config_file}: `dockerfile` is `{dockerfile}`, which does not exist: fix the path or remove the key"),
        ));
        step.output("build", "false");
        step.finish()?;
        return Ok(Code::Invalid);
    }
    step.output("build", bool_str(deploys && has_dockerfile));
    step.output(
        "dockerfile",
        if has_dockerfile {
            dockerfile
        } else {
            String::new()
        },
    );
    step.output("build_context", config.build_context.clone());
    step.output("container_port", config.container_port.to_string());
    step.output("health_check_path", config.health_check_path.clone());
    step.output("ttl", config.ttl.to_string());
    step.output("cpu", config.cpu.to_string());
    step.output("memory", config.memory.to_string());
    step.output(
        "use_shared_networking",
        bool_str(config.use_shared_networking),
    );
    step.output("state_bucket", platform.settings.state_bucket.clone());
    if let Some(meta) = &plan.environment {
        step.output("status", meta.status.as_str());
        step.output(
            "expires_at",
            meta.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        );
        step.output("endpoint", meta.endpoint.clone().unwrap_or_default());
    }
    match (&plan.tfvars, decision.env.as_ref()) {
        (Some(vars), Some(env)) => {
            let path = args
                .tfvars_out
                .clone()
                .unwrap_or_else(|| default_tfvars_path(env.as_str()));
            write_json(&path, &serde_json::Value::Object(vars.clone()))?;
            step.output("tfvars_file", path.display().to_string());
        }
        _ => step.output("tfvars_file", ""),
    }
    step.summary(&render::step_summary(
        decision,
        plan.environment
            .as_ref()
            .and_then(|m| m.endpoint.as_deref()),
    ));
    let code = match &decision.action {
        Action::Refuse { refusal } => refusal_code(&step, refusal, &decision.reason),
        _ => Code::Ok,
    };
    step.log(&format!("idp: {} — {}", decision.action, decision.reason));
    step.finish()?;
    Ok(code)
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// A fork's pull request is a warning (nothing runs, nothing is wrong); a collision and an
/// unusable branch fail the step, by the one exit-code table.
fn refusal_code(step: &Step, refusal: &Refusal, reason: &str) -> Code {
    let (level, kind) = match refusal {
        Refusal::FromFork { .. } => ("warning", None),
        Refusal::BranchCollision { .. } => {
            ("error", Some(idp_core::error::ErrorKind::BranchCollision))
        }
        Refusal::InvalidBranch { .. } => ("error", Some(idp_core::error::ErrorKind::InvalidName)),
    };
    step.command(&gha::annotation(level, "idp preview refused", reason));
    kind.map_or(Code::Ok, Code::from)
}

fn default_tfvars_path(env: &str) -> PathBuf {
    let base =
        env_vars::get(EnvVars::RUNNER_TEMP).map_or_else(|| PathBuf::from("."), PathBuf::from);
    base.join("idp").join(format!("{env}.tfvars.json"))
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), Failure> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs_err::create_dir_all(dir).map_err(|e| Failure::Io(e.to_string()))?;
    }
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure::Io(e.to_string()))?;
    fs_err::write(path, text + "\n").map_err(|e| Failure::Io(e.to_string()))
}
