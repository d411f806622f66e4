//! Teams on the shared cluster: `teams/<team>/team.yaml` and the Argo CD ApplicationSets that
//! turn every team file into its project, namespace and apps.
//!
//! A team file is checked here with every problem at its line and key ([`parse`], [`check_all`]);
//! [`applicationsets`] renders the three ApplicationSets that read the files in the GitOps
//! repository (`team-projects`, `team-namespaces`, `team-apps`), and [`team_objects`] what they
//! generate for one team: its AppProject and its namespace with quota, default limits,
//! default-deny network policies and the `developer` / `viewer` roles bound to its people.
//!
//! # `team.yaml`
//!
//! ```yaml
//! name: payments                 # required: a DNS-1123 label of at most 53 characters,
//!                                # equal to the folder name (teams/payments/team.yaml)
//! description: Payments squad    # optional, one line
//! members: [alice, bob-smith]    # GitHub logins: `developer` (Kubernetes `User` subjects)
//! groups: [acme/payments]        # `org/team` or IdP group names: `developer` (Argo CD project
//!                                # role and Kubernetes `Group` subjects)
//! viewers: [acme/support]        # optional groups with read-only access (`viewer`)
//! quota:                         # the namespace's ResourceQuota (requests and limits)
//!   cpu: "20"                    # default "20"
//!   memory: 40Gi                 # default 40Gi
//!   pods: 50                     # default 50
//! limits:                        # the LimitRange's default limit and request per container
//!   cpu: 500m                    # default 500m
//!   memory: 512Mi                # default 512Mi
//! apps:                          # one Argo CD Application `<team>-<app>` each
//!   - name: api                  # DNS-1123 label; `<team>-<app>` at most 63 characters
//!     repoURL: https://github.com/acme/payments-api
//!     path: deploy               # default `.`
//!     targetRevision: main       # default HEAD
//! ```
//!
//! A team needs at least one member or group. Quantities are Kubernetes quantities (`500m`,
//! `2`, `512Mi`, `1G`); the default limit must fit in the quota.

use serde::Serialize;

use crate::domain::config::{ConfigError, ConfigErrors};

pub(in crate::domain) mod check;
mod read;
mod render;
#[cfg(test)]
mod tests;

pub use render::{applicationsets, team_objects};

/// The file every team folder holds.
pub const FILE_NAME: &str = "team.yaml";
/// The namespace of team `name` is `team-<name>`, as is its Argo CD project.
pub const NAMESPACE_PREFIX: &str = "team-";
/// The label every object of a team carries, with the team's name.
pub const TEAM_LABEL: &str = "idp.dev/team";
/// The longest team name: `<name>-namespace`, the Application of its namespace, must stay a
/// valid label value (63 characters).
pub const MAX_NAME_LEN: usize = 53;
/// The longest team file read; a longer one is refused before parsing.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// App names that would collide with the Applications idp generates for the team itself.
pub const RESERVED_APP_NAMES: [&str; 2] = ["project", "namespace"];

/// The default ResourceQuota CPU of a team.
pub const DEFAULT_QUOTA_CPU: &str = "20";
/// The default ResourceQuota memory of a team.
pub const DEFAULT_QUOTA_MEMORY: &str = "40Gi";
/// The default number of pods a team may run.
pub const DEFAULT_QUOTA_PODS: u32 = 50;
/// The default CPU limit (and request) of a container.
pub const DEFAULT_LIMIT_CPU: &str = "500m";
/// The default memory limit (and request) of a container.
pub const DEFAULT_LIMIT_MEMORY: &str = "512Mi";
/// The path of an app's manifests in its repository when `path` is unset.
pub const DEFAULT_APP_PATH: &str = ".";
/// The revision an app follows when `targetRevision` is unset.
pub const DEFAULT_APP_REVISION: &str = "HEAD";

/// One validated `teams/<team>/team.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Team {
    /// The team's name (its folder's name).
    pub name: String,
    /// What the team does, if said.
    pub description: Option<String>,
    /// GitHub logins with the `developer` role.
    pub members: Vec<String>,
    /// Groups (`org/team`, IdP groups) with the `developer` role.
    pub groups: Vec<String>,
    /// Groups with the `viewer` role.
    pub viewers: Vec<String>,
    /// The namespace's ResourceQuota.
    pub quota: Quota,
    /// The namespace's default container limits.
    pub limits: Limits,
    /// The team's Argo CD Applications, in file order.
    pub apps: Vec<App>,
    /// The file the team was read from, as errors name it.
    pub file: String,
}

impl Team {
    /// `team-<name>`: the namespace and the Argo CD project of the team.
    pub fn namespace(&self) -> String {
        format!("{NAMESPACE_PREFIX}{}", self.name)
    }

    /// The names of the Argo CD Applications the ApplicationSets generate for this team.
    pub fn application_names(&self) -> Vec<String> {
        let mut names = vec![
            format!("{}-project", self.name),
            format!("{}-namespace", self.name),
        ];
        names.extend(
            self.apps
                .iter()
                .map(|a| format!("{}-{}", self.name, a.name)),
        );
        names
    }
}

/// A team's ResourceQuota: what all its pods together may request and use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quota {
    /// CPU, a Kubernetes quantity (`20`, `7500m`).
    pub cpu: String,
    /// Memory, a Kubernetes quantity (`40Gi`).
    pub memory: String,
    /// The most pods at once.
    pub pods: u32,
}

impl Default for Quota {
    fn default() -> Self {
        Self {
            cpu: DEFAULT_QUOTA_CPU.to_owned(),
            memory: DEFAULT_QUOTA_MEMORY.to_owned(),
            pods: DEFAULT_QUOTA_PODS,
        }
    }
}

/// The LimitRange default of a container that sets no resources (limit and request alike).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// CPU, a Kubernetes quantity (`500m`).
    pub cpu: String,
    /// Memory, a Kubernetes quantity (`512Mi`).
    pub memory: String,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            cpu: DEFAULT_LIMIT_CPU.to_owned(),
            memory: DEFAULT_LIMIT_MEMORY.to_owned(),
        }
    }
}

/// One app of a team, deployed by the `team-apps` ApplicationSet as `<team>-<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct App {
    /// The app's name, unique in the team.
    pub name: String,
    /// The https URL of the repository with its manifests.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// The directory of its manifests in that repository.
    pub path: String,
    /// The branch, tag or commit Argo CD follows.
    #[serde(rename = "targetRevision")]
    pub target_revision: String,
}

/// Where the platform keeps the team files and charts, and where Argo CD runs: the settings
/// the ApplicationSets are rendered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Platform {
    /// The https URL of the GitOps repository holding `teams/*/team.yaml` and the charts.
    pub repo_url: String,
    /// The revision of that repository Argo CD reads.
    pub revision: String,
    /// The folder of the team files in that repository (`teams`).
    pub teams_path: String,
    /// The namespace Argo CD (and its ApplicationSets and AppProjects) runs in.
    pub argocd_namespace: String,
    /// The Argo CD project of the `<team>-project` and `<team>-namespace` Applications; it may
    /// create AppProjects and Namespaces.
    pub project: String,
    /// The Helm chart, in the GitOps repository, that renders a team's AppProject.
    pub project_chart: String,
    /// The Helm chart, in the GitOps repository, that renders a team's namespace objects.
    pub resources_chart: String,
    /// The cluster the Applications deploy to.
    pub destination_server: String,
    /// The namespace of the ingress controller, allowed to reach the teams' pods; none: no
    /// traffic from outside the namespace.
    pub ingress_namespace: Option<String>,
}

impl Default for Platform {
    /// The defaults of the specification, with no repository.
    fn default() -> Self {
        Self {
            repo_url: String::new(),
            revision: "main".to_owned(),
            teams_path: "teams".to_owned(),
            argocd_namespace: "argocd".to_owned(),
            project: "platform".to_owned(),
            project_chart: "platform/team-project".to_owned(),
            resources_chart: "platform/team-resources".to_owned(),
            destination_server: "https://kubernetes.default.svc".to_owned(),
            ingress_namespace: None,
        }
    }
}

impl Platform {
    /// Every problem of these settings, one sentence each with its fix; empty when they are
    /// usable. `what` names each setting as the caller's user knows it (a flag, a key).
    pub fn problems(&self, what: impl Fn(&str) -> String) -> Vec<String> {
        check::platform(self, what)
    }
}

/// Read one team file. `file` is its path as errors show it; `folder` the name of the folder
/// it is in, which the team's `name` must equal. Every problem is reported, each at its key.
pub fn parse(text: &str, file: &str, folder: &str) -> Result<Team, ConfigErrors> {
    read::parse_with_positions(text, file, folder).map(|(team, _)| team)
}

/// The problems between teams that each file alone cannot show: two teams generating the same
/// Argo CD Application name (`a-b` + app `c` and `a` + app `b-c`). Each is reported in the file
/// of the later team (by name), at its `name` or the app's `name`.
pub fn check_all(teams: &[(Team, TeamPositions)]) -> Vec<ConfigError> {
    check::across(teams)
}

/// Where a team's keys are in its file, for errors found after parsing ([`check_all`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamPositions {
    /// Line and column of `name`.
    pub name: (usize, usize),
    /// Line and column of each app's `name`, in order.
    pub apps: Vec<(usize, usize)>,
}

/// [`parse`], also returning where the keys are (for [`check_all`]).
pub fn parse_with_positions(
    text: &str,
    file: &str,
    folder: &str,
) -> Result<(Team, TeamPositions), ConfigErrors> {
    read::parse_with_positions(text, file, folder)
}
