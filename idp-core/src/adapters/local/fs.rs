//! File-system building blocks of the local backend: key validation, atomic writes, advisory
//! locks, and running blocking I/O off the async threads.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The backend name in port errors.
pub(super) const BACKEND: &str = "local";

/// Directory of lock files, leases and OpenTofu lock items.
pub(super) const LOCKS_DIR: &str = ".locks";
/// Directory of the local deployer's and registry's state.
pub(super) const LOCAL_DIR: &str = ".local";
/// Prefix of temporary files; never a valid key segment, never listed.
pub(super) const TMP_PREFIX: &str = ".idp-tmp-";

/// Longest file name most file systems accept.
const MAX_SEGMENT: usize = 255;

/// Checks that `key` names a file strictly inside the root and returns its segments.
///
/// Rejects empty keys, keys over 1,024 bytes, absolute paths, backslashes, NUL, empty segments
/// (`a//b`, a trailing `/`), `.` and `..` segments, segments over 255 bytes, temporary-file names
/// and the reserved top-level directories `.locks` and `.local`: a hostile key cannot reach a
/// file outside the directory or the backend's own bookkeeping.
pub(super) fn key_segments(key: &str) -> Result<Vec<&str>, String> {
    if key.is_empty() || key.len() > 1024 {
        return Err("keys are 1 to 1,024 bytes long".to_owned());
    }
    if key.contains('\\') || key.contains('\0') {
        return Err("keys cannot contain `\\` or NUL".to_owned());
    }
    if key.starts_with('/') {
        return Err("keys are relative: remove the leading `/`".to_owned());
    }
    let segments: Vec<&str> = key.split('/').collect();
    for segment in &segments {
        match *segment {
            "" => return Err("keys cannot have empty segments (`//` or a trailing `/`)".to_owned()),
            "." | ".." => return Err("keys cannot contain `.` or `..` segments".to_owned()),
            s if s.len() > MAX_SEGMENT => {
                return Err("a key segment is longer than 255 bytes".to_owned());
            }
            s if s.starts_with(TMP_PREFIX) => {
                return Err(format!(
                    "segments starting with `{TMP_PREFIX}` are reserved"
                ));
            }
            _ => {}
        }
    }
    if matches!(segments.first(), Some(&(LOCKS_DIR | LOCAL_DIR))) {
        return Err(format!(
            "`{LOCKS_DIR}/` and `{LOCAL_DIR}/` are reserved for the local backend"
        ));
    }
    Ok(segments)
}

/// The path of a validated key under `root`.
pub(super) fn key_path(root: &Path, segments: &[&str]) -> PathBuf {
    let mut path = root.to_path_buf();
    path.extend(segments);
    path
}

/// Escapes any string into one safe file name (`/` → `%2F`, a leading `.` → `%2E`, ...), so keys
/// of the lock table never nest or escape their directory.
pub(super) fn escape_file_name(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for (i, byte) in key.bytes().enumerate() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'_' | b'@' | b':' | b'+' | b'=' | b',')
            || (byte == b'.' && i > 0);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Whether a file name is short enough for the file system.
pub(super) fn file_name_fits(name: &str) -> bool {
    name.len() <= MAX_SEGMENT
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed to disk,
/// then renamed over `path`. Creates missing parent directories.
pub(super) fn atomic_write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{}` has no parent directory", path.display()),
        )
    })?;
    fs_err::create_dir_all(dir)?;
    let tmp = dir.join(format!("{TMP_PREFIX}{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = fs_err::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs_err::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: the temporary file is invisible to readers either way.
        let _ = fs_err::remove_file(&tmp);
    }
    result
}

/// Reads a file; `Ok(None)` if it does not exist (or a parent is not a directory).
pub(super) fn read_optional(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs_err::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes a file; `Ok(false)` if it did not exist.
pub(super) fn remove_optional(path: &Path) -> io::Result<bool> {
    match fs_err::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if is_missing(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether an I/O error means "there is no such file".
pub(super) fn is_missing(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// An exclusive advisory lock on `<root>/.locks/<name>`, held until dropped.
///
/// `flock`-style: it excludes other processes and other open handles in this process alike, so
/// it serialises every writer that goes through the local backend.
#[derive(Debug)]
pub(super) struct DirLock {
    _file: fs_err::File,
}

impl DirLock {
    /// Blocks until the lock is held.
    pub(super) fn acquire(root: &Path, name: &str) -> io::Result<Self> {
        let dir = root.join(LOCKS_DIR);
        fs_err::create_dir_all(&dir)?;
        let file = fs_err::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(name))?;
        file.lock()?;
        Ok(Self { _file: file })
    }
}

/// Runs blocking file I/O on tokio's blocking pool (or inline outside a runtime). The outer
/// error is a panic or cancellation of the blocking task.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.spawn_blocking(f).await,
        Err(_) => Ok(f()),
    }
}

/// Reads a JSON state file under `<root>/.local/`, applies `change` and writes it back, all under
/// the `.locks/local.lock` lock.
///
/// The outer error is an I/O failure, the inner one is `change`'s (nothing is written then).
pub(super) fn update_json<T, R, E>(
    root: &Path,
    file: &str,
    change: impl FnOnce(&mut T) -> Result<R, E>,
) -> io::Result<Result<R, E>>
where
    T: Default + Serialize + DeserializeOwned,
{
    let _lock = DirLock::acquire(root, "local.lock")?;
    let path = root.join(LOCAL_DIR).join(file);
    let mut state = read_json(&path)?;
    let result = match change(&mut state) {
        Ok(result) => result,
        Err(e) => return Ok(Err(e)),
    };
    let bytes = serde_json::to_vec_pretty(&state).map_err(io::Error::other)?;
    atomic_write(&path, &bytes)?;
    Ok(Ok(result))
}

/// Reads a JSON state file under `<root>/.local/`; the default value if it does not exist.
pub(super) fn read_json_state<T: Default + DeserializeOwned>(
    root: &Path,
    file: &str,
) -> io::Result<T> {
    read_json(&root.join(LOCAL_DIR).join(file))
}

fn read_json<T: Default + DeserializeOwned>(path: &Path) -> io::Result<T> {
    match read_optional(path)? {
        None => Ok(T::default()),
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("`{}` is not valid state: {e}", path.display()),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_keys_are_rejected() {
        for key in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a/",
            "./a",
            "a\\..\\b",
            "a\0b",
            ".locks/leases/x",
            ".local/images.json",
            "a/.idp-tmp-1",
        ] {
            assert!(key_segments(key).is_err(), "{key:?} was accepted");
        }
    }

    #[test]
    fn ordinary_keys_are_accepted() {
        for key in [
            "environments/preview-x/metadata.json",
            "a",
            "a/.hidden",
            "environments/a b/c",
        ] {
            assert!(key_segments(key).is_ok(), "{key:?} was rejected");
        }
    }

    #[test]
    fn escaped_file_names_never_contain_separators_or_start_with_a_dot() {
        assert_eq!(
            escape_file_name("environments/preview-x"),
            "environments%2Fpreview-x"
        );
        assert_eq!(escape_file_name("../x"), "%2E.%2Fx");
        assert_eq!(escape_file_name("b/k-md5"), "b%2Fk-md5");
    }

    proptest::proptest! {
        #[test]
        fn any_accepted_key_stays_inside_the_root(key in "[a-z./\\\\]{0,12}") {
            if let Ok(segments) = key_segments(&key) {
                let root = Path::new("/root");
                let path = key_path(root, &segments);
                proptest::prop_assert!(path.starts_with(root) && path != root);
                proptest::prop_assert!(path.components().all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::RootDir)));
            }
        }

        #[test]
        fn escaped_names_are_single_safe_segments(key in "\\PC{0,40}") {
            let name = escape_file_name(&key);
            proptest::prop_assert!(!name.contains('/') && !name.starts_with('.'));
        }
    }
}
