//! What a test puts around a working directory: copies of example modules, and a device that must
//! not be contacted.

use std::path::Path;

/// Copies `from` (a directory tree of regular files) to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A loopback port where a device would be, that nothing may connect to during a plan that must
/// be refused before any device is touched; `assert_untouched` checks that.
pub struct UntouchedDevice {
    listener: std::net::TcpListener,
}

impl UntouchedDevice {
    pub fn listen() -> UntouchedDevice {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        UntouchedDevice { listener }
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().unwrap().port()
    }

    pub fn assert_untouched(&self, case: &str) {
        match self.listener.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("{case}: the plan contacted a device: {other:?}"),
        }
    }
}
