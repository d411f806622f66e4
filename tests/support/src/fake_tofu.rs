//! A recorded stand-in for the OpenTofu CLI, shared by the OpenTofu adapter's own tests and the
//! provisioner conformance suite.
//!
//! The fixture is a small shell script standing in for `tofu`: it appends its working
//! directory, environment and argv to a file, copies the `-var-file` it is given, prints a
//! recorded `tofu output -json` document (`fixtures/tofu-output.json`), and on demand fails with
//! a given exit code and error output, hangs, or keeps a state per backend key.
#![allow(
    clippy::disallowed_methods,
    reason = "the fixture writes its script and reads what it recorded"
)]

use std::path::PathBuf;
use std::time::Duration;

use idp_core::adapters::tofu::{TofuConfig, TofuProvisioner};
use tempfile::TempDir;

const FAKE_TOFU: &str = r#"#!/bin/sh
# A recorded stand-in for the OpenTofu CLI.
D=$(dirname "$0")
cmd=$1
{
  printf 'cwd=%s\n' "$PWD"
  printf 'env=TF_IN_AUTOMATION=%s TF_INPUT=%s TF_DATA_DIR=%s%s\n' "$TF_IN_AUTOMATION" "$TF_INPUT" "$TF_DATA_DIR" "${AWS_ENDPOINT_URL:+ AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL}"
  for a in "$@"; do printf 'arg=%s\n' "$a"; done
  echo end
} >> "$D/calls"
for a in "$@"; do
  case "$a" in
    -backend-config=key=*) printf '%s' "${a#-backend-config=key=}" | tr '/' '_' > "$TF_DATA_DIR/backend-key" ;;
    -var-file=*) f=${a#-var-file=}; cat "$f" > "$D/varfile-$cmd"; printf '%s' "$f" > "$D/varfile-path-$cmd" ;;
  esac
done
if [ -f "$D/hang-$cmd" ]; then
  sleep 60 &
  echo $! > "$D/grandchild"
  echo $$ > "$D/pid"
  echo "Acquiring state lock. This may take a few moments..." >&2
  exec sleep 60
fi
if [ -f "$D/fail-$cmd" ]; then
  cat "$D/fail-$cmd" >&2
  code=$(cat "$D/exit-$cmd")
  if [ -f "$D/once-$cmd" ]; then rm -f "$D/fail-$cmd" "$D/once-$cmd"; fi
  exit "$code"
fi
if [ -f "$D/stateful" ]; then
  # One state per backend key, as in the S3 backend: apply creates it, destroy removes it.
  state="$D/state-$(cat "$TF_DATA_DIR/backend-key")"
  case "$cmd" in
    apply) touch "$state" ;;
    destroy) rm -f "$state" ;;
    output) if [ -f "$state" ]; then cat "$D/output.json"; else echo '{}'; fi ;;
  esac
  exit 0
fi
if [ "$cmd" = output ]; then cat "$D/output.json"; fi
exit 0
"#;

const RECORDED_OUTPUT: &str = include_str!("../fixtures/tofu-output.json");

/// One recorded invocation of the fixture.
#[derive(Debug)]
pub struct Call {
    pub cwd: PathBuf,
    pub env: String,
    pub args: Vec<String>,
}

pub struct Fixture {
    pub dir: TempDir,
    pub provisioner: TofuProvisioner,
    config: TofuConfig,
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

impl Fixture {
    pub fn new() -> Self {
        Self::with_timeout(Duration::from_secs(60))
    }

    pub fn with_timeout(timeout: Duration) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(dir.path().join("templates/api-service")).unwrap();
        let program = bin.join("tofu");
        std::fs::write(&program, FAKE_TOFU).unwrap();
        std::fs::set_permissions(
            &program,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        std::fs::write(bin.join("output.json"), RECORDED_OUTPUT).unwrap();
        let mut config = TofuConfig::new(
            dir.path().join("templates"),
            dir.path().join("data"),
            "idp-state-123456789012",
            "idp-locks",
            "us-east-1",
        );
        config.program = program;
        config.command_timeout = timeout;
        Self {
            provisioner: TofuProvisioner::new(config.clone()),
            config,
            dir,
        }
    }

    /// The configuration the provisioner was built with (the fixture program, its directories).
    pub fn config(&self) -> &TofuConfig {
        &self.config
    }

    pub fn bin(&self, file: &str) -> PathBuf {
        self.dir.path().join("bin").join(file)
    }

    pub fn fail(&self, subcommand: &str, exit_code: i32, stderr: &str) {
        std::fs::write(self.bin(&format!("fail-{subcommand}")), stderr).unwrap();
        std::fs::write(
            self.bin(&format!("exit-{subcommand}")),
            exit_code.to_string(),
        )
        .unwrap();
    }

    /// [`Fixture::fail`], for the next `subcommand` only.
    pub fn fail_once(&self, subcommand: &str, exit_code: i32, stderr: &str) {
        self.fail(subcommand, exit_code, stderr);
        std::fs::write(self.bin(&format!("once-{subcommand}")), "").unwrap();
    }

    pub fn calls(&self) -> Vec<Call> {
        let Ok(text) = std::fs::read_to_string(self.bin("calls")) else {
            return Vec::new();
        };
        let mut calls = Vec::new();
        let mut current = Call {
            cwd: PathBuf::new(),
            env: String::new(),
            args: Vec::new(),
        };
        for line in text.lines() {
            if let Some(cwd) = line.strip_prefix("cwd=") {
                current.cwd = PathBuf::from(cwd);
            } else if let Some(env) = line.strip_prefix("env=") {
                current.env = env.to_owned();
            } else if let Some(arg) = line.strip_prefix("arg=") {
                current.args.push(arg.to_owned());
            } else if line == "end" {
                calls.push(std::mem::replace(
                    &mut current,
                    Call {
                        cwd: PathBuf::new(),
                        env: String::new(),
                        args: Vec::new(),
                    },
                ));
            }
        }
        calls
    }

    /// Makes the fixture keep a state per backend key: `apply` creates it, `destroy` removes it
    /// and `output` prints the recorded outputs only while it exists (`{}` otherwise).
    pub fn stateful(&self) {
        std::fs::write(self.bin("stateful"), "").unwrap();
    }

    pub fn template_dir(&self) -> PathBuf {
        self.dir.path().join("templates/api-service")
    }

    /// The working copy of the template where `env`'s commands run.
    pub fn working_copy(&self, env: &str) -> PathBuf {
        self.dir
            .path()
            .join("data")
            .join(env)
            .join("workdir/templates/api-service")
    }
}
