//! The parts of a workflow file and an `action.yml` the runner reads, parsed with
//! `serde-saphyr`. Keys the runner does not implement but that change what a job does
//! (`strategy`, `container`, `services`, `defaults`) are refused when a job is run rather than
//! ignored; keys that only schedule or limit a job on GitHub (`runs-on`, `timeout-minutes`,
//! `concurrency`) are not read.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// A workflow file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct Workflow {
    pub name: Option<String>,
    /// The triggers, kept as a document: only `workflow_call` and `workflow_dispatch` are read.
    #[serde(rename = "on", default)]
    pub on: Value,
    #[serde(default)]
    pub env: BTreeMap<String, Value>,
    pub permissions: Option<Value>,
    pub jobs: BTreeMap<String, Job>,
}

/// One job: steps on a runner, or a call of a reusable workflow (`uses:`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct Job {
    pub name: Option<String>,
    #[serde(default)]
    pub needs: Needs,
    #[serde(rename = "if")]
    pub condition: Option<Value>,
    pub permissions: Option<Value>,
    #[serde(default)]
    pub env: BTreeMap<String, Value>,
    #[serde(default)]
    pub outputs: BTreeMap<String, Value>,
    #[serde(default)]
    pub steps: Vec<Step>,
    pub uses: Option<String>,
    #[serde(default)]
    pub with: BTreeMap<String, Value>,
    pub secrets: Option<Value>,
    pub strategy: Option<Value>,
    pub container: Option<Value>,
    pub services: Option<Value>,
    pub defaults: Option<Value>,
    pub continue_on_error: Option<Value>,
}

/// `needs:`, one job or a list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub(crate) enum Needs {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Needs {
    pub(crate) fn ids(&self) -> Vec<String> {
        match self {
            Needs::None => Vec::new(),
            Needs::One(id) => vec![id.clone()],
            Needs::Many(ids) => ids.clone(),
        }
    }
}

/// One step of a job or of a composite action.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct Step {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "if")]
    pub condition: Option<Value>,
    pub uses: Option<String>,
    pub run: Option<String>,
    pub shell: Option<String>,
    #[serde(default)]
    pub with: BTreeMap<String, Value>,
    #[serde(default)]
    pub env: BTreeMap<String, Value>,
    pub working_directory: Option<String>,
    pub continue_on_error: Option<Value>,
}

/// An `action.yml`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Action {
    #[serde(default)]
    pub inputs: BTreeMap<String, ActionInput>,
    #[serde(default)]
    pub outputs: BTreeMap<String, ActionOutput>,
    pub runs: Runs,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ActionInput {
    pub default: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ActionOutput {
    pub value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Runs {
    pub using: String,
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// `on.workflow_call` (and `on.workflow_dispatch`, whose `inputs` have the same shape).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Trigger {
    #[serde(default)]
    pub inputs: BTreeMap<String, InputSpec>,
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretSpec>,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputSpec>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct InputSpec {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub required: bool,
    pub default: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SecretSpec {
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OutputSpec {
    pub value: String,
}

impl Workflow {
    /// The workflow at `path`; panics with the parser's message when it is not one.
    pub(crate) fn load(path: &Path) -> Self {
        let text = fs_err::read_to_string(path).expect("read the workflow");
        serde_saphyr::from_str(&text).unwrap_or_else(|e| {
            panic!("{} is not a workflow the runner reads: {e}", path.display())
        })
    }

    /// `on.<event>`, if the workflow has that trigger (a trigger with no settings is empty).
    pub(crate) fn trigger(&self, event: &str) -> Option<Trigger> {
        let on = self.on.as_object()?;
        let spec = on.get(event)?;
        if spec.is_null() {
            return Some(Trigger::default());
        }
        Some(
            serde_json::from_value(spec.clone())
                .unwrap_or_else(|e| panic!("`on.{event}` is not understood: {e}")),
        )
    }
}

impl Action {
    /// The `action.yml` (or `action.yaml`) in `dir`.
    pub(crate) fn load(dir: &Path) -> Self {
        let path = ["action.yml", "action.yaml"]
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("no action.yml in {}", dir.display()));
        let text = fs_err::read_to_string(&path).expect("read the action");
        serde_saphyr::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not an action the runner reads: {e}", path.display()))
    }
}

/// A scalar of a `with:`, `env:` or `outputs:` map as the text GitHub sees (`true`, `5`, `a`).
pub(crate) fn scalar_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}
