//! Running a job's steps on a fresh machine: `run:` scripts, composite actions and the
//! simulated actions, and the environment each process sees.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Map, Value, json};

use super::expr::{self, Contexts};
use super::files::{complete_variables, default_variables, parse_file_commands};
use super::model::{Action, Job, Step, scalar_text};
use super::{Call, JobRun, Outcome, Runner, StepRun, simulated, string_map};

/// One job's machine: its directories and what its steps have added to the environment.
pub(super) struct Machine {
    pub workspace: PathBuf,
    pub temp: PathBuf,
    pub home: PathBuf,
    pub tool_cache: PathBuf,
    pub event_path: PathBuf,
    /// `GITHUB_ENV` additions, for every later step of the job.
    pub github_env: BTreeMap<String, String>,
    /// `GITHUB_PATH` additions, the latest first.
    pub path: Vec<String>,
    /// The `permissions:` in force: the job's (else the workflow's) and its caller's.
    pub permissions: Vec<Option<Value>>,
    /// The job's `env:` (over the workflow's).
    pub job_env: BTreeMap<String, String>,
    files: usize,
}

/// Where steps run: the job itself, or a composite action inside it.
struct Scope {
    /// The contexts besides `steps` and `env` (`github` with `action_path` in an action,
    /// `inputs` of the workflow or of the action).
    contexts: Contexts,
    steps: Map<String, Value>,
    /// The `env:` of the `uses:` steps this scope is inside, outermost first.
    env: BTreeMap<String, String>,
    failed: bool,
    /// `GITHUB_ACTION_PATH` inside a composite action.
    action_path: Option<PathBuf>,
    /// The directory of the workflow's repository, where `$/…` resolves (not in an action).
    home: Option<PathBuf>,
}

impl Machine {
    fn new(dir: &Path, repo: &str) -> Self {
        let name = repo.rsplit('/').next().unwrap_or("repo");
        let machine = Self {
            workspace: dir.join("work").join(name).join(name),
            temp: dir.join("temp"),
            home: dir.join("home"),
            tool_cache: dir.join("tool-cache"),
            event_path: dir.join("temp/_github_workflow/event.json"),
            github_env: BTreeMap::new(),
            path: Vec::new(),
            permissions: Vec::new(),
            job_env: BTreeMap::new(),
            files: 0,
        };
        for d in [
            &machine.workspace,
            &machine.temp,
            &machine.home,
            &machine.tool_cache,
        ] {
            fs_err::create_dir_all(d).expect("a machine directory");
        }
        fs_err::create_dir_all(dir.join("temp/_github_workflow")).expect("the event directory");
        machine
    }

    /// A new empty file under `RUNNER_TEMP` for one step's `kind` file.
    fn file(&mut self, kind: &str) -> PathBuf {
        self.files += 1;
        let dir = self.temp.join("_runner_file_commands");
        fs_err::create_dir_all(&dir).expect("the runner files directory");
        let path = dir.join(format!("{kind}_{}", self.files));
        fs_err::write(&path, "").expect("a runner file");
        path
    }
}

/// Runs a job of steps and fills `run` (result, outputs, steps).
pub(super) fn steps_job(
    runner: &Runner,
    call: &Call,
    id: &str,
    job: &Job,
    mut cx: Contexts,
    run: &mut JobRun,
) {
    let dir = runner.machine_dir(&format!("{}{id}", call.prefix));
    let repo = call.github["repository"].as_str().unwrap_or("repo");
    let mut machine = Machine::new(&dir, repo);
    machine.permissions = vec![
        job.permissions
            .clone()
            .or_else(|| call.workflow.permissions.clone()),
    ];
    if call.caller_permissions.is_some() {
        machine.permissions.push(call.caller_permissions.clone());
    }
    let payload = serde_json::to_vec_pretty(&call.github["event"]).expect("the payload");
    fs_err::write(&machine.event_path, payload).expect("write the event payload");
    let mut github = call.github.clone();
    github["workspace"] = json!(machine.workspace.display().to_string());
    github["event_path"] = json!(machine.event_path.display().to_string());
    github["job"] = json!(id);
    cx = cx.with("github", github).with(
        "runner",
        json!({
            "os": "Linux", "arch": "X64", "name": "idp-test-runner", "environment": "github-hosted",
            "temp": machine.temp.display().to_string(),
            "tool_cache": machine.tool_cache.display().to_string(),
        }),
    );
    cx = cx.with("job", json!({"status": "success"}));
    let evaluated = (|| -> Result<BTreeMap<String, String>, String> {
        let mut env = BTreeMap::new();
        for (k, v) in &call.workflow.env {
            env.insert(k.clone(), expr::template(&scalar_text(v), &cx)?);
        }
        let with_env = cx.clone().with("env", string_map(&env));
        for (k, v) in &job.env {
            env.insert(k.clone(), expr::template(&scalar_text(v), &with_env)?);
        }
        Ok(env)
    })();
    match evaluated {
        Ok(env) => machine.job_env = env,
        Err(e) => {
            eprintln!("job `{}{id}`: env: {e}", call.prefix);
            run.result = Outcome::Failure;
            run.error = Some(e);
            return;
        }
    }
    let mut scope = Scope {
        contexts: cx,
        steps: Map::new(),
        env: BTreeMap::new(),
        failed: false,
        action_path: None,
        home: Some(call.home.clone()),
    };
    for step in &job.steps {
        let done = run_step(
            runner,
            &mut machine,
            &mut scope,
            step,
            &format!("{}{id}", call.prefix),
        );
        run.steps.push(done);
    }
    let out_cx = scope
        .contexts
        .clone()
        .with("steps", Value::Object(scope.steps.clone()));
    for (name, raw) in &job.outputs {
        match expr::template(&scalar_text(raw), &out_cx) {
            Ok(v) => {
                run.outputs.insert(name.clone(), v);
            }
            Err(e) => {
                eprintln!("job `{}{id}`: output `{name}`: {e}", call.prefix);
                scope.failed = true;
            }
        }
    }
    run.result = if scope.failed {
        Outcome::Failure
    } else {
        Outcome::Success
    };
}

/// The contexts a step's expressions see in `scope`.
fn step_contexts(
    machine: &Machine,
    scope: &Scope,
    step_env: &BTreeMap<String, String>,
) -> Contexts {
    let mut env = machine.job_env.clone();
    env.extend(machine.github_env.clone());
    env.extend(scope.env.clone());
    env.extend(step_env.clone());
    let mut cx = scope
        .contexts
        .clone()
        .with("steps", Value::Object(scope.steps.clone()))
        .with("env", string_map(&env));
    cx.success = !scope.failed;
    cx.failure = scope.failed;
    cx.values.insert(
        "job".to_owned(),
        json!({"status": if scope.failed { "failure" } else { "success" }}),
    );
    cx
}

fn run_step(
    runner: &Runner,
    machine: &mut Machine,
    scope: &mut Scope,
    step: &Step,
    job: &str,
) -> StepRun {
    let started = std::time::Instant::now();
    let cx = step_contexts(machine, scope, &BTreeMap::new());
    let default_name = match (&step.uses, &step.run) {
        (Some(uses), _) => format!("Run {uses}"),
        (None, Some(run)) => format!("Run {}", run.lines().next().unwrap_or_default()),
        (None, None) => "Run".to_owned(),
    };
    let name = step.name.as_deref().map_or(default_name.clone(), |n| {
        expr::template(n, &cx).unwrap_or_else(|_| n.to_owned())
    });
    let mut done = StepRun {
        name,
        id: step.id.clone(),
        uses: step.uses.clone(),
        outcome: Outcome::Skipped,
        with: BTreeMap::new(),
        outputs: BTreeMap::new(),
        stdout: String::new(),
        stderr: String::new(),
        summary: String::new(),
        steps: Vec::new(),
        seconds: 0.0,
    };
    let condition = step
        .condition
        .as_ref()
        .map_or_else(|| "success()".to_owned(), scalar_text);
    let result = (|| -> Result<bool, String> {
        if !expr::condition(&condition, &cx)? {
            return Ok(false);
        }
        let mut step_env = BTreeMap::new();
        for (k, v) in &step.env {
            step_env.insert(k.clone(), expr::template(&scalar_text(v), &cx)?);
        }
        let cx = step_contexts(machine, scope, &step_env);
        for (k, v) in &step.with {
            done.with
                .insert(k.clone(), expr::template(&scalar_text(v), &cx)?);
        }
        let mut env = machine.job_env.clone();
        env.extend(machine.github_env.clone());
        env.extend(scope.env.clone());
        env.extend(step_env.clone());
        match (&step.run, &step.uses) {
            (Some(script), None) => {
                let script = expr::template(script, &cx)?;
                let shell = step.shell.as_deref().unwrap_or("bash");
                assert!(
                    shell == "bash",
                    "step `{}`: `shell: {shell}` is not implemented (bash only)",
                    done.name
                );
                let cwd = match &step.working_directory {
                    Some(dir) => machine.workspace.join(expr::template(dir, &cx)?),
                    None => machine.workspace.clone(),
                };
                let github = &scope.contexts.values["github"];
                let ran = script_step(
                    machine,
                    &script,
                    &env,
                    &cwd,
                    (github, &runner.world().path),
                    scope.action_path.as_deref(),
                    step.id.as_deref(),
                );
                done.outcome = ran.outcome;
                done.outputs = ran.outputs;
                done.stdout = ran.stdout;
                done.stderr = ran.stderr;
                done.summary = ran.summary;
            }
            (None, Some(uses)) if uses.starts_with("./") => {
                let dir = machine.workspace.join(uses.trim_start_matches("./"));
                composite(runner, machine, scope, &dir, step_env, &mut done, job);
            }
            (None, Some(uses)) if uses.starts_with("$/") => {
                let home = scope.home.as_ref().unwrap_or_else(|| {
                    panic!("`uses: {uses}` inside a composite action is not implemented")
                });
                let dir = home.join(uses.trim_start_matches("$/"));
                composite(runner, machine, scope, &dir, step_env, &mut done, job);
            }
            (None, Some(uses)) => {
                let github = &scope.contexts.values["github"];
                let sim = simulated::run(runner.world(), machine, uses, &done.with, github);
                done.outcome = sim.outcome;
                done.outputs = sim.outputs;
                done.stdout = sim.log;
            }
            _ => return Err("a step needs exactly one of `run` and `uses`".to_owned()),
        }
        Ok(true)
    })();
    match result {
        Ok(false) => {}
        Ok(true) => {}
        Err(e) => {
            done.outcome = Outcome::Failure;
            done.stderr = e;
        }
    }
    if done.outcome == Outcome::Failure {
        let continues = step
            .continue_on_error
            .as_ref()
            .is_some_and(|v| expr::value(&scalar_text(v), &cx).is_ok_and(|v| expr::truthy(&v)));
        if !continues {
            scope.failed = true;
        }
        if done.steps.is_empty() {
            eprintln!(
                "step `{}` of job `{job}` failed\n--- stdout\n{}\n--- stderr\n{}\n---",
                done.name, done.stdout, done.stderr
            );
        }
    }
    if let Some(id) = &step.id {
        let outcome = done.outcome.as_str();
        scope.steps.insert(
            id.clone(),
            json!({"outputs": string_map(&done.outputs), "outcome": outcome, "conclusion": outcome}),
        );
    }
    done.seconds = started.elapsed().as_secs_f64();
    done
}

/// Runs the composite action in `dir` as step `done` of `scope`.
fn composite(
    runner: &Runner,
    machine: &mut Machine,
    outer: &Scope,
    dir: &Path,
    step_env: BTreeMap<String, String>,
    done: &mut StepRun,
    job: &str,
) {
    let action = Action::load(dir);
    assert!(
        action.runs.using == "composite",
        "{}: `runs.using: {}` is not implemented (composite only)",
        dir.display(),
        action.runs.using
    );
    for step in &action.runs.steps {
        // GitHub refuses to load a composite action whose `run:` step names no shell.
        assert!(
            step.run.is_none() || step.shell.is_some(),
            "{}: a composite action's `run:` step needs `shell:`",
            dir.display()
        );
        if let Some(uses) = &step.uses {
            assert!(
                uses.starts_with("./") || simulated::knows(uses),
                "{}: step uses `{uses}`, which the runner does not simulate or implement",
                dir.display()
            );
        }
    }
    let mut github = outer.contexts.values["github"].clone();
    github["action_path"] = json!(dir.display().to_string());
    let defaults_cx = step_contexts(machine, outer, &step_env).with("github", github.clone());
    let mut inputs = Map::new();
    for (name, spec) in &action.inputs {
        let value = match done.with.get(name) {
            Some(v) => v.clone(),
            None => match &spec.default {
                Some(d) => expr::template(&scalar_text(d), &defaults_cx)
                    .unwrap_or_else(|e| panic!("{}: default of `{name}`: {e}", dir.display())),
                None => String::new(),
            },
        };
        inputs.insert(name.clone(), Value::String(value));
    }
    for name in done.with.keys() {
        if !action.inputs.contains_key(name) {
            done.stderr
                .push_str(&format!("warning: unexpected input `{name}`\n"));
        }
    }
    for (k, v) in &inputs {
        done.with.insert(k.clone(), expr::to_text(v));
    }
    let mut env = outer.env.clone();
    env.extend(step_env);
    let mut scope = Scope {
        contexts: outer
            .contexts
            .clone()
            .with("github", github)
            .with("inputs", Value::Object(inputs)),
        steps: Map::new(),
        env,
        failed: false,
        action_path: Some(dir.to_owned()),
        home: None,
    };
    let label = format!("{job} > {}", done.name);
    for step in &action.runs.steps {
        let nested = run_step(runner, machine, &mut scope, step, &label);
        done.steps.push(nested);
    }
    let out_cx = step_contexts(machine, &scope, &BTreeMap::new());
    for (name, spec) in &action.outputs {
        if let Some(value) = &spec.value {
            match expr::template(value, &out_cx) {
                Ok(v) => {
                    done.outputs.insert(name.clone(), v);
                }
                Err(e) => {
                    done.stderr.push_str(&format!("output `{name}`: {e}\n"));
                    scope.failed = true;
                }
            }
        }
    }
    done.outcome = if scope.failed {
        Outcome::Failure
    } else {
        Outcome::Success
    };
}

/// What a `run:` step left.
struct Ran {
    outcome: Outcome,
    outputs: BTreeMap<String, String>,
    stdout: String,
    stderr: String,
    summary: String,
}

/// Runs `script` as GitHub runs a bash step: written to a file, `bash --noprofile --norc -eo
/// pipefail FILE`, in `cwd`, with only the runner's variables and `env`.
fn script_step(
    machine: &mut Machine,
    script: &str,
    env: &BTreeMap<String, String>,
    cwd: &Path,
    (github, world_path): (&Value, &str),
    action_path: Option<&Path>,
    step_id: Option<&str>,
) -> Ran {
    let output = machine.file("set_output");
    let env_file = machine.file("set_env");
    let path_file = machine.file("add_path");
    let summary = machine.file("step_summary");
    let script_file = machine.file("script").with_extension("sh");
    fs_err::write(&script_file, script).expect("write the step's script");
    let mut vars = env.clone();
    let mut defaults = default_variables(machine, &output, &env_file, &path_file, &summary);
    complete_variables(&mut defaults, github, world_path);
    vars.extend(defaults);
    if let Some(dir) = action_path {
        vars.insert("GITHUB_ACTION_PATH".to_owned(), dir.display().to_string());
    }
    vars.insert(
        "GITHUB_ACTION".to_owned(),
        step_id.unwrap_or("__run").to_owned(),
    );
    let result = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script_file)
        .env_clear()
        .envs(&vars)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output();
    let (outcome, stdout, stderr) = match result {
        Ok(out) => (
            if out.status.success() {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            String::from_utf8_lossy(&out.stdout).into_owned(),
            format!(
                "{}(exit: {})",
                String::from_utf8_lossy(&out.stderr),
                out.status
            ),
        ),
        Err(e) => (
            Outcome::Failure,
            String::new(),
            format!("bash did not start in {}: {e}", cwd.display()),
        ),
    };
    let read = |p: &Path| fs_err::read_to_string(p).unwrap_or_default();
    let outputs = parse_file_commands(&read(&output));
    machine
        .github_env
        .extend(parse_file_commands(&read(&env_file)));
    for line in read(&path_file).lines().filter(|l| !l.trim().is_empty()) {
        machine.path.insert(0, line.trim().to_owned());
    }
    Ran {
        outcome,
        outputs,
        stdout,
        stderr,
        summary: read(&summary),
    }
}
