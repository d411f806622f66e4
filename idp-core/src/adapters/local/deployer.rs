//! The local [`Deployer`]: the deployment state machine of the memory deployer, kept in
//! `<dir>/.local/deployer.json` so every process sees it; published sites are copied to
//! `<dir>/.local/sites/<bucket>/` (their keys and content types, and each distribution's
//! invalidations, in `<dir>/.local/sites.json`).

use std::io;
use std::path::PathBuf;

use async_trait::async_trait;

use super::fs::{self, BACKEND};
use crate::adapters::model::deployer::DeployerState;
use crate::adapters::model::site::{self, SiteState};
use crate::ports::{
    AlarmStatus, DeployError, Deployer, ExecOutcome, ExecTarget, RolloutState, ServiceHealth,
    SitePublish, SitePublished,
};

const STATE_FILE: &str = "deployer.json";
const SITES_FILE: &str = "sites.json";
const SITES_DIR: &str = "sites";

/// A [`Deployer`] whose services live in a local file.
///
/// It records services and deployments; it does not start processes. The local process runtime
/// registers the service it starts ([`LocalDeployer::add_service`]), sees a new `IN_PROGRESS`
/// deployment after [`Deployer::force_new_deployment`], restarts the process and reports the
/// result with [`LocalDeployer::complete_deployment`] or [`LocalDeployer::set_health`].
#[derive(Debug, Clone)]
pub struct LocalDeployer {
    root: PathBuf,
}

fn io(e: io::Error) -> DeployError {
    DeployError::Backend {
        backend: BACKEND,
        source: e.into(),
    }
}

impl LocalDeployer {
    /// A deployer keeping its state under `root` (the local backend's directory).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn update<R>(
        &self,
        change: impl FnOnce(&mut DeployerState) -> Result<R, DeployError>,
    ) -> Result<R, DeployError> {
        fs::update_json(&self.root, STATE_FILE, change).map_err(io)?
    }

    /// The folder a published site's bucket is copied to: `<dir>/.local/sites/<bucket>`.
    pub fn site_dir(&self, bucket: &str) -> PathBuf {
        self.root
            .join(fs::LOCAL_DIR)
            .join(SITES_DIR)
            .join(fs::escape_file_name(bucket))
    }

    /// The ids of the cache invalidations of `distribution_id`, oldest first.
    pub fn invalidations(&self, distribution_id: &str) -> Result<Vec<String>, DeployError> {
        let state: SiteState = fs::read_json_state(&self.root, SITES_FILE).map_err(io)?;
        Ok(state
            .invalidations
            .get(distribution_id)
            .cloned()
            .unwrap_or_default())
    }

    /// Registers a steady, active service running `desired` tasks.
    pub fn add_service(
        &self,
        cluster: &str,
        service: &str,
        desired: u32,
    ) -> Result<(), DeployError> {
        self.update(|s| {
            s.add_service(cluster, service, desired);
            Ok(())
        })
    }

    /// Replaces what [`Deployer::describe`] reports for a service (registering it if needed).
    pub fn set_health(
        &self,
        cluster: &str,
        service: &str,
        health: ServiceHealth,
    ) -> Result<(), DeployError> {
        self.update(|s| {
            s.set_health(cluster, service, health);
            Ok(())
        })
    }

    /// Finishes the newest deployment: `COMPLETED`, all desired tasks running.
    pub fn complete_deployment(&self, cluster: &str, service: &str) -> Result<(), DeployError> {
        self.update(|s| {
            s.update(cluster, service, |h| {
                h.running = h.desired;
                h.pending = 0;
                if let Some(d) = &mut h.last_deployment {
                    d.rollout_state = RolloutState::Completed;
                }
            })
        })
    }
}

#[async_trait]
impl Deployer for LocalDeployer {
    async fn force_new_deployment(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<String, DeployError> {
        let (this, cluster, service) = (self.clone(), cluster.to_owned(), service.to_owned());
        fs::blocking(move || this.update(|s| s.force_new_deployment(&cluster, &service)))
            .await
            .unwrap_or_else(|e| {
                Err(DeployError::Backend {
                    backend: BACKEND,
                    source: e.into(),
                })
            })
    }

    async fn describe(&self, cluster: &str, service: &str) -> Result<ServiceHealth, DeployError> {
        let (root, cluster, service) = (self.root.clone(), cluster.to_owned(), service.to_owned());
        fs::blocking(move || {
            fs::read_json_state::<DeployerState>(&root, STATE_FILE)
                .map_err(io)?
                .describe(&cluster, &service)
        })
        .await
        .unwrap_or_else(|e| {
            Err(DeployError::Backend {
                backend: BACKEND,
                source: e.into(),
            })
        })
    }

    /// Runs `command` in the directory the app runs in, with the app's `PORT`,
    /// `IDP_ENVIRONMENT` and `IDP_ENDPOINT`, stdin, stdout and stderr inherited.
    async fn exec(
        &self,
        target: &ExecTarget,
        command: &[String],
    ) -> Result<ExecOutcome, DeployError> {
        let not_running = || DeployError::NotFound {
            cluster: "local".to_owned(),
            service: format!("the app of `{}` (it is not running)", target.env),
        };
        let (program, args) = command.split_first().ok_or_else(|| DeployError::Backend {
            backend: BACKEND,
            source: "no command to run: pass it after `--`".into(),
        })?;
        let app = super::runtime::running_app(&self.root, &target.env)
            .map_err(|e| DeployError::Backend {
                backend: BACKEND,
                source: e.into(),
            })?
            .ok_or_else(not_running)?;
        #[allow(
            clippy::disallowed_methods,
            reason = "the local backend runs the user's command beside the app"
        )]
        let status = tokio::process::Command::new(program)
            .args(args)
            .current_dir(&app.working_dir)
            .env("PORT", app.port.to_string())
            .env("IDP_ENVIRONMENT", target.env.as_str())
            .env("IDP_ENDPOINT", format!("http://127.0.0.1:{}", app.port))
            .status()
            .await
            .map_err(|e| DeployError::Backend {
                backend: BACKEND,
                source: format!("cannot run `{}`: {e}", program.escape_debug()).into(),
            })?;
        Ok(ExecOutcome {
            exit_code: status.code(),
            ran_in: format!(
                "{} (beside pid {}, port {})",
                app.working_dir.display(),
                app.pid,
                app.port
            ),
        })
    }

    /// Copies every file of the folder to [`LocalDeployer::site_dir`] of the bucket and
    /// removes the copies no file stands for any more.
    async fn publish_site(&self, site: &SitePublish) -> Result<SitePublished, DeployError> {
        let files = site::files(&site.dir)?;
        let target = self.site_dir(&site.bucket);
        fn failed(
            call: &'static str,
            path: &std::path::Path,
        ) -> impl FnOnce(io::Error) -> DeployError {
            let path = path.display().to_string();
            move |e| DeployError::Site {
                call,
                path,
                source: e.into(),
            }
        }
        for file in &files {
            let segments = fs::key_segments(&file.key).map_err(|reason| DeployError::Site {
                call: "write",
                path: file.path.display().to_string(),
                source: reason.into(),
            })?;
            let path = fs::key_path(&target, &segments);
            fs::atomic_write(&path, &file.read()?).map_err(failed("write", &path))?;
        }
        let (published, removed) = fs::update_json(&self.root, SITES_FILE, |s: &mut SiteState| {
            Ok::<_, DeployError>(s.publish(site, &files))
        })
        .map_err(io)??;
        for key in removed {
            if let Ok(segments) = fs::key_segments(&key) {
                let path = fs::key_path(&target, &segments);
                fs::remove_optional(&path).map_err(failed("remove", &path))?;
            }
        }
        Ok(published)
    }

    /// A local process has no monitoring service: no alarms.
    async fn alarms(&self, _names: &[String]) -> Result<Vec<AlarmStatus>, DeployError> {
        Ok(Vec::new())
    }
}
