//! The TiloRes dispatcher plugin API (tilores-plugin-api v0.6.0).
