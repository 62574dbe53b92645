//! The plugin child's environment (go-plugin v1.4.3 `Client.Start`).
//!
//! Go builds the child environment as one list — the caller's `cmd.Env`, then the **entire** host
//! environment, then the go-plugin variables — and `os/exec` keeps the **last** occurrence of
//! each key. [`child_env`] reproduces that list and its de-duplication.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};

use super::handshake::HandshakeConfig;

/// Lowest TCP port a plugin may use (only relevant to Windows plugins), variable name.
pub const ENV_MIN_PORT: &str = "PLUGIN_MIN_PORT";
/// Highest TCP port a plugin may use, variable name.
pub const ENV_MAX_PORT: &str = "PLUGIN_MAX_PORT";
/// Comma-separated app protocol versions the host supports, variable name.
pub const ENV_PROTOCOL_VERSIONS: &str = "PLUGIN_PROTOCOL_VERSIONS";
/// Directory in which newer go-plugin plugins (≥ 1.5) create their socket, variable name.
pub const ENV_UNIX_SOCKET_DIR: &str = "PLUGIN_UNIX_SOCKET_DIR";
/// Group that should own the plugin socket (go-plugin ≥ 1.5), variable name.
pub const ENV_UNIX_SOCKET_GROUP: &str = "PLUGIN_UNIX_SOCKET_GROUP";

/// The host's AutoMTLS certificate (PEM), variable name; a plugin that finds it serves mutual
/// TLS (go-plugin `server.go`).
pub const ENV_CLIENT_CERT: &str = "PLUGIN_CLIENT_CERT";

/// go-plugin's default `MinPort`.
pub const DEFAULT_MIN_PORT: u32 = 10000;
/// go-plugin's default `MaxPort`.
pub const DEFAULT_MAX_PORT: u32 = 25000;

/// The go-plugin variables, in Go's order: the magic cookie, `PLUGIN_MIN_PORT`,
/// `PLUGIN_MAX_PORT`, `PLUGIN_PROTOCOL_VERSIONS` (decimal, comma separated, no spaces,
/// duplicates removed; empty when `host_versions` is empty).
pub fn plugin_vars(
    handshake: &HandshakeConfig,
    host_versions: &[u32],
    min_port: u32,
    max_port: u32,
) -> Vec<(String, String)> {
    let mut seen = HashSet::new();
    let versions: Vec<String> = host_versions
        .iter()
        .filter(|v| seen.insert(**v))
        .map(u32::to_string)
        .collect();
    vec![
        (
            handshake.magic_cookie_key.clone(),
            handshake.magic_cookie_value.clone(),
        ),
        (ENV_MIN_PORT.into(), min_port.to_string()),
        (ENV_MAX_PORT.into(), max_port.to_string()),
        (ENV_PROTOCOL_VERSIONS.into(), versions.join(",")),
    ]
}

/// The complete child environment: `caller` entries, then `host` (normally
/// `std::env::vars_os()`), then `plugin` (normally [`plugin_vars`]); for a key that occurs more
/// than once the **last** value wins, like Go's `os/exec`. The result lists each key once, in the
/// order of the winning occurrences.
pub fn child_env<K, V>(
    caller: &[(OsString, OsString)],
    host: impl IntoIterator<Item = (OsString, OsString)>,
    plugin: &[(K, V)],
) -> Vec<(OsString, OsString)>
where
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    let all: Vec<(OsString, OsString)> = caller
        .iter()
        .cloned()
        .chain(host)
        .chain(
            plugin
                .iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned())),
        )
        .collect();
    // Walk backwards keeping the first (= last) occurrence of each key, then restore order.
    let mut seen: HashSet<OsString> = HashSet::new();
    let mut out: Vec<(OsString, OsString)> = all
        .into_iter()
        .rev()
        .filter(|(k, _)| seen.insert(k.clone()))
        .collect();
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs() -> HandshakeConfig {
        HandshakeConfig {
            protocol_version: 1,
            magic_cookie_key: "DISPATCHER_PLUGIN".into(),
            magic_cookie_value: "opsPsgZd3qsXpjgj69j5".into(),
        }
    }

    fn os(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    #[test]
    fn plugin_vars_in_go_order() {
        assert_eq!(
            plugin_vars(&hs(), &[1], DEFAULT_MIN_PORT, DEFAULT_MAX_PORT),
            vec![
                ("DISPATCHER_PLUGIN".into(), "opsPsgZd3qsXpjgj69j5".into()),
                ("PLUGIN_MIN_PORT".into(), "10000".into()),
                ("PLUGIN_MAX_PORT".into(), "25000".into()),
                ("PLUGIN_PROTOCOL_VERSIONS".into(), "1".into()),
            ]
        );
        let v = plugin_vars(&hs(), &[3, 1, 3, 2], 1, 2);
        assert_eq!(v[3].1, "3,1,2");
        assert_eq!(plugin_vars(&hs(), &[], 1, 2)[3].1, "");
    }

    #[test]
    fn last_occurrence_wins() {
        let caller = os(&[("A", "caller"), ("ONLY_CALLER", "c"), ("HOME", "/caller")]);
        let host = os(&[
            ("HOME", "/root"),
            ("A", "host"),
            ("DISPATCHER_PLUGIN", "stale"),
            ("PLUGIN_MIN_PORT", "1"),
        ]);
        let env = child_env(&caller, host, &plugin_vars(&hs(), &[1], 10000, 25000));
        let get = |k: &str| {
            env.iter()
                .find(|(kk, _)| kk == k)
                .map(|(_, v)| v.to_str().unwrap().to_owned())
        };
        // Host env overrides the caller's entries (go-plugin v1.4.3 behaviour) ...
        assert_eq!(get("A").as_deref(), Some("host"));
        assert_eq!(get("HOME").as_deref(), Some("/root"));
        assert_eq!(get("ONLY_CALLER").as_deref(), Some("c"));
        // ... and the go-plugin variables override both.
        assert_eq!(
            get("DISPATCHER_PLUGIN").as_deref(),
            Some("opsPsgZd3qsXpjgj69j5")
        );
        assert_eq!(get("PLUGIN_MIN_PORT").as_deref(), Some("10000"));
        assert_eq!(get("PLUGIN_MAX_PORT").as_deref(), Some("25000"));
        assert_eq!(get("PLUGIN_PROTOCOL_VERSIONS").as_deref(), Some("1"));
        // Each key once, in order of the winning occurrence.
        let keys: Vec<_> = env.iter().map(|(k, _)| k.to_str().unwrap()).collect();
        assert_eq!(
            keys,
            [
                "ONLY_CALLER",
                "HOME",
                "A",
                "DISPATCHER_PLUGIN",
                "PLUGIN_MIN_PORT",
                "PLUGIN_MAX_PORT",
                "PLUGIN_PROTOCOL_VERSIONS"
            ]
        );
    }
}
