//! The files of a built site, as every [`Deployer::publish_site`](crate::ports::Deployer)
//! adapter uploads them: one walk of the folder, the same keys and content types everywhere.
#![allow(
    clippy::disallowed_methods,
    reason = "a built site is a folder of files on disk"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ports::{DeployError, SitePublish, SitePublished};

/// The buckets and distributions the memory and local deployers publish sites to: each
/// bucket's object keys with their content types, and each distribution's invalidations.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SiteState {
    /// Bucket → object key → content type.
    pub(crate) buckets: BTreeMap<String, BTreeMap<String, String>>,
    /// Distribution → the ids of its invalidations of `/*`, oldest first.
    pub(crate) invalidations: BTreeMap<String, Vec<String>>,
}

impl SiteState {
    /// Records the upload of `files` to `site.bucket` (a sync: keys without a file are
    /// removed) and an invalidation of `site.distribution_id`; returns what was done and the
    /// keys removed.
    pub(crate) fn publish(
        &mut self,
        site: &SitePublish,
        files: &[SiteFile],
    ) -> (SitePublished, Vec<String>) {
        let objects = self.buckets.entry(site.bucket.clone()).or_default();
        let removed: Vec<String> = objects
            .keys()
            .filter(|k| !files.iter().any(|f| &f.key == *k))
            .cloned()
            .collect();
        for key in &removed {
            objects.remove(key);
        }
        for file in files {
            objects.insert(file.key.clone(), file.content_type.clone());
        }
        let ids = self
            .invalidations
            .entry(site.distribution_id.clone())
            .or_default();
        let id = format!("I{:013}", ids.len() + 1);
        ids.push(id.clone());
        let published = SitePublished {
            uploaded: u32::try_from(files.len()).unwrap_or(u32::MAX),
            deleted: u32::try_from(removed.len()).unwrap_or(u32::MAX),
            invalidation_id: id,
        };
        (published, removed)
    }
}

/// One file of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SiteFile {
    /// Its object key: the path below the folder, `/`-separated.
    pub(crate) key: String,
    /// The file on disk.
    pub(crate) path: PathBuf,
    /// Its content type, from its extension.
    pub(crate) content_type: String,
}

impl SiteFile {
    /// The file's bytes; a failure names the file.
    pub(crate) fn read(&self) -> Result<Vec<u8>, DeployError> {
        fs_err::read(&self.path).map_err(|e| read_error(&self.path, e))
    }
}

fn read_error(path: &Path, e: std::io::Error) -> DeployError {
    DeployError::Site {
        call: "read",
        path: path.display().to_string(),
        source: e.into(),
    }
}

/// The content type of `key` by its extension (`text/html; charset=utf-8` for `.html`), or
/// `application/octet-stream`.
pub(crate) fn content_type(key: &str) -> String {
    let mime = mime_guess::from_path(key).first_or_octet_stream();
    if mime.type_() == mime_guess::mime::TEXT && mime.get_param("charset").is_none() {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

/// Every regular file below `dir`, sorted by key. Symbolic links (to files or folders) are
/// skipped, so nothing outside the folder is published; a key that is not UTF-8 is refused.
pub(crate) fn files(dir: &Path) -> Result<Vec<SiteFile>, DeployError> {
    let meta = fs_err::metadata(dir).map_err(|e| read_error(dir, e))?;
    if !meta.is_dir() {
        return Err(DeployError::Site {
            call: "read",
            path: dir.display().to_string(),
            source: "is not a folder: set `site_dir` in `.idp/config.yml` to the folder of the built site".into(),
        });
    }
    let mut out = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((folder, prefix)) = pending.pop() {
        for entry in fs_err::read_dir(&folder).map_err(|e| read_error(&folder, e))? {
            let entry = entry.map_err(|e| read_error(&folder, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| read_error(&path, e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                return Err(DeployError::Site {
                    call: "read",
                    path: path.display().to_string(),
                    source: "the file name is not UTF-8, so it cannot be an object key".into(),
                });
            };
            let key = format!("{prefix}{name}");
            if kind.is_dir() {
                pending.push((path, format!("{key}/")));
            } else if kind.is_file() {
                out.push(SiteFile {
                    content_type: content_type(&key),
                    key,
                    path,
                });
            }
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_is_its_files_by_key_with_their_content_types_and_no_links() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs_err::create_dir_all(root.join("css")).unwrap();
        fs_err::write(root.join("index.html"), "<h1>hi</h1>").unwrap();
        fs_err::write(root.join("css/site.css"), "h1{}").unwrap();
        fs_err::write(root.join("LICENSE"), "MIT").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", root.join("leak")).unwrap();
        let found: Vec<(String, String)> = files(root)
            .unwrap()
            .into_iter()
            .map(|f| (f.key, f.content_type))
            .collect();
        assert_eq!(
            found,
            [
                ("LICENSE".to_owned(), "application/octet-stream".to_owned()),
                (
                    "css/site.css".to_owned(),
                    "text/css; charset=utf-8".to_owned()
                ),
                (
                    "index.html".to_owned(),
                    "text/html; charset=utf-8".to_owned()
                ),
            ]
        );
        assert_eq!(content_type("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("logo.png"), "image/png");
        let missing = files(&root.join("dist")).unwrap_err().to_string();
        assert!(missing.starts_with("read of `"), "{missing}");
        assert!(missing.contains("dist"), "{missing}");
        let not_dir = files(&root.join("LICENSE")).unwrap_err().to_string();
        assert!(not_dir.contains("site_dir"), "{not_dir}");
    }
}
