//! `idp.Config`: the validated `.idp/config.yml`, and the conversion of keyword arguments
//! (`create(..., health_check_path="/health")`) into one.
//!
//! Keyword arguments are never validated here: they are written out as a YAML document and read
//! by idp-core's own parser, so every rule, default and error message (with the offending key)
//! is exactly the file's.

use std::path::PathBuf;

use idp_core::domain::config::Config as CoreConfig;
use idp_core::error::Error;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors;
use crate::reports::json_to_py;

/// The name used for keyword arguments in configuration errors (`ConfigError.file`).
const ARGUMENTS: &str = "<arguments>";

/// The configuration of a repository's preview environments (`.idp/config.yml`), validated.
///
/// Build one with `Config.load(path)`, `Config.from_yaml(text)` or `Config(**fields)` (the
/// file's keys as keyword arguments, e.g. `Config(cpu=512, memory=1024)`).
#[pyclass(frozen, module = "idp", eq)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Config {
    pub(crate) inner: CoreConfig,
}

/// Build a configuration from the file's keys given as Python values (`None` means "unset").
pub(crate) fn from_fields(
    py: Python<'_>,
    fields: Option<&Bound<'_, PyDict>>,
) -> PyResult<CoreConfig> {
    let set = PyDict::new(py);
    if let Some(fields) = fields {
        for (key, value) in fields.iter() {
            if !value.is_none() {
                set.set_item(key, value)?;
            }
        }
    }
    if set.is_empty() {
        return Ok(CoreConfig::default());
    }
    // `json.dumps` raises TypeError for values that have no place in a config file.
    let text: String = py
        .import("json")?
        .call_method1("dumps", (set,))?
        .extract()?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    let yaml = serde_saphyr::to_string(&value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    CoreConfig::from_yaml(&yaml, ARGUMENTS).map_err(|e| errors::to_py(py, &Error::from(e)))
}

#[pymethods]
impl Config {
    /// A configuration from the file's keys as keyword arguments; no arguments gives the
    /// defaults. Raises `ConfigError` naming every bad key.
    #[new]
    #[pyo3(signature = (**fields))]
    fn new(py: Python<'_>, fields: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Ok(Self {
            inner: from_fields(py, fields)?,
        })
    }

    /// Read and validate a repository's configuration, by the rule every idp frontend applies:
    /// no `path` (or a directory) means `.idp/config.yml` there, whose absence gives the
    /// defaults; a file named anywhere else must exist. Raises `NotFound` for a named file that
    /// does not exist and `ConfigError` (every problem, each at its line and column) if it is
    /// invalid.
    #[staticmethod]
    #[pyo3(signature = (path=None))]
    fn load(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Self> {
        let inner = idp_core::setup::config_file::load(path.as_deref())
            .map_err(|e| errors::to_py(py, &e))?;
        Ok(Self { inner })
    }

    /// Validate the text of a configuration file; `path` is the name errors give (default
    /// `<string>`). An empty document gives the defaults.
    #[staticmethod]
    #[pyo3(signature = (text, path=None))]
    fn from_yaml(py: Python<'_>, text: &str, path: Option<PathBuf>) -> PyResult<Self> {
        let file = path.map_or_else(|| "<string>".to_owned(), |p| p.display().to_string());
        Self::parse(py, text, &file)
    }

    /// The infrastructure template, e.g. `api-service`.
    #[getter]
    fn template(&self) -> String {
        self.inner.template.to_string()
    }

    /// The port the container listens on.
    #[getter]
    fn container_port(&self) -> u16 {
        self.inner.container_port
    }

    /// How long an environment lives after its last push.
    #[getter]
    fn ttl(&self) -> chrono::TimeDelta {
        self.inner.ttl.duration()
    }

    /// Fargate CPU units.
    #[getter]
    fn cpu(&self) -> u32 {
        self.inner.cpu
    }

    /// Fargate memory in MiB.
    #[getter]
    fn memory(&self) -> u32 {
        self.inner.memory
    }

    /// CloudWatch log retention in days.
    #[getter]
    fn log_retention_days(&self) -> u32 {
        self.inner.log_retention_days
    }

    /// The Dockerfile to build (`None`: auto-detected).
    #[getter]
    fn dockerfile(&self) -> Option<String> {
        self.inner.dockerfile.clone()
    }

    /// The docker build context.
    #[getter]
    fn build_context(&self) -> String {
        self.inner.build_context.clone()
    }

    /// The image to run when there is no Dockerfile.
    #[getter]
    fn image(&self) -> String {
        self.inner.image.clone()
    }

    /// Plain environment variables of the container (a new dict on every access).
    #[getter]
    fn environment(&self) -> std::collections::BTreeMap<String, String> {
        self.inner.environment.clone()
    }

    /// Secrets: variable name → Secrets Manager ARN (a new dict on every access).
    #[getter]
    fn secrets(&self) -> std::collections::BTreeMap<String, String> {
        self.inner.secrets.clone()
    }

    /// The HTTP path health checks request.
    #[getter]
    fn health_check_path(&self) -> String {
        self.inner.health_check_path.clone()
    }

    /// Whether environments use the shared preview VPC.
    #[getter]
    fn use_shared_networking(&self) -> bool {
        self.inner.use_shared_networking
    }

    /// `rate(...)` or `cron(...)` of a scheduled worker.
    #[getter]
    fn schedule_expression(&self) -> Option<String> {
        self.inner.schedule_expression.clone()
    }

    /// An S3 bucket the scheduled worker may read.
    #[getter]
    fn s3_bucket_arn(&self) -> Option<String> {
        self.inner.s3_bucket_arn.clone()
    }

    /// The folder of the built site a `static-site` uploads, relative to the repository root
    /// (`None`: `public`).
    #[getter]
    fn site_dir(&self) -> Option<String> {
        self.inner.site_dir.clone()
    }

    /// The AWS region (`None`: the platform's default).
    #[getter]
    fn region(&self) -> Option<String> {
        self.inner.region.clone()
    }

    /// The command that starts the app on the local backend (`local.command`).
    #[getter]
    fn local_command(&self) -> Option<String> {
        self.inner.local.command.clone()
    }

    /// The configuration in the file's shape: every key, `ttl` as text (`"7d"`), `local` as
    /// `{"command": ...}`. `Config(**c.to_dict()) == c`, and
    /// `platform.create(name=..., **c.to_dict())` creates from it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let mut value = serde_json::to_value(self.inner.to_raw())
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        if let Some(map) = value.as_object_mut() {
            // The old spelling of `image`; never written back.
            map.remove("container_image");
        }
        json_to_py(py, &value)
    }

    /// The configuration as a complete `.idp/config.yml` that `Config.from_yaml` reads back.
    fn to_yaml(&self) -> String {
        self.inner.to_yaml()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Config(**{})", self.to_dict(py)?.repr()?))
    }
}

impl Config {
    fn parse(py: Python<'_>, text: &str, file: &str) -> PyResult<Self> {
        CoreConfig::from_yaml(text, file)
            .map(|inner| Self { inner })
            .map_err(|e| errors::to_py(py, &Error::from(e)))
    }
}
