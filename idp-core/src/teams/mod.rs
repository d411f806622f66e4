//! Teams on the shared cluster, read from a GitOps repository's `teams/*/team.yaml`: check every
//! file alone and all of them together ([`validate`]), and render the Argo CD ApplicationSets and
//! what they generate for each team ([`render`]). The rules are in
//! [`crate::domain::kubernetes::teams`]; this module reads the files.
#![allow(
    clippy::disallowed_methods,
    reason = "team files are files in the GitOps repository"
)]

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::domain::config::ConfigError;
use crate::domain::kubernetes::Manifest;
use crate::domain::kubernetes::manifest::to_yaml;
use crate::domain::kubernetes::teams::{self, FILE_NAME, MAX_FILE_BYTES, Platform, Team};
use crate::error::{Error, Result};

/// What [`render`] renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderRequest {
    /// The folder of the team folders (`teams`).
    pub dir: PathBuf,
    /// Only this team's objects; `None`: the ApplicationSets and every team's objects.
    pub team: Option<String>,
    /// Where the GitOps repository and Argo CD are. An empty `teams_path` means `dir` (when it
    /// is a relative path inside the repository), else `teams`.
    pub platform: Platform,
}

/// Every team of a folder, the objects rendered for them, and every problem found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamsReport {
    /// The folder read.
    pub dir: PathBuf,
    /// Whether no problem was found.
    pub valid: bool,
    /// The valid teams, by name.
    pub teams: Vec<Team>,
    /// The rendered objects, in apply order; empty when there is a problem or nothing was
    /// asked to be rendered.
    pub manifests: Vec<Manifest>,
    /// Every problem of every file, by file and position.
    pub errors: Vec<ConfigError>,
}

impl TeamsReport {
    /// The manifests as one multi-document YAML stream.
    pub fn to_yaml(&self) -> String {
        to_yaml(&self.manifests)
    }
}

/// Read and check every `<dir>/*/team.yaml`: each file alone, then the teams together. Fails
/// only when the folder cannot be read; the files' problems are in the report.
pub fn validate(dir: &Path) -> Result<TeamsReport> {
    let mut read = read_all(dir)?;
    let positioned: Vec<_> = std::mem::take(&mut read.teams);
    read.errors.extend(teams::check_all(&positioned));
    read.errors.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.key).cmp(&(&b.file, b.line, b.column, &b.key))
    });
    let mut teams: Vec<Team> = positioned.into_iter().map(|(team, _)| team).collect();
    teams.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(TeamsReport {
        dir: dir.to_path_buf(),
        valid: read.errors.is_empty(),
        teams,
        manifests: Vec::new(),
        errors: read.errors,
    })
}

/// [`validate`], then, when every file is valid, render: one team's objects, or the three
/// ApplicationSets followed by every team's objects. A team that does not exist is not found;
/// unusable platform settings are invalid input.
pub fn render(request: &RenderRequest) -> Result<TeamsReport> {
    let mut platform = request.platform.clone();
    if platform.teams_path.is_empty() {
        platform.teams_path = repo_relative(&request.dir).unwrap_or_else(|| "teams".to_owned());
    }
    if let Some(name) = &request.team {
        let folder = request.dir.join(name);
        if !folder.join(FILE_NAME).is_file() {
            let mut names: Vec<String> = fs_err::read_dir(&request.dir)
                .map_err(|source| Error::Io {
                    path: request.dir.clone(),
                    source,
                })?
                .flatten()
                .filter(|e| e.path().join(FILE_NAME).is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            let teams = if names.is_empty() {
                "there are none".to_owned()
            } else {
                format!("the teams are {}", names.join(", "))
            };
            return Err(Error::Io {
                path: folder.join(FILE_NAME),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("no team `{name}` ({teams})"),
                ),
            });
        }
    } else {
        let problems = platform.problems(|s| format!("platform setting `{s}`"));
        if !problems.is_empty() {
            return Err(Error::Refused {
                reason: "invalid_platform".to_owned(),
                message: problems.join("; "),
            });
        }
    }
    let mut report = validate(&request.dir)?;
    if !report.valid {
        return Ok(report);
    }
    let mut manifests = Vec::new();
    match &request.team {
        Some(name) => {
            for team in report.teams.iter().filter(|t| &t.name == name) {
                manifests.extend(teams::team_objects(team, &platform));
            }
        }
        None => {
            manifests.extend(teams::applicationsets(&platform));
            for team in &report.teams {
                manifests.extend(teams::team_objects(team, &platform));
            }
        }
    }
    report.manifests = manifests;
    Ok(report)
}

/// `dir` as a path inside the repository (`teams`, `examples/teams`), if it is one.
fn repo_relative(dir: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in dir.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

struct Read {
    teams: Vec<(Team, teams::TeamPositions)>,
    errors: Vec<ConfigError>,
}

fn file_error(file: &str, message: String, fix: &str) -> ConfigError {
    ConfigError {
        file: file.to_owned(),
        line: 1,
        column: 1,
        key: String::new(),
        value: None,
        message,
        fix: fix.to_owned(),
    }
}

fn read_all(dir: &Path) -> Result<Read> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let mut folders: Vec<(String, PathBuf)> = fs_err::read_dir(dir)
        .map_err(io(dir))?
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .map(|entry| {
            (
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            )
        })
        .filter(|(name, _)| !name.starts_with('.'))
        .collect();
    folders.sort();
    let mut read = Read {
        teams: Vec::new(),
        errors: Vec::new(),
    };
    for (folder, path) in folders {
        let file = path.join(FILE_NAME);
        let shown = file.display().to_string();
        if !file.is_file() {
            let fix = if path.join("team.yml").is_file() {
                "rename `team.yml` to `team.yaml`: the ApplicationSets read only `team.yaml`"
            } else {
                "add a `team.yaml` to the folder, or remove the folder"
            };
            read.errors.push(file_error(
                &shown,
                format!("the folder `{folder}` has no `{FILE_NAME}`"),
                fix,
            ));
            continue;
        }
        let size = fs_err::metadata(&file).map_err(io(&file))?;
        if size.len() > MAX_FILE_BYTES as u64 {
            read.errors.push(file_error(
                &shown,
                format!(
                    "the file is {} bytes; a team file may have at most {MAX_FILE_BYTES}",
                    size.len()
                ),
                "keep one team per file, with its people and apps only",
            ));
            continue;
        }
        let bytes = fs_err::read(&file).map_err(io(&file))?;
        let Ok(text) = String::from_utf8(bytes) else {
            read.errors.push(file_error(
                &shown,
                "the file is not UTF-8 text".to_owned(),
                "save it as UTF-8",
            ));
            continue;
        };
        match teams::parse_with_positions(&text, &shown, &folder) {
            Ok(team) => read.teams.push(team),
            Err(errors) => read.errors.extend(errors),
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, team: &str, text: &str) {
        fs_err::create_dir_all(dir.join(team)).unwrap();
        fs_err::write(dir.join(team).join(FILE_NAME), text).unwrap();
    }

    fn platform() -> Platform {
        Platform {
            repo_url: "https://github.com/acme/gitops".to_owned(),
            teams_path: String::new(),
            ..Platform::default()
        }
    }

    #[test]
    fn every_team_of_a_folder_is_read_and_rendered() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b", "name: b\ngroups: [acme/b]\n");
        write(dir.path(), "a", "name: a\nmembers: [alice]\n");
        fs_err::write(dir.path().join("README.md"), "teams").unwrap();
        let request = RenderRequest {
            dir: dir.path().to_path_buf(),
            team: None,
            platform: platform(),
        };
        let report = render(&request).unwrap();
        assert!(report.valid, "{:?}", report.errors);
        let names: Vec<&str> = report.teams.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(report.manifests[0].name(), "team-projects");
        let generator = &report.manifests[0].object["spec"]["generators"][0]["git"];
        assert_eq!(
            generator["files"][0]["path"], "teams/*/team.yaml",
            "an absolute folder is not a path in the repository"
        );
        let one = render(&RenderRequest {
            team: Some("b".to_owned()),
            ..request.clone()
        })
        .unwrap();
        assert_eq!(one.manifests[0].name(), "team-b");
        let missing = render(&RenderRequest {
            team: Some("c".to_owned()),
            ..request
        })
        .unwrap_err();
        assert_eq!(missing.kind(), crate::error::ErrorKind::NotFound);
    }

    #[test]
    fn problems_of_every_file_are_reported_and_nothing_is_rendered() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "a",
            "name: a\ngroups: [x/y]\nquota: {cpu: lots}\n",
        );
        write(dir.path(), "b", "name: c\n");
        fs_err::create_dir_all(dir.path().join("d")).unwrap();
        fs_err::write(dir.path().join("d/team.yml"), "name: d\n").unwrap();
        let report = render(&RenderRequest {
            dir: dir.path().to_path_buf(),
            team: None,
            platform: platform(),
        })
        .unwrap();
        assert!(!report.valid);
        assert!(report.manifests.is_empty());
        let found: Vec<(String, usize, &str)> = report
            .errors
            .iter()
            .map(|e| {
                let file = Path::new(&e.file).strip_prefix(dir.path()).unwrap();
                (file.display().to_string(), e.line, e.key.as_str())
            })
            .collect();
        assert_eq!(
            found,
            [
                ("a/team.yaml".to_owned(), 3, "quota.cpu"),
                ("b/team.yaml".to_owned(), 1, "groups"),
                ("b/team.yaml".to_owned(), 1, "name"),
                ("d/team.yaml".to_owned(), 1, ""),
            ]
        );
        assert!(report.errors[3].fix.contains("rename `team.yml`"));
    }

    #[test]
    fn bad_platform_settings_and_a_missing_folder_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let err = render(&RenderRequest {
            dir: dir.path().to_path_buf(),
            team: None,
            platform: Platform::default(),
        })
        .unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("`repo_url`"), "{err}");
        let err = validate(&dir.path().join("nope")).unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::NotFound);
    }

    #[test]
    fn a_relative_folder_is_the_generators_path() {
        assert_eq!(
            repo_relative(Path::new("./examples/teams")).as_deref(),
            Some("examples/teams")
        );
        assert_eq!(repo_relative(Path::new("../teams")), None);
        assert_eq!(repo_relative(Path::new("/srv/teams")), None);
    }
}
