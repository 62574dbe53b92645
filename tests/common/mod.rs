//! Pieces shared by some of the interop suites only (the general helpers are in the
//! `tilores-plugin-test-support` crate, tests/support): the dispatcher scripts and their
//! Go-vs-Rust output comparison, and the hostile-peer scaffolding.
#![allow(dead_code)]

pub mod dispatch;
pub mod hostile;
