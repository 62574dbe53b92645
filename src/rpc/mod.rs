//! Go `net/rpc` client and server over gob.
