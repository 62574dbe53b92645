//! go-plugin host and provider.
