//! A GitHub Actions runner for tests: runs the platform's workflow files as a hosted runner
//! would, on this machine, so a suite proves the files users run rather than a copy of their
//! steps.
//!
//! What it does like GitHub: jobs in `needs` order with their `if:` (an implicit `success()`
//! unless a status function is called), `needs.<job>.result` and `.outputs`, job `env:` and
//! `outputs:`; steps with `id`, `if`, `env`, `with`, `working-directory`; `run:` scripts written
//! to a file and run as `bash --noprofile --norc -eo pipefail {0}` in `GITHUB_WORKSPACE`; the
//! runner files `GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_PATH`, `GITHUB_STEP_SUMMARY` (heredoc
//! values included) and the default variables (`GITHUB_EVENT_PATH`, `GITHUB_EVENT_NAME`,
//! `GITHUB_REPOSITORY`, `GITHUB_SHA`, `GITHUB_REF`, `GITHUB_API_URL`, `RUNNER_TEMP`, …); the
//! `${{ }}` expressions of [`expr`]; reusable workflows (`jobs.<id>.uses`: a local
//! `./.github/workflows/F.yml`, GitHub's self-repository form `$/.github/workflows/F.yml` (this
//! file's repository at this commit) or `owner/repo/.github/workflows/F.yml@ref`, taken from that
//! repository's directory in the [`World`]) with their declared, typed and defaulted `inputs`,
//! their required `secrets` and their `on.workflow_call.outputs`; composite actions (`uses:
//! ./path` in the workspace, `uses: $/path` in the workflow's repository) with `inputs`
//! defaults, `github.action_path` and `outputs`. Each job runs on
//! a fresh machine: its own workspace, `RUNNER_TEMP`, `HOME` and tool cache, and an environment
//! holding only what a runner sets (the test process's variables do not leak into steps).
//!
//! What it does not: matrices, containers, services, `defaults:`, shells other than bash,
//! JavaScript or Docker actions, concurrency groups (jobs run one at a time), cancellation and
//! timeouts. A workflow using one of them makes the runner panic, never skip. Third-party
//! actions are simulated, each in a few lines ([`simulated`]); a `uses:` it does not know
//! makes it panic before the first job starts.
//!
//! Every job and step is recorded ([`WorkflowRun`]) with its outcome, outputs, inputs, output,
//! summary and duration; a failing step's output is printed at once.
#![allow(
    clippy::disallowed_methods,
    reason = "a workflow runner starts the steps' processes, writes their files and times them"
)]
#![allow(
    clippy::print_stderr,
    reason = "a failing step's output is shown at once"
)]

mod exec;
mod expr;
mod files;
mod model;
mod report;
mod simulated;
#[cfg(test)]
mod tests;
mod world;

pub use self::report::{JobRun, Outcome, StepRun, WorkflowRun};
pub use self::world::{Event, World};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Map, Value, json};

use self::expr::Contexts;
use self::model::{Job, Workflow, scalar_text};

/// The runner: a world and a scratch directory for the jobs' machines.
pub struct Runner {
    world: World,
    scratch: tempfile::TempDir,
    machines: AtomicUsize,
}

/// A workflow being run: its file, the repository it belongs to, and what its caller gave it.
struct Call {
    workflow: Workflow,
    file: PathBuf,
    /// The repository directory local references (`./…`) resolve in.
    home: PathBuf,
    github: Value,
    inputs: Value,
    secrets: BTreeMap<String, String>,
    /// The permissions of the calling job, which cap the called workflow's.
    caller_permissions: Option<Value>,
    /// `caller/` for the jobs of a called workflow (machine names, messages).
    prefix: String,
}

/// What later jobs see of a finished one.
#[derive(Debug, Clone)]
struct Finished {
    result: Outcome,
    outputs: BTreeMap<String, String>,
}

impl Runner {
    pub fn new(world: World) -> Self {
        Self {
            world,
            scratch: tempfile::tempdir().expect("a scratch directory for the runner"),
            machines: AtomicUsize::new(0),
        }
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    /// Runs `workflow` (a path in repository `repo` of the world) for `event`.
    pub fn run(&self, repo: &str, workflow: &str, event: &Event) -> WorkflowRun {
        let home = self.repo_dir(repo).to_owned();
        let file = home.join(workflow);
        let wf = Workflow::load(&file);
        let inputs = if event.name == "workflow_dispatch" {
            let spec = wf
                .trigger("workflow_dispatch")
                .unwrap_or_else(|| panic!("{workflow} has no workflow_dispatch trigger"));
            let given: BTreeMap<String, Value> = event.payload["inputs"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            match typed_inputs(&spec, given) {
                Ok(inputs) => inputs,
                Err(e) => panic!("the dispatch of {workflow}: {e}"),
            }
        } else {
            json!({})
        };
        let github = self.github_context(event, &wf, workflow);
        self.run_workflow(Call {
            workflow: wf,
            file,
            home,
            github,
            inputs,
            secrets: self.world.secrets.clone(),
            caller_permissions: None,
            prefix: String::new(),
        })
    }

    fn repo_dir(&self, repo: &str) -> &Path {
        self.world.repos.get(repo).unwrap_or_else(|| {
            panic!(
                "the runner's world has no repository `{repo}` (it has {:?})",
                self.world.repos.keys().collect::<Vec<_>>()
            )
        })
    }

    fn github_context(&self, event: &Event, wf: &Workflow, file: &str) -> Value {
        let owner = event.repository.split('/').next().unwrap_or_default();
        json!({
            "event_name": event.name,
            "event": event.payload,
            "repository": event.repository,
            "repository_owner": owner,
            "sha": event.sha,
            "ref": event.git_ref,
            "ref_name": event.ref_name(),
            "ref_type": if event.git_ref.starts_with("refs/tags/") { "tag" } else { "branch" },
            "head_ref": event.head_ref,
            "base_ref": event.base_ref,
            "actor": event.actor,
            "triggering_actor": event.actor,
            "token": self.world.token,
            "api_url": self.world.api_url,
            "server_url": self.world.server_url,
            "graphql_url": format!("{}/graphql", self.world.api_url),
            "run_id": "1",
            "run_number": "1",
            "run_attempt": "1",
            "workflow": wf.name.clone().unwrap_or_else(|| file.to_owned()),
            "workflow_ref": format!("{}/{file}@{}", event.repository, event.git_ref),
            "retention_days": "90",
        })
    }

    fn run_workflow(&self, call: Call) -> WorkflowRun {
        let started = std::time::Instant::now();
        self.preflight(&call);
        let mut finished: BTreeMap<String, Finished> = BTreeMap::new();
        let mut runs: Vec<JobRun> = Vec::new();
        let ids: Vec<&String> = call.workflow.jobs.keys().collect();
        while finished.len() < ids.len() {
            let next = ids.iter().find(|id| {
                !finished.contains_key(id.as_str())
                    && call.workflow.jobs[id.as_str()]
                        .needs
                        .ids()
                        .iter()
                        .all(|n| finished.contains_key(n))
            });
            let Some(id) = next else {
                panic!(
                    "{}: the jobs' `needs` name unknown jobs or form a cycle",
                    call.file.display()
                );
            };
            let run = self.job(&call, id, &call.workflow.jobs[id.as_str()], &finished);
            finished.insert(
                (*id).clone(),
                Finished {
                    result: run.result,
                    outputs: run.outputs.clone(),
                },
            );
            runs.push(run);
        }
        let conclusion = if runs.iter().any(|j| j.result == Outcome::Failure) {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        let mut outputs = BTreeMap::new();
        if let Some(trigger) = call.workflow.trigger("workflow_call") {
            let jobs: Map<String, Value> = finished
                .iter()
                .map(|(id, f)| (id.clone(), finished_value(f)))
                .collect();
            let cx = Contexts::default()
                .with("github", call.github.clone())
                .with("inputs", call.inputs.clone())
                .with("vars", string_map(&self.world.vars))
                .with("jobs", Value::Object(jobs));
            for (name, spec) in &trigger.outputs {
                let value = expr::template(&spec.value, &cx)
                    .unwrap_or_else(|e| panic!("output `{name}` of {}: {e}", call.file.display()));
                outputs.insert(name.clone(), value);
            }
        }
        WorkflowRun {
            file: call.file,
            conclusion,
            jobs: runs,
            outputs,
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    /// Refuses, before anything runs, a workflow using what the runner does not implement.
    fn preflight(&self, call: &Call) {
        for (id, job) in &call.workflow.jobs {
            let unsupported = [
                ("strategy", job.strategy.is_some()),
                ("container", job.container.is_some()),
                ("services", job.services.is_some()),
                ("defaults", job.defaults.is_some()),
                ("continue-on-error", job.continue_on_error.is_some()),
            ];
            for (key, present) in unsupported {
                assert!(
                    !present,
                    "{}: job `{id}` uses `{key}`, which the runner does not implement",
                    call.file.display()
                );
            }
            for step in &job.steps {
                if let Some(uses) = &step.uses {
                    assert!(
                        uses.starts_with("./") || uses.starts_with("$/") || simulated::knows(uses),
                        "{}: job `{id}` uses `{uses}`, which the runner does not simulate",
                        call.file.display()
                    );
                }
            }
        }
    }

    fn job(
        &self,
        call: &Call,
        id: &str,
        job: &Job,
        finished: &BTreeMap<String, Finished>,
    ) -> JobRun {
        let started = std::time::Instant::now();
        let needs_ids = job.needs.ids();
        let needs: Map<String, Value> = needs_ids
            .iter()
            .map(|n| (n.clone(), finished_value(&finished[n])))
            .collect();
        let success = needs_ids
            .iter()
            .all(|n| finished[n].result == Outcome::Success);
        let failure = needs_ids
            .iter()
            .any(|n| finished[n].result == Outcome::Failure);
        let cx = Contexts {
            success,
            failure,
            ..Contexts::default()
        }
        .with("github", call.github.clone())
        .with("inputs", call.inputs.clone())
        .with("vars", string_map(&self.world.vars))
        .with("secrets", string_map(&call.secrets))
        .with("needs", Value::Object(needs))
        .with("matrix", json!({}))
        .with("strategy", json!({}));
        let name = job
            .name
            .as_deref()
            .map(|n| expr::template(n, &cx).unwrap_or_else(|_| n.to_owned()))
            .unwrap_or_else(|| id.to_owned());
        let mut run = JobRun {
            id: id.to_owned(),
            name,
            result: Outcome::Skipped,
            outputs: BTreeMap::new(),
            steps: Vec::new(),
            called: None,
            error: None,
            seconds: 0.0,
        };
        let condition = job
            .condition
            .as_ref()
            .map_or_else(|| "success()".to_owned(), scalar_text);
        match expr::condition(&condition, &cx) {
            Ok(false) => return run,
            Ok(true) => {}
            Err(e) => {
                eprintln!("job `{}{id}`: {e}", call.prefix);
                run.result = Outcome::Failure;
                run.error = Some(e);
                return run;
            }
        }
        if let Some(uses) = &job.uses {
            self.call_reusable(call, id, job, uses, &cx, &mut run);
        } else {
            exec::steps_job(self, call, id, job, cx, &mut run);
        }
        run.seconds = started.elapsed().as_secs_f64();
        run
    }

    fn call_reusable(
        &self,
        call: &Call,
        id: &str,
        job: &Job,
        uses: &str,
        cx: &Contexts,
        run: &mut JobRun,
    ) {
        // `./…` and GitHub's self-repository form `$/…`: the caller's repository and commit.
        let local = uses.strip_prefix("./").or_else(|| uses.strip_prefix("$/"));
        let (home, path) = if let Some(local) = local {
            (call.home.clone(), local.to_owned())
        } else {
            let (target, _git_ref) = uses
                .split_once('@')
                .unwrap_or_else(|| panic!("`uses: {uses}` names no ref"));
            let mut parts = target.splitn(3, '/');
            let (owner, name, path) = match (parts.next(), parts.next(), parts.next()) {
                (Some(o), Some(n), Some(p)) => (o, n, p),
                _ => panic!("`uses: {uses}` is not owner/repo/path@ref"),
            };
            (
                self.repo_dir(&format!("{owner}/{name}")).to_owned(),
                path.to_owned(),
            )
        };
        let file = home.join(&path);
        let workflow = Workflow::load(&file);
        let trigger = workflow
            .trigger("workflow_call")
            .unwrap_or_else(|| panic!("{} has no workflow_call trigger", file.display()));
        let prepared = (|| -> Result<(Value, BTreeMap<String, String>), String> {
            let mut given = BTreeMap::new();
            for (key, raw) in &job.with {
                if !trigger.inputs.contains_key(key) {
                    return Err(format!("input `{key}` is not defined in {path}"));
                }
                let value = match raw {
                    Value::String(text) => expr::value(text, cx)?,
                    other => other.clone(),
                };
                given.insert(key.clone(), value);
            }
            let inputs = typed_inputs(&trigger, given)?;
            let secrets: BTreeMap<String, String> = match &job.secrets {
                Some(Value::String(s)) if s == "inherit" => call.secrets.clone(),
                Some(Value::Object(map)) => {
                    let mut out = BTreeMap::new();
                    for (key, raw) in map {
                        if !trigger.secrets.contains_key(key) {
                            return Err(format!("secret `{key}` is not defined in {path}"));
                        }
                        out.insert(key.clone(), expr::template(&scalar_text(raw), cx)?);
                    }
                    out
                }
                None => BTreeMap::new(),
                Some(other) => return Err(format!("`secrets: {other}` is not understood")),
            };
            for (key, spec) in &trigger.secrets {
                if spec.required && secrets.get(key).is_none_or(String::is_empty) {
                    return Err(format!(
                        "secret `{key}` is required by {path} but not passed"
                    ));
                }
            }
            Ok((inputs, secrets))
        })();
        let (inputs, secrets) = match prepared {
            Ok(p) => p,
            Err(e) => {
                eprintln!("job `{}{id}` calling {uses}: {e}", call.prefix);
                run.result = Outcome::Failure;
                run.error = Some(e);
                return;
            }
        };
        let called = self.run_workflow(Call {
            workflow,
            file,
            home,
            github: call.github.clone(),
            inputs,
            secrets,
            caller_permissions: job.permissions.clone(),
            prefix: format!("{}{id}/", call.prefix),
        });
        run.result = called.conclusion;
        run.outputs = called.outputs.clone();
        run.called = Some(Box::new(called));
    }

    /// A fresh machine directory for job `name`.
    fn machine_dir(&self, name: &str) -> PathBuf {
        let n = self.machines.fetch_add(1, Ordering::SeqCst);
        let safe: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        self.scratch.path().join(format!("{n:03}-{safe}"))
    }
}

/// `needs.<id>` / `jobs.<id>` of a finished job.
fn finished_value(f: &Finished) -> Value {
    json!({"result": f.result.as_str(), "outputs": string_map(&f.outputs)})
}

fn string_map(map: &BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// The `inputs` context of a called or dispatched workflow: the given values converted to the
/// declared types, the defaults for the others; an error for an undeclared or missing
/// required input.
fn typed_inputs(trigger: &model::Trigger, given: BTreeMap<String, Value>) -> Result<Value, String> {
    let mut out = Map::new();
    for key in given.keys() {
        if !trigger.inputs.contains_key(key) {
            return Err(format!("input `{key}` is not declared"));
        }
    }
    for (key, spec) in &trigger.inputs {
        let value = match given.get(key) {
            Some(v) => v.clone(),
            None if spec.required => return Err(format!("input `{key}` is required")),
            None => spec.default.clone().unwrap_or(Value::Null),
        };
        let value = match (spec.kind.as_deref(), value) {
            (_, Value::Null) => match spec.kind.as_deref() {
                Some("boolean") => Value::Bool(false),
                Some("number") => json!(0),
                _ => Value::String(String::new()),
            },
            (Some("boolean"), Value::String(s)) => match s.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => return Err(format!("input `{key}`: `{other}` is not a boolean")),
            },
            (Some("number"), Value::String(s)) => s
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("input `{key}`: `{s}` is not a number"))?,
            (Some("string") | None, v @ (Value::Bool(_) | Value::Number(_))) => {
                Value::String(scalar_text(&v))
            }
            (_, v) => v,
        };
        out.insert(key.clone(), value);
    }
    Ok(Value::Object(out))
}
