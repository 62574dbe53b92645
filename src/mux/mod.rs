//! The yamux session adapter (hashicorp/yamux compatible).
