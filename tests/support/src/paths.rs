//! Where things are: the repository, the Go peers (built on first use), the examples, the
//! Go-generated vectors, and private temp directories.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root (two levels above this crate).
pub fn repo_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        // Canonical, so that paths built from it read as they did from the root crate.
        std::fs::canonicalize(&root).unwrap_or(root)
    })
}

/// Path of a Go peer binary built by `go-interop/build.sh` (built once per test process).
/// Panics with a clear message when Go is missing or the build fails: interop tests never skip.
pub fn go_bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let out = Command::new("bash")
            .arg(repo_root().join("go-interop/build.sh"))
            .output()
            .map_err(|e| format!("cannot run go-interop/build.sh: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "go-interop/build.sh failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(e) = built {
        panic!("interop test needs the Go peers (Go toolchain required): {e}");
    }
    let p = repo_root().join("go-interop/bin").join(name);
    assert!(
        p.exists(),
        "Go peer {} was not built by go-interop/build.sh",
        p.display()
    );
    p
}

/// Path of an example binary (`examples/NAME.rs`). `cargo test` builds the examples next to
/// the test binaries' `deps` directory; a missing one fails with the command to build it.
pub fn example_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let p = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory")
        .join("examples")
        .join(name);
    assert!(
        p.exists(),
        "example {} not built: run `cargo test` (which builds the examples) or `cargo build --examples`",
        p.display()
    );
    p
}

/// A Go-generated stream of `testdata/gob` (see testdata/README.md), by name without `.gob`.
pub fn gob_vector(name: &str) -> Vec<u8> {
    let p = repo_root().join("testdata/gob").join(format!("{name}.gob"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A fresh private temp directory (removed on drop).
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a directory under the system temp dir with a unique name.
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("tp-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
