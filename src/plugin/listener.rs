//! The provider's Unix-domain listener.
//!
//! A Go plugin (v1.4.3) binds `$TMPDIR/plugin<random>` directly, with umask permissions. This
//! listener instead creates a **private directory** (mode 0700) and binds `plugin.sock` inside it,
//! so no other user can connect or race the path. The directory is created under
//! `PLUGIN_UNIX_SOCKET_DIR` when set (go-plugin ≥ 1.5), else under [`std::env::temp_dir`].
//! `PLUGIN_UNIX_SOCKET_GROUP` (≥ 1.5; a numeric gid or a group name from `/etc/group`) is
//! honoured: the directory becomes 0710 and the socket 0660, both owned by that group.
//! The socket file and the directory are removed by [`PluginListener::close`] or on drop.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::{UnixListener, UnixStream};

use super::env::{ENV_UNIX_SOCKET_DIR, ENV_UNIX_SOCKET_GROUP};
use super::gocompat::go_quote;
use super::handshake::PluginAddr;

/// Longest socket path accepted, in bytes. `sun_path` holds 108 bytes on Linux and 104 on the
/// BSDs/macOS (both including the terminating NUL); staying below 104 works everywhere.
pub const MAX_SOCKET_PATH: usize = 103;

/// Name of the socket inside the private directory.
pub const SOCKET_NAME: &str = "plugin.sock";

/// Where and how to create the listener. [`ListenerConfig::from_env`] reads go-plugin's variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListenerConfig {
    /// Parent of the private socket directory; `None` → [`std::env::temp_dir`].
    pub parent_dir: Option<PathBuf>,
    /// Group (numeric gid or name) to own the socket; `None` → the process's group, socket
    /// reachable by the owner only.
    pub group: Option<String>,
}

impl ListenerConfig {
    /// `PLUGIN_UNIX_SOCKET_DIR` and `PLUGIN_UNIX_SOCKET_GROUP` (empty values count as unset).
    pub fn from_env() -> Self {
        let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        ListenerConfig {
            parent_dir: non_empty(ENV_UNIX_SOCKET_DIR).map(PathBuf::from),
            group: non_empty(ENV_UNIX_SOCKET_GROUP).map(|g| g.to_string_lossy().into_owned()),
        }
    }
}

/// Errors creating the listener.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListenerError {
    /// The socket path would exceed 103 bytes (`sun_path` less its NUL); choose a shorter parent directory.
    #[error("plugin socket path {path:?} is {len} bytes long, the limit is {MAX_SOCKET_PATH}")]
    PathTooLong {
        /// The socket path that would have been used.
        path: PathBuf,
        /// Its length in bytes.
        len: usize,
    },
    /// `PLUGIN_UNIX_SOCKET_GROUP` names no known group (text as go-plugin ≥ 1.5).
    #[error("failed to find gid from {}", go_quote(.0))]
    UnknownGroup(String),
    /// Creating the directory, binding, or changing ownership/permissions failed.
    #[error("plugin listener: {0}")]
    Io(#[from] io::Error),
}

/// A bound Unix listener in a private directory, removed when closed or dropped.
#[derive(Debug)]
pub struct PluginListener {
    listener: UnixListener,
    path: PathBuf,
    dir: PathBuf,
    cleaned: bool,
}

impl PluginListener {
    /// Binds according to [`ListenerConfig::from_env`]. Must be called inside a Tokio runtime.
    pub fn bind() -> Result<Self, ListenerError> {
        Self::bind_with(&ListenerConfig::from_env())
    }

    /// Binds according to `config`. Must be called inside a Tokio runtime.
    pub fn bind_with(config: &ListenerConfig) -> Result<Self, ListenerError> {
        let gid = config.group.as_deref().map(resolve_group).transpose()?;
        let parent = config.parent_dir.clone().unwrap_or_else(std::env::temp_dir);
        // Check the length before creating anything ("plugin" + 8 hex digits).
        let probe = parent.join("plugin00000000").join(SOCKET_NAME);
        let len = probe.as_os_str().len();
        if len > MAX_SOCKET_PATH {
            return Err(ListenerError::PathTooLong { path: probe, len });
        }
        let dir = create_private_dir(&parent)?;
        let path = dir.join(SOCKET_NAME);
        let listener = match UnixListener::bind(&path) {
            Ok(l) => l,
            Err(e) => {
                let _ = std::fs::remove_dir(&dir);
                return Err(e.into());
            }
        };
        // From here on `Drop` removes the socket and the directory on any error.
        let mut this = PluginListener {
            listener,
            path,
            dir,
            cleaned: false,
        };
        if let Some(gid) = gid {
            this.share_with_group(gid)?;
        }
        Ok(this)
    }

    fn share_with_group(&mut self, gid: u32) -> io::Result<()> {
        std::os::unix::fs::chown(&self.dir, None, Some(gid))?;
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o710))?;
        std::os::unix::fs::chown(&self.path, None, Some(gid))?;
        std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o660))
    }

    /// The socket path (the handshake ADDRESS).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The address to announce in the handshake line.
    pub fn addr(&self) -> PluginAddr {
        PluginAddr::Unix(self.path.clone())
    }

    /// The underlying Tokio listener.
    pub fn listener(&self) -> &UnixListener {
        &self.listener
    }

    /// Accepts one connection.
    pub async fn accept(&self) -> io::Result<UnixStream> {
        self.listener.accept().await.map(|(s, _)| s)
    }

    /// Stops listening and removes the socket file and its directory, reporting errors (drop does
    /// the same silently).
    pub fn close(mut self) -> io::Result<()> {
        self.cleanup()
    }

    fn cleanup(&mut self) -> io::Result<()> {
        if self.cleaned {
            return Ok(());
        }
        self.cleaned = true;
        let sock = match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
        let dir = match std::fs::remove_dir(&self.dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
        sock.and(dir)
    }
}

impl Drop for PluginListener {
    fn drop(&mut self) {
        let _ = self.cleanup();
    }
}

fn create_private_dir(parent: &Path) -> io::Result<PathBuf> {
    let state = RandomState::new();
    let mut last = None;
    for attempt in 0u32..64 {
        let mut h = state.build_hasher();
        h.write_u32(std::process::id());
        h.write_u32(attempt);
        if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            h.write_u128(t.as_nanos());
        }
        let dir = parent.join(format!("plugin{:08x}", h.finish() as u32));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {
                // The umask can only remove bits; make the mode exact anyway.
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
                return Ok(dir);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("could not create a plugin socket directory")))
}

/// A numeric gid, else a name looked up in `/etc/group` (NSS sources such as LDAP are not
/// consulted).
fn resolve_group(group: &str) -> Result<u32, ListenerError> {
    if let Ok(gid) = group.parse::<u32>() {
        return Ok(gid);
    }
    let text = std::fs::read_to_string("/etc/group")
        .map_err(|_| ListenerError::UnknownGroup(group.into()))?;
    text.lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let gid = f.nth(1)?.parse::<u32>().ok()?;
            (name == group).then_some(gid)
        })
        .next()
        .ok_or_else(|| ListenerError::UnknownGroup(group.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use tilores_plugin_test_support::TempDir;

    #[tokio::test]
    async fn private_dir_socket_and_cleanup() {
        let scratch = TempDir::new("pl-test-a");
        let parent = scratch.path().to_path_buf();
        let l = PluginListener::bind_with(&ListenerConfig {
            parent_dir: Some(parent.clone()),
            group: None,
        })
        .unwrap();
        let path = l.path().to_path_buf();
        let dir = path.parent().unwrap().to_path_buf();
        assert_eq!(dir.parent().unwrap(), parent);
        assert_eq!(path.file_name().unwrap(), SOCKET_NAME);
        assert!(path.as_os_str().len() <= MAX_SOCKET_PATH);
        let meta = std::fs::metadata(&dir).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o700);
        assert!(std::fs::metadata(&path).unwrap().file_type().is_socket());
        assert_eq!(l.addr(), PluginAddr::Unix(path.clone()));

        let client = tokio::spawn({
            let path = path.clone();
            async move {
                let mut s = UnixStream::connect(path).await.unwrap();
                s.write_all(b"hi").await.unwrap();
            }
        });
        let mut s = l.accept().await.unwrap();
        let mut buf = [0u8; 2];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hi");
        client.await.unwrap();

        l.close().unwrap();
        assert!(!path.exists());
        assert!(!dir.exists());

        // Drop cleans up as well.
        let l = PluginListener::bind_with(&ListenerConfig {
            parent_dir: Some(parent.clone()),
            group: None,
        })
        .unwrap();
        let dir = l.path().parent().unwrap().to_path_buf();
        drop(l);
        assert!(!dir.exists());
        std::fs::remove_dir(&parent).unwrap();
    }

    #[tokio::test]
    async fn group_by_numeric_gid() {
        let scratch = TempDir::new("pl-test-g");
        let parent = scratch.path().to_path_buf();
        let my_gid = std::fs::metadata(&parent).unwrap().gid();
        let l = PluginListener::bind_with(&ListenerConfig {
            parent_dir: Some(parent.clone()),
            group: Some(my_gid.to_string()),
        })
        .unwrap();
        let sock = std::fs::metadata(l.path()).unwrap();
        assert_eq!(sock.mode() & 0o777, 0o660);
        assert_eq!(sock.gid(), my_gid);
        let dir = std::fs::metadata(l.path().parent().unwrap()).unwrap();
        assert_eq!(dir.mode() & 0o777, 0o710);
        drop(l);
        std::fs::remove_dir(&parent).unwrap();
    }

    #[tokio::test]
    async fn errors() {
        let long = PathBuf::from(format!("/tmp/{}", "x".repeat(100)));
        let e = PluginListener::bind_with(&ListenerConfig {
            parent_dir: Some(long),
            group: None,
        })
        .unwrap_err();
        assert!(matches!(e, ListenerError::PathTooLong { .. }), "{e}");
        let e = PluginListener::bind_with(&ListenerConfig {
            parent_dir: None,
            group: Some("no-such-group-xyz".into()),
        })
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "failed to find gid from \"no-such-group-xyz\""
        );
        assert_eq!(resolve_group("root").unwrap(), 0);
    }
}
