//! The node's store of user-uploaded files (keys, certificates, licence...).
//!
//! devices.md 1.4 / Cisco TAC 210530: certificates and keys are uploaded to the
//! MMP over SFTP (same port and credentials as SSH; TAC docs use WinSCP), then
//! named in commands such as `database cluster certs`; `pki list` lists them.
//! The MMP file space is flat [GUESS: no directories are documented], so the
//! store is one name space: `/name`, `./name` and `name` are the same file.

use std::time::{SystemTime, UNIX_EPOCH};

use super::state::{lock, NodeControl};

/// One uploaded file.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoredFile {
    pub data: Vec<u8>,
    /// Seconds since the Unix epoch of the last change.
    pub mtime: u32,
}

impl StoredFile {
    pub fn new(data: Vec<u8>) -> StoredFile {
        StoredFile {
            data,
            mtime: unix_now(),
        }
    }
}

pub(crate) fn unix_now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
        .unwrap_or(0)
}

/// What a path names in the flat store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Path {
    /// `/`, `.`, `./` or the empty path: the one directory.
    Root,
    File(String),
    /// Anything with a directory part (`a/b`, `../x`).
    Invalid,
}

/// Resolves a client path: leading `/` and `./` are dropped.
pub(crate) fn resolve(path: &str) -> Path {
    let mut rest = path;
    loop {
        if let Some(r) = rest.strip_prefix('/') {
            rest = r;
        } else if let Some(r) = rest.strip_prefix("./") {
            rest = r;
        } else {
            break;
        }
    }
    match rest {
        "" | "." => Path::Root,
        name if name.contains('/') || name == ".." => Path::Invalid,
        name => Path::File(name.to_string()),
    }
}

impl NodeControl {
    /// Names of the uploaded files, sorted.
    pub fn files(&self) -> Vec<String> {
        lock(&self.inner.files).keys().cloned().collect()
    }

    /// Content of an uploaded file (`/name` and `name` are the same file).
    pub fn file(&self, name: &str) -> Option<Vec<u8>> {
        let Path::File(name) = resolve(name) else {
            return None;
        };
        lock(&self.inner.files).get(&name).map(|f| f.data.clone())
    }

    /// Creates or overwrites a file, as an SFTP upload would.
    ///
    /// Panics on a name with a directory part (a test bug).
    pub fn put_file(&self, name: &str, bytes: impl Into<Vec<u8>>) {
        let Path::File(name) = resolve(name) else {
            panic!("put_file: {name:?} is not a plain file name");
        };
        lock(&self.inner.files).insert(name, StoredFile::new(bytes.into()));
    }

    /// Deletes a file; `false` if there was none.
    pub fn remove_file(&self, name: &str) -> bool {
        let Path::File(name) = resolve(name) else {
            return false;
        };
        lock(&self.inner.files).remove(&name).is_some()
    }

    pub(crate) fn with_files<R>(
        &self,
        f: impl FnOnce(&mut std::collections::BTreeMap<String, StoredFile>) -> R,
    ) -> R {
        f(&mut lock(&self.inner.files))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(resolve("/"), Path::Root);
        assert_eq!(resolve("."), Path::Root);
        assert_eq!(resolve(""), Path::Root);
        assert_eq!(resolve("/./"), Path::Root);
        assert_eq!(resolve("a.crt"), Path::File("a.crt".into()));
        assert_eq!(resolve("/a.crt"), Path::File("a.crt".into()));
        assert_eq!(resolve("./a.crt"), Path::File("a.crt".into()));
        assert_eq!(resolve("//a.crt"), Path::File("a.crt".into()));
        assert_eq!(resolve("d/a.crt"), Path::Invalid);
        assert_eq!(resolve(".."), Path::Invalid);
    }
}
