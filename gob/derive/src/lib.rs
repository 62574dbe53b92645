//! Derive macros for the gob codec.
