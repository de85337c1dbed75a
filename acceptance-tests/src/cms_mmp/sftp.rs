//! SFTP subsystem of the simulated MMP, served with `russh-sftp`.
//!
//! devices.md 1.4 / Cisco TAC 210530: the MMP accepts SFTP on the SSH port with
//! the MMP credentials; certificates, keys and licences are uploaded that way
//! (TAC docs use WinSCP) and listed by `pki list`. The simulator serves the
//! node's flat file store ([`super::files`]): one directory `/` holding every
//! file; `/name` and `name` are the same file.
//!
//! Supported: open (read/write, create, truncate, exclusive), read and write
//! at offsets, close, stat/lstat/fstat, setstat/fsetstat (accepted, ignored),
//! opendir/readdir of `/`, realpath, remove, rename (fails when the target
//! exists, as SFTPv3 says). Directories cannot be created [GUESS].
//!
//! When the client ends the session the channel gets `exit-status 0`, EOF and
//! close, as OpenSSH's `sftp-server` does (OpenSSH `scp`, which speaks SFTP,
//! reports a failure without the exit status).

use std::collections::HashMap;

use russh::server::{Handle as SessionHandle, Msg};
use russh::Channel;
use russh_sftp::protocol::{
    Attrs, Data, File, FileAttributes, FileMode, Handle, Name, OpenFlags, Status, StatusCode,
    Version,
};
use russh_sftp::server::StatusReply;
use tokio::io::AsyncWriteExt;

use super::files::{resolve, unix_now, Path, StoredFile};
use super::state::NodeControl;

/// Serves SFTP on `channel` until the client ends it, then reports exit status 0.
pub(crate) async fn serve(channel: Channel<Msg>, session: SessionHandle, control: NodeControl) {
    let id = channel.id();
    let mut stream = channel.into_stream();
    // russh-sftp's loop runs on one end of a pipe; this task copies between the
    // channel and the other end, so it knows when the loop has finished.
    let (sftp_end, mut our_end) = tokio::io::duplex(64 * 1024);
    russh_sftp::server::run(sftp_end, SftpSession::new(control)).await;
    let _ = tokio::io::copy_bidirectional(&mut stream, &mut our_end).await;
    let _ = session.exit_status_request(id, 0).await;
    let _ = stream.shutdown().await;
    let _ = session.close(id).await;
}

/// What an SFTP handle refers to.
enum OpenHandle {
    File {
        name: String,
        append: bool,
    },
    /// The root directory; `listed` once readdir has returned the entries.
    Dir {
        listed: bool,
    },
}

/// One SFTP session on one node.
pub(crate) struct SftpSession {
    control: NodeControl,
    handles: HashMap<String, OpenHandle>,
    next_handle: u64,
}

fn ok(id: u32) -> Status {
    Status {
        id,
        status_code: StatusCode::Ok,
        error_message: "Ok".to_string(),
        language_tag: "en-US".to_string(),
    }
}

fn failure(message: &str) -> StatusReply {
    StatusCode::Failure.with_message(message)
}

fn no_such_file() -> StatusReply {
    StatusCode::NoSuchFile.with_message("No such file")
}

fn dir_attrs() -> FileAttributes {
    FileAttributes {
        size: Some(0),
        uid: Some(0),
        gid: Some(0),
        permissions: Some(FileMode::DIR.bits() | 0o755),
        atime: Some(0),
        mtime: Some(0),
        ..Default::default()
    }
}

fn file_attrs(f: &StoredFile) -> FileAttributes {
    FileAttributes {
        size: Some(f.data.len() as u64),
        uid: Some(0),
        gid: Some(0),
        permissions: Some(FileMode::REG.bits() | 0o644),
        atime: Some(f.mtime),
        mtime: Some(f.mtime),
        ..Default::default()
    }
}

impl SftpSession {
    pub(crate) fn new(control: NodeControl) -> SftpSession {
        SftpSession {
            control,
            handles: HashMap::new(),
            next_handle: 1,
        }
    }

    fn add_handle(&mut self, h: OpenHandle) -> String {
        let name = format!("h{}", self.next_handle);
        self.next_handle += 1;
        self.handles.insert(name.clone(), h);
        name
    }

    fn attrs_of(&self, path: &str) -> Result<FileAttributes, StatusReply> {
        match resolve(path) {
            Path::Root => Ok(dir_attrs()),
            Path::File(name) => self
                .control
                .with_files(|files| files.get(&name).map(file_attrs))
                .ok_or_else(no_such_file),
            Path::Invalid => Err(no_such_file()),
        }
    }

    fn file_handle(&self, handle: &str) -> Result<(String, bool), StatusReply> {
        match self.handles.get(handle) {
            Some(OpenHandle::File { name, append }) => Ok((name.clone(), *append)),
            Some(OpenHandle::Dir { .. }) => Err(failure("not a file handle")),
            None => Err(failure("invalid handle")),
        }
    }
}

impl russh_sftp::server::Handler for SftpSession {
    type Error = StatusReply;

    fn unimplemented(&self) -> Self::Error {
        StatusCode::OpUnsupported.into()
    }

    async fn init(
        &mut self,
        _version: u32,
        _extensions: HashMap<String, String>,
    ) -> Result<Version, Self::Error> {
        Ok(Version::new())
    }

    async fn open(
        &mut self,
        id: u32,
        filename: String,
        pflags: OpenFlags,
        _attrs: FileAttributes,
    ) -> Result<Handle, Self::Error> {
        let name = match resolve(&filename) {
            Path::File(name) => name,
            Path::Root => return Err(failure("is a directory")),
            Path::Invalid => return Err(no_such_file()),
        };
        self.control.with_files(|files| {
            match files.get_mut(&name) {
                Some(_) if pflags.contains(OpenFlags::CREATE | OpenFlags::EXCLUDE) => {
                    return Err(failure("file exists"))
                }
                Some(f) if pflags.contains(OpenFlags::TRUNCATE) => {
                    *f = StoredFile::new(Vec::new());
                }
                Some(_) => {}
                None if pflags.contains(OpenFlags::CREATE) => {
                    files.insert(name.clone(), StoredFile::new(Vec::new()));
                }
                None => return Err(no_such_file()),
            }
            Ok(())
        })?;
        let append = pflags.contains(OpenFlags::APPEND);
        let handle = self.add_handle(OpenHandle::File { name, append });
        Ok(Handle { id, handle })
    }

    async fn close(&mut self, id: u32, handle: String) -> Result<Status, Self::Error> {
        match self.handles.remove(&handle) {
            Some(_) => Ok(ok(id)),
            None => Err(failure("invalid handle")),
        }
    }

    async fn read(
        &mut self,
        id: u32,
        handle: String,
        offset: u64,
        len: u32,
    ) -> Result<Data, Self::Error> {
        let (name, _) = self.file_handle(&handle)?;
        self.control.with_files(|files| {
            let f = files.get(&name).ok_or_else(no_such_file)?;
            let start = usize::try_from(offset).unwrap_or(usize::MAX);
            if start >= f.data.len() {
                return Err(StatusCode::Eof.into());
            }
            let end = f.data.len().min(start.saturating_add(len as usize));
            Ok(Data {
                id,
                data: f.data[start..end].to_vec(),
            })
        })
    }

    async fn write(
        &mut self,
        id: u32,
        handle: String,
        offset: u64,
        data: Vec<u8>,
    ) -> Result<Status, Self::Error> {
        let (name, append) = self.file_handle(&handle)?;
        self.control.with_files(|files| {
            // A file removed while open is recreated [GUESS; POSIX would keep
            // writing to the unlinked inode].
            let f = files.entry(name).or_default();
            let start = if append {
                f.data.len()
            } else {
                usize::try_from(offset).map_err(|_| failure("offset too large"))?
            };
            let end = start + data.len();
            if f.data.len() < end {
                f.data.resize(end, 0);
            }
            f.data[start..end].copy_from_slice(&data);
            f.mtime = unix_now();
            Ok(ok(id))
        })
    }

    async fn lstat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        Ok(Attrs {
            id,
            attrs: self.attrs_of(&path)?,
        })
    }

    async fn stat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        Ok(Attrs {
            id,
            attrs: self.attrs_of(&path)?,
        })
    }

    async fn fstat(&mut self, id: u32, handle: String) -> Result<Attrs, Self::Error> {
        let attrs = match self.handles.get(&handle) {
            Some(OpenHandle::Dir { .. }) => dir_attrs(),
            Some(OpenHandle::File { name, .. }) => self.attrs_of(name)?,
            None => return Err(failure("invalid handle")),
        };
        Ok(Attrs { id, attrs })
    }

    async fn setstat(
        &mut self,
        id: u32,
        path: String,
        _attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        self.attrs_of(&path)?;
        Ok(ok(id))
    }

    async fn fsetstat(
        &mut self,
        id: u32,
        handle: String,
        _attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        if !self.handles.contains_key(&handle) {
            return Err(failure("invalid handle"));
        }
        Ok(ok(id))
    }

    async fn opendir(&mut self, id: u32, path: String) -> Result<Handle, Self::Error> {
        match resolve(&path) {
            Path::Root => {}
            Path::File(name) if self.control.file(&name).is_some() => {
                return Err(failure("not a directory"))
            }
            _ => return Err(no_such_file()),
        }
        let handle = self.add_handle(OpenHandle::Dir { listed: false });
        Ok(Handle { id, handle })
    }

    async fn readdir(&mut self, id: u32, handle: String) -> Result<Name, Self::Error> {
        let Some(OpenHandle::Dir { listed }) = self.handles.get_mut(&handle) else {
            return Err(failure("invalid handle"));
        };
        if *listed {
            return Err(StatusCode::Eof.into());
        }
        *listed = true;
        let mut files = vec![File::new(".", dir_attrs()), File::new("..", dir_attrs())];
        self.control.with_files(|store| {
            files.extend(store.iter().map(|(n, f)| File::new(n, file_attrs(f))));
        });
        Ok(Name { id, files })
    }

    async fn remove(&mut self, id: u32, filename: String) -> Result<Status, Self::Error> {
        if self.control.remove_file(&filename) {
            Ok(ok(id))
        } else {
            Err(no_such_file())
        }
    }

    async fn mkdir(
        &mut self,
        _id: u32,
        _path: String,
        _attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        Err(StatusCode::PermissionDenied.with_message("directories are not supported"))
    }

    async fn realpath(&mut self, id: u32, path: String) -> Result<Name, Self::Error> {
        let real = match resolve(&path) {
            Path::Root => "/".to_string(),
            Path::File(name) => format!("/{name}"),
            Path::Invalid => return Err(no_such_file()),
        };
        Ok(Name {
            id,
            files: vec![File::dummy(real)],
        })
    }

    async fn rename(
        &mut self,
        id: u32,
        oldpath: String,
        newpath: String,
    ) -> Result<Status, Self::Error> {
        let (Path::File(old), Path::File(new)) = (resolve(&oldpath), resolve(&newpath)) else {
            return Err(failure("invalid file name"));
        };
        self.control.with_files(|files| {
            if !files.contains_key(&old) {
                return Err(no_such_file());
            }
            if old == new {
                return Ok(ok(id));
            }
            if files.contains_key(&new) {
                return Err(failure("file exists"));
            }
            let f = files.remove(&old).expect("checked above");
            files.insert(new, f);
            Ok(ok(id))
        })
    }
}
