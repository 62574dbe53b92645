//! Helpers shared by the gob integration tests.

use std::path::PathBuf;

/// A Go-generated stream of `testdata/gob` (see testdata/README.md).
pub fn vector(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/gob")
        .join(format!("{name}.gob"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
