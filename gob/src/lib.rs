//! Go `encoding/gob` codec.
