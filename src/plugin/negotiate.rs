//! Provider-side start-up checks (go-plugin v1.4.3 `Serve`): the magic cookie and the
//! application protocol version negotiation from `PLUGIN_PROTOCOL_VERSIONS`.

use std::ffi::OsStr;
use std::io::Write as _;

use super::env::ENV_PROTOCOL_VERSIONS;
use super::gocompat::{go_atoi, go_quote};
use super::handshake::HandshakeConfig;

/// What a Go plugin writes to stderr (then exits 1) when its own cookie key or value is empty.
pub const MISCONFIGURED_COOKIE_MESSAGE: &str = "Misconfigured ServeConfig given to serve this plugin: no magic cookie\nkey or value was set. Please notify the plugin author and report\nthis as a bug.\n";

/// What a Go plugin writes to stderr (then exits 1) when started without the host's cookie.
pub const NOT_A_PLUGIN_MESSAGE: &str = "This binary is a plugin. These are not meant to be executed directly.\nPlease execute the program that consumes these plugins, which will\nload any plugins automatically\n";

/// A failed cookie check. The Display texts are go-plugin's stderr messages, including their
/// final newline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CookieError {
    /// The plugin's own [`HandshakeConfig`] has an empty cookie key or value.
    #[error("{MISCONFIGURED_COOKIE_MESSAGE}")]
    Misconfigured,
    /// The cookie variable is missing or has another value: not started by a host.
    #[error("{NOT_A_PLUGIN_MESSAGE}")]
    NotAPlugin,
}

/// Checks the magic cookie against this process's environment.
pub fn check_cookie(config: &HandshakeConfig) -> Result<(), CookieError> {
    let value = if config.magic_cookie_key.is_empty() {
        None
    } else {
        std::env::var_os(&config.magic_cookie_key)
    };
    check_cookie_value(config, value.as_deref())
}

/// Checks the magic cookie against `value`, the content of the variable named by
/// `config.magic_cookie_key` (`None` when unset). Misconfiguration is reported first, as in Go.
pub fn check_cookie_value(
    config: &HandshakeConfig,
    value: Option<&OsStr>,
) -> Result<(), CookieError> {
    if config.magic_cookie_key.is_empty() || config.magic_cookie_value.is_empty() {
        return Err(CookieError::Misconfigured);
    }
    if value != Some(OsStr::new(&config.magic_cookie_value)) {
        return Err(CookieError::NotAPlugin);
    }
    Ok(())
}

/// Like a Go plugin: on a failed [`check_cookie`], writes go-plugin's message to stderr and exits
/// the process with status 1. Returns normally when the cookie is right.
pub fn check_cookie_or_exit(config: &HandshakeConfig) {
    if let Err(e) = check_cookie(config) {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(e.to_string().as_bytes());
        let _ = stderr.flush();
        std::process::exit(1);
    }
}

/// A `PLUGIN_PROTOCOL_VERSIONS` piece that is not an integer. Display is Go's stderr message
/// (Go prints it without a trailing newline).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("server sent invalid plugin version {}", go_quote(.0))]
pub struct InvalidVersion(pub String);

/// The outcome of [`negotiate_version`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiation {
    /// The app protocol version to announce in the handshake line.
    pub version: u32,
    /// Whether the host listed `version`; `false` means the lowest server version was chosen as a
    /// fallback and the host will reject the handshake (Go does the same).
    pub host_supports: bool,
    /// Pieces of the variable that were skipped because they are not integers.
    pub invalid: Vec<InvalidVersion>,
}

/// go-plugin's version choice: split `env_value` (the content of `PLUGIN_PROTOCOL_VERSIONS`) on
/// `,` and parse each piece with Go's `Atoi` **without trimming** (invalid pieces are skipped and
/// reported); then walk `server_versions` from highest to lowest and take the first one the host
/// listed, else the **lowest** server version. `None` when `server_versions` is empty.
pub fn negotiate_version(server_versions: &[u32], env_value: Option<&str>) -> Option<Negotiation> {
    let mut client = Vec::new();
    let mut invalid = Vec::new();
    if let Some(vs) = env_value.filter(|v| !v.is_empty()) {
        for piece in vs.split(',') {
            match go_atoi(piece) {
                Ok(v) => client.push(v),
                Err(_) => invalid.push(InvalidVersion(piece.to_owned())),
            }
        }
    }
    let mut sorted = server_versions.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let lowest = *sorted.last()?;
    let (version, host_supports) = sorted
        .iter()
        .find(|v| client.contains(&i64::from(**v)))
        .map_or((lowest, false), |v| (*v, true));
    Some(Negotiation {
        version,
        host_supports,
        invalid,
    })
}

/// [`negotiate_version`] on this process's `PLUGIN_PROTOCOL_VERSIONS`, writing each
/// [`InvalidVersion`] message to stderr exactly as Go does (no newline).
pub fn negotiate_version_from_env(server_versions: &[u32]) -> Option<Negotiation> {
    let env = std::env::var_os(ENV_PROTOCOL_VERSIONS);
    let env = env.as_deref().map(OsStr::to_string_lossy);
    let n = negotiate_version(server_versions, env.as_deref())?;
    let mut stderr = std::io::stderr().lock();
    for bad in &n.invalid {
        let _ = write!(stderr, "{bad}");
    }
    let _ = stderr.flush();
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(key: &str, value: &str) -> HandshakeConfig {
        HandshakeConfig {
            protocol_version: 1,
            magic_cookie_key: key.into(),
            magic_cookie_value: value.into(),
        }
    }

    #[test]
    fn cookie() {
        let c = cfg("DISPATCHER_PLUGIN", "opsPsgZd3qsXpjgj69j5");
        assert_eq!(
            check_cookie_value(&c, Some(OsStr::new("opsPsgZd3qsXpjgj69j5"))),
            Ok(())
        );
        assert_eq!(check_cookie_value(&c, None), Err(CookieError::NotAPlugin));
        assert_eq!(
            check_cookie_value(&c, Some(OsStr::new("wrong"))),
            Err(CookieError::NotAPlugin)
        );
        assert_eq!(
            check_cookie_value(&cfg("", "v"), Some(OsStr::new("v"))),
            Err(CookieError::Misconfigured)
        );
        assert_eq!(
            check_cookie_value(&cfg("K", ""), Some(OsStr::new(""))),
            Err(CookieError::Misconfigured)
        );
        assert_eq!(
            CookieError::NotAPlugin.to_string(),
            "This binary is a plugin. These are not meant to be executed directly.\nPlease execute the program that consumes these plugins, which will\nload any plugins automatically\n"
        );
        assert_eq!(
            CookieError::Misconfigured.to_string(),
            "Misconfigured ServeConfig given to serve this plugin: no magic cookie\nkey or value was set. Please notify the plugin author and report\nthis as a bug.\n"
        );
    }

    #[test]
    fn negotiation_table() {
        // (server versions, PLUGIN_PROTOCOL_VERSIONS, chosen, host supports it)
        let table: &[(&[u32], Option<&str>, u32, bool)] = &[
            (&[1], Some("1"), 1, true),
            (&[1], Some("2,3"), 1, false), // observed: Go still prints 1
            (&[1], None, 1, false),
            (&[1], Some(""), 1, false),
            (&[1, 2, 3], Some("1,2"), 2, true),
            (&[1, 2, 3], Some("3,1"), 3, true),
            (&[3, 1, 2], Some("5"), 1, false), // lowest server version as fallback
            (&[2, 4], Some("+4"), 4, true),    // Go's Atoi accepts a sign
            (&[1, 2], Some(" 2,1"), 1, true),  // no trimming: " 2" is invalid
            (&[7], Some("x,7"), 7, true),
        ];
        for (server, env, want, supports) in table {
            let n = negotiate_version(server, *env).unwrap();
            assert_eq!(
                (n.version, n.host_supports),
                (*want, *supports),
                "{server:?} {env:?}"
            );
        }
        assert_eq!(negotiate_version(&[], Some("1")), None);
    }

    #[test]
    fn invalid_pieces_reported_like_go() {
        let n = negotiate_version(&[1], Some("1,x, 2,")).unwrap();
        let msgs: Vec<String> = n.invalid.iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs,
            [
                "server sent invalid plugin version \"x\"",
                "server sent invalid plugin version \" 2\"",
                "server sent invalid plugin version \"\"",
            ]
        );
        assert_eq!(n.version, 1);
    }
}
