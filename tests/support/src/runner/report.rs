//! What a run records: every job and step with its outcome, inputs, outputs, output and
//! duration, and the views tests assert on.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// How a job or step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Skipped,
}

impl Outcome {
    /// GitHub's word: `success`, `failure`, `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One step as it ran.
#[derive(Debug, Clone)]
pub struct StepRun {
    pub name: String,
    pub id: Option<String>,
    pub uses: Option<String>,
    pub outcome: Outcome,
    /// Its `with:` as evaluated (composite actions: with the defaults applied).
    pub with: BTreeMap<String, String>,
    pub outputs: BTreeMap<String, String>,
    pub stdout: String,
    pub stderr: String,
    pub summary: String,
    /// A composite action's own steps.
    pub steps: Vec<StepRun>,
    pub seconds: f64,
}

/// One job as it ran.
#[derive(Debug, Clone)]
pub struct JobRun {
    pub id: String,
    pub name: String,
    pub result: Outcome,
    pub outputs: BTreeMap<String, String>,
    pub steps: Vec<StepRun>,
    /// The run of the reusable workflow a `uses:` job called.
    pub called: Option<Box<WorkflowRun>>,
    /// Why the job failed before any step ran (an `if:` that does not evaluate, a missing
    /// required input or secret).
    pub error: Option<String>,
    pub seconds: f64,
}

/// One workflow as it ran.
#[derive(Debug, Clone)]
pub struct WorkflowRun {
    pub file: PathBuf,
    pub conclusion: Outcome,
    pub jobs: Vec<JobRun>,
    /// `on.workflow_call.outputs` of a called workflow.
    pub outputs: BTreeMap<String, String>,
    pub seconds: f64,
}

impl WorkflowRun {
    /// The job at `path` (`provision`, or `provision/apply` inside the workflow it called).
    pub fn job(&self, path: &str) -> &JobRun {
        let (head, rest) = path
            .split_once('/')
            .map_or((path, None), |(h, r)| (h, Some(r)));
        let job = self.jobs.iter().find(|j| j.id == head).unwrap_or_else(|| {
            panic!(
                "no job `{head}` in {}: {:?}",
                self.file.display(),
                self.results()
            )
        });
        match rest {
            None => job,
            Some(rest) => job
                .called
                .as_ref()
                .unwrap_or_else(|| panic!("job `{head}` called no workflow"))
                .job(rest),
        }
    }

    /// Every job in the order it ran (those of a called workflow right after their caller, as
    /// `caller/called`), with its result.
    pub fn results(&self) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        for job in &self.jobs {
            out.push((job.id.clone(), job.result.as_str()));
            if let Some(called) = &job.called {
                out.extend(
                    called
                        .results()
                        .into_iter()
                        .map(|(id, r)| (format!("{}/{id}", job.id), r)),
                );
            }
        }
        out
    }

    /// How long each job and step took, one line each, for a suite's log.
    pub fn timings(&self) -> String {
        let mut out = format!("{} ({:.1}s)\n", self.file.display(), self.seconds);
        fn step_lines(out: &mut String, indent: usize, steps: &[StepRun]) {
            for s in steps.iter().filter(|s| s.outcome != Outcome::Skipped) {
                out.push_str(&format!(
                    "{:indent$}{:>6.1}s  {} ({})\n",
                    "",
                    s.seconds,
                    s.name,
                    s.outcome.as_str()
                ));
                step_lines(out, indent + 2, &s.steps);
            }
        }
        fn job_lines(out: &mut String, indent: usize, run: &WorkflowRun) {
            for j in &run.jobs {
                out.push_str(&format!(
                    "{:indent$}{:>6.1}s job {} ({})\n",
                    "",
                    j.seconds,
                    j.id,
                    j.result.as_str()
                ));
                step_lines(out, indent + 2, &j.steps);
                if let Some(called) = &j.called {
                    job_lines(out, indent + 2, called);
                }
            }
        }
        job_lines(&mut out, 0, self);
        out
    }
}

impl JobRun {
    /// The step named or with id `name` (top level).
    pub fn step(&self, name: &str) -> &StepRun {
        self.steps
            .iter()
            .find(|s| s.name == name || s.id.as_deref() == Some(name))
            .unwrap_or_else(|| {
                let names: Vec<&str> = self.steps.iter().map(|s| s.name.as_str()).collect();
                panic!("no step `{name}` in job `{}`: {names:?}", self.id)
            })
    }
}
