//! The handshake: the shared [`HandshakeConfig`] and the single line a plugin prints on its real
//! stdout to tell the host where to connect (`CORE|APP|NETWORK|ADDRESS|PROTOCOL|SERVERCERT`).
//!
//! [`format_line`] is the provider side, [`parse_line`] the host side. Parsing applies go-plugin
//! v1.4.3's checks in its order and reports failures with its exact texts, except where the Go
//! host itself loses the error (unknown network, unresolvable address): there a clear error is
//! returned instead.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::gocompat::{
    go_atoi, go_int_slice, go_quote, go_raw_std_base64_decode, go_x509_outer_check,
};

/// go-plugin's core protocol version (`CoreProtocolVersion`), the first handshake field.
pub const CORE_PROTOCOL_VERSION: u32 = 1;

/// Values host and plugin must agree on (go-plugin `HandshakeConfig`).
///
/// The host exports `magic_cookie_key=magic_cookie_value` to the child; the plugin refuses to run
/// without it. `protocol_version` is the application protocol version (dispatcher: 1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HandshakeConfig {
    /// Application protocol version (`ProtocolVersion`).
    pub protocol_version: u32,
    /// Name of the environment variable carrying the cookie (`MagicCookieKey`).
    pub magic_cookie_key: String,
    /// Expected value of that variable (`MagicCookieValue`).
    pub magic_cookie_value: String,
}

/// The RPC protocol a plugin speaks (go-plugin `Protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Go `net/rpc` over yamux (`"netrpc"`), the default.
    NetRpc,
    /// gRPC (`"grpc"`); recognised in handshakes, not implemented by this crate.
    Grpc,
}

impl Protocol {
    /// The wire name: `netrpc` or `grpc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::NetRpc => "netrpc",
            Protocol::Grpc => "grpc",
        }
    }

    fn from_wire(s: &str) -> Option<Self> {
        match s {
            "netrpc" => Some(Protocol::NetRpc),
            "grpc" => Some(Protocol::Grpc),
            _ => None,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialised as the Go string (`"netrpc"`); an empty string deserialises to `NetRpc` as
/// go-plugin's reattach does.
impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Ok(Protocol::NetRpc);
        }
        Protocol::from_wire(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown plugin protocol {s:?}")))
    }
}

/// Where the plugin listens: the NETWORK and ADDRESS handshake fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PluginAddr {
    /// `unix` + absolute socket path.
    Unix(PathBuf),
    /// `tcp` + `host:port` (Go plugins use this on Windows).
    Tcp(SocketAddr),
}

impl PluginAddr {
    /// The Go network name: `unix` or `tcp`.
    pub fn network(&self) -> &'static str {
        match self {
            PluginAddr::Unix(_) => "unix",
            PluginAddr::Tcp(_) => "tcp",
        }
    }
}

impl fmt::Display for PluginAddr {
    /// The address as Go's `net.Addr.String()` prints it (path, or `ip:port`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginAddr::Unix(p) => write!(f, "{}", p.display()),
            PluginAddr::Tcp(a) => write!(f, "{a}"),
        }
    }
}

/// JSON shape of Go's `*net.UnixAddr` / `*net.TCPAddr` under `encoding/json`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum GoAddrJson {
    #[serde(rename_all = "PascalCase")]
    Unix { name: PathBuf, net: String },
    Tcp {
        #[serde(rename = "IP")]
        ip: IpAddr,
        #[serde(rename = "Port")]
        port: u16,
        #[serde(rename = "Zone", default)]
        zone: String,
    },
}

/// Serialised like Go's `encoding/json` does for the `net.Addr` in a go-plugin
/// `ReattachConfig`: `{"Name":"/tmp/plugin1","Net":"unix"}` or
/// `{"IP":"127.0.0.1","Port":1234,"Zone":""}`. An IPv6 zone is written as the numeric scope id.
impl Serialize for PluginAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let j = match self {
            PluginAddr::Unix(p) => GoAddrJson::Unix {
                name: p.clone(),
                net: "unix".into(),
            },
            PluginAddr::Tcp(a) => GoAddrJson::Tcp {
                ip: a.ip(),
                port: a.port(),
                zone: match a {
                    SocketAddr::V6(v6) if v6.scope_id() != 0 => v6.scope_id().to_string(),
                    _ => String::new(),
                },
            },
        };
        j.serialize(s)
    }
}

impl<'de> Deserialize<'de> for PluginAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match GoAddrJson::deserialize(d)? {
            GoAddrJson::Unix { name, net } => {
                if net != "unix" {
                    return Err(serde::de::Error::custom(format!(
                        "unsupported unix network {net:?}"
                    )));
                }
                PluginAddr::Unix(name)
            }
            GoAddrJson::Tcp { ip, port, zone } => {
                let mut a = SocketAddr::new(ip, port);
                if let (SocketAddr::V6(v6), Ok(id)) = (&mut a, zone.parse::<u32>()) {
                    v6.set_scope_id(id);
                }
                PluginAddr::Tcp(a)
            }
        })
    }
}

/// A validated handshake line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// Core protocol version (always 1, go-plugin's `CoreProtocolVersion`, once validated).
    pub core_version: u32,
    /// Negotiated application protocol version (one of the host's versions).
    pub app_version: u32,
    /// Where to connect.
    pub address: PluginAddr,
    /// RPC protocol (`netrpc` when the line has only four fields).
    pub protocol: Protocol,
    /// AutoMTLS server certificate as sent: unpadded standard base64 of the DER leaf. Only set
    /// when the sixth field is longer than 50 characters (go-plugin ignores shorter values); its
    /// base64 and outer DER framing have been checked.
    pub server_cert: Option<String>,
}

/// Why a handshake line was rejected (host side). Display texts equal go-plugin v1.4.3's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// (a) fewer than four `|`-separated fields.
    #[error("Unrecognized remote plugin message: {line}\n\nThis usually means that the plugin is either invalid or simply\nneeds to be recompiled to support the latest protocol.")]
    Unrecognized {
        /// The trimmed line.
        line: String,
    },
    /// (b) the core version is not an integer; `reason` is Go's `strconv.Atoi` error text.
    #[error("Error parsing core protocol version: {reason}")]
    CoreVersionParse {
        /// e.g. `strconv.Atoi: parsing "x": invalid syntax`.
        reason: String,
    },
    /// (c) the core version is not 1.
    #[error("Incompatible core API version with plugin. Plugin version: {plugin}, Core version: 1\n\nTo fix this, the plugin usually only needs to be recompiled.\nPlease report this to the plugin author.")]
    IncompatibleCore {
        /// The first field as the plugin sent it.
        plugin: String,
    },
    /// (d) the app version is not an integer.
    #[error("Error parsing protocol version {}: {reason}", go_quote(.value))]
    AppVersionParse {
        /// The second field as sent.
        value: String,
        /// Go's `strconv.Atoi` error text.
        reason: String,
    },
    /// (e) the app version is not one the host supports.
    #[error("Incompatible API version with plugin. Plugin version: {plugin}, Client versions: {}", go_int_slice(.host))]
    IncompatibleApp {
        /// The plugin's version.
        plugin: i64,
        /// The host's versions.
        host: Vec<u32>,
    },
    /// (f) the network is neither `unix` nor `tcp`. (go-plugin v1.4.3 loses this error.)
    #[error("Unknown address type {} in plugin handshake (expected \"unix\" or \"tcp\"): {line}", go_quote(.network))]
    UnknownNetwork {
        /// The third field.
        network: String,
        /// The trimmed line.
        line: String,
    },
    /// (f) the address does not resolve. (go-plugin v1.4.3 loses this error.)
    #[error("Invalid {network} address {} in plugin handshake ({reason}): {line}", go_quote(.address))]
    InvalidAddress {
        /// `unix` or `tcp`.
        network: String,
        /// The fourth field.
        address: String,
        /// What is wrong with it.
        reason: String,
        /// The trimmed line.
        line: String,
    },
    /// (g) the protocol is not allowed by the host.
    #[error("Unsupported plugin protocol {}. Supported: {}", go_quote(.protocol), go_protocol_list(.allowed))]
    UnsupportedProtocol {
        /// The fifth field.
        protocol: String,
        /// The host's allowed protocols.
        allowed: Vec<Protocol>,
    },
    /// (h) the AutoMTLS certificate is not valid base64/DER; `reason` is Go's text, e.g.
    /// `illegal base64 data at input byte 4` or `x509: malformed certificate`.
    #[error("error parsing server cert: {reason}")]
    ServerCert {
        /// Go's decoder/parser error text.
        reason: String,
    },
}

fn go_protocol_list(v: &[Protocol]) -> String {
    let names: Vec<&str> = v.iter().map(|p| p.as_str()).collect();
    format!("[{}]", names.join(" "))
}

/// Why [`format_line`] cannot build a line for an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The socket path is not UTF-8 or contains `|`, `\r` or `\n`, which would corrupt the line.
    #[error("socket path {0:?} cannot be sent in a handshake line")]
    UnsendablePath(PathBuf),
    /// A server certificate field contains `|`, `\r` or `\n`.
    #[error("server certificate field contains a separator or newline")]
    UnsendableCert,
}

/// Builds the provider's handshake line exactly as a Go plugin prints it:
/// `1|<app_version>|<network>|<address>|<protocol>|<server_cert>\n` — six fields, the last one
/// empty without AutoMTLS (so the line ends in `|\n`).
pub fn format_line(
    app_version: u32,
    address: &PluginAddr,
    protocol: Protocol,
    server_cert: Option<&str>,
) -> Result<String, FormatError> {
    let bad = |s: &str| s.contains(['|', '\r', '\n']);
    let addr = match address {
        PluginAddr::Unix(p) => match p.to_str() {
            Some(s) if !bad(s) => s.to_owned(),
            _ => return Err(FormatError::UnsendablePath(p.clone())),
        },
        PluginAddr::Tcp(a) => a.to_string(),
    };
    let cert = server_cert.unwrap_or("");
    if bad(cert) {
        return Err(FormatError::UnsendableCert);
    }
    Ok(format!(
        "{CORE_PROTOCOL_VERSION}|{app_version}|{}|{addr}|{protocol}|{cert}\n",
        address.network()
    ))
}

/// Validates the first stdout line of a plugin (host side), as go-plugin v1.4.3 `Client.Start`.
///
/// The line is trimmed (Go `strings.TrimSpace`) and split on `|` into at most six fields (the
/// sixth keeps any further `|`, so fields added by newer go-plugin versions are tolerated).
/// Checks, in Go's order: (a) ≥ 4 fields, (b) core version is an int, (c) it is 1, (d) app
/// version is an int, (e) it is in `host_versions`, (f) network `unix`/`tcp` and the address
/// resolves, (g) the protocol (default `netrpc`) is in `allowed_protocols`, (h) a sixth field
/// longer than 50 characters is a valid unpadded base64 DER certificate.
///
/// A `tcp` address that is not a literal `ip:port` is resolved with the system resolver
/// (blocking), preferring IPv4 as Go does; an empty host means the local system (127.0.0.1).
pub fn parse_line(
    line: &str,
    host_versions: &[u32],
    allowed_protocols: &[Protocol],
) -> Result<Handshake, HandshakeError> {
    parse_line_with(line, host_versions, allowed_protocols, &system_resolver)
}

/// Resolves a `tcp` host name and port to socket addresses (`to_socket_addrs`), or Go-like
/// error text.
pub(crate) type Resolver = dyn Fn(&str, u16) -> Result<Vec<SocketAddr>, String>;

/// The system resolver (blocking), used by [`parse_line`].
pub(crate) fn system_resolver(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    Ok((host, port)
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .collect())
}

/// [`parse_line`] with the name resolution of `tcp` host names given (the fuzz targets use a
/// deterministic one).
pub(crate) fn parse_line_with(
    line: &str,
    host_versions: &[u32],
    allowed_protocols: &[Protocol],
    resolve: &Resolver,
) -> Result<Handshake, HandshakeError> {
    let line = line.trim();
    let parts: Vec<&str> = line.splitn(6, '|').collect();
    if parts.len() < 4 {
        return Err(HandshakeError::Unrecognized { line: line.into() });
    }

    let core = go_atoi(parts[0]).map_err(|reason| HandshakeError::CoreVersionParse { reason })?;
    if core != i64::from(CORE_PROTOCOL_VERSION) {
        return Err(HandshakeError::IncompatibleCore {
            plugin: parts[0].into(),
        });
    }

    let app = go_atoi(parts[1]).map_err(|reason| HandshakeError::AppVersionParse {
        value: parts[1].into(),
        reason,
    })?;
    let app_version = host_versions
        .iter()
        .copied()
        .find(|v| i64::from(*v) == app)
        .ok_or_else(|| HandshakeError::IncompatibleApp {
            plugin: app,
            host: host_versions.to_vec(),
        })?;

    let address = match parts[2] {
        "unix" => resolve_unix(parts[3]),
        "tcp" => resolve_tcp(parts[3], resolve),
        other => {
            return Err(HandshakeError::UnknownNetwork {
                network: other.into(),
                line: line.into(),
            })
        }
    }
    .map_err(|reason| HandshakeError::InvalidAddress {
        network: parts[2].into(),
        address: parts[3].into(),
        reason,
        line: line.into(),
    })?;

    let protocol_str = parts.get(4).copied().unwrap_or("netrpc");
    let protocol = Protocol::from_wire(protocol_str)
        .filter(|p| allowed_protocols.contains(p))
        .ok_or_else(|| HandshakeError::UnsupportedProtocol {
            protocol: protocol_str.into(),
            allowed: allowed_protocols.to_vec(),
        })?;

    let server_cert = match parts.get(5) {
        Some(cert) if cert.len() > 50 => {
            let der = go_raw_std_base64_decode(cert.as_bytes())
                .map_err(|reason| HandshakeError::ServerCert { reason })?;
            go_x509_outer_check(&der).map_err(|reason| HandshakeError::ServerCert { reason })?;
            Some((*cert).to_owned())
        }
        _ => None,
    };

    Ok(Handshake {
        core_version: CORE_PROTOCOL_VERSION,
        app_version,
        address,
        protocol,
        server_cert,
    })
}

fn resolve_unix(addr: &str) -> Result<PluginAddr, String> {
    if addr.is_empty() {
        return Err("empty socket path".into());
    }
    Ok(PluginAddr::Unix(Path::new(addr).to_path_buf()))
}

fn resolve_tcp(addr: &str, resolve: &Resolver) -> Result<PluginAddr, String> {
    if let Ok(a) = addr.parse::<SocketAddr>() {
        return Ok(PluginAddr::Tcp(a));
    }
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| "missing port in address".to_string())?;
    let port: u16 = port.parse().map_err(|_| format!("invalid port {port:?}"))?;
    if host.is_empty() {
        return Ok(PluginAddr::Tcp(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
        )));
    }
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let addrs = resolve(host, port)?;
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .map(|a| PluginAddr::Tcp(*a))
        .ok_or_else(|| "no addresses found".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &[u32] = &[1];
    const NETRPC: &[Protocol] = &[Protocol::NetRpc];

    fn err(line: &str) -> String {
        parse_line(line, V1, NETRPC).unwrap_err().to_string()
    }

    #[test]
    fn format_exact() {
        let a = PluginAddr::Unix("/tmp/plugin123".into());
        assert_eq!(
            format_line(1, &a, Protocol::NetRpc, None).unwrap(),
            "1|1|unix|/tmp/plugin123|netrpc|\n"
        );
        let t = PluginAddr::Tcp("127.0.0.1:10000".parse().unwrap());
        assert_eq!(
            format_line(3, &t, Protocol::Grpc, Some("abc")).unwrap(),
            "1|3|tcp|127.0.0.1:10000|grpc|abc\n"
        );
        assert!(format_line(
            1,
            &PluginAddr::Unix("/tmp/a|b".into()),
            Protocol::NetRpc,
            None
        )
        .is_err());
        assert!(format_line(1, &a, Protocol::NetRpc, Some("x\ny")).is_err());
    }

    #[test]
    fn roundtrip_and_variants() {
        let h = parse_line("1|1|unix|/tmp/plugin2836711280|netrpc|\n", V1, NETRPC).unwrap();
        assert_eq!(
            h,
            Handshake {
                core_version: 1,
                app_version: 1,
                address: PluginAddr::Unix("/tmp/plugin2836711280".into()),
                protocol: Protocol::NetRpc,
                server_cert: None,
            }
        );
        // Legacy four-field line means net/rpc.
        let h = parse_line("1|1|unix|/tmp/p", V1, NETRPC).unwrap();
        assert_eq!(h.protocol, Protocol::NetRpc);
        assert_eq!(h.address, PluginAddr::Unix("/tmp/p".into()));
        // Extra fields after the sixth (go-plugin >= 1.6 multiplexing flag) are tolerated.
        let h = parse_line("1|1|unix|/tmp/p|netrpc||true", V1, NETRPC).unwrap();
        assert_eq!(h.server_cert, None);
        // Surrounding whitespace and \r\n trimmed; "+1"/"01" parse as Go's Atoi does.
        let h = parse_line("  +1|01|tcp|127.0.0.1:1234|netrpc|\r\n", V1, NETRPC).unwrap();
        assert_eq!(
            h.address,
            PluginAddr::Tcp("127.0.0.1:1234".parse().unwrap())
        );
        // Short cert fields (<= 50 chars) are ignored, even when not base64.
        let h = parse_line(
            &format!("1|1|unix|/p|netrpc|{}", "!".repeat(50)),
            V1,
            NETRPC,
        );
        assert_eq!(h.unwrap().server_cert, None);
        // gRPC accepted when allowed; multiple host versions.
        let h = parse_line(
            "1|2|unix|/p|grpc|",
            &[1, 2],
            &[Protocol::NetRpc, Protocol::Grpc],
        )
        .unwrap();
        assert_eq!((h.app_version, h.protocol), (2, Protocol::Grpc));
    }

    #[test]
    fn check_a_too_few_fields() {
        assert_eq!(
            err("1|1|unix"),
            "Unrecognized remote plugin message: 1|1|unix\n\nThis usually means that the plugin is either invalid or simply\nneeds to be recompiled to support the latest protocol."
        );
        assert_eq!(
            err(""),
            "Unrecognized remote plugin message: \n\nThis usually means that the plugin is either invalid or simply\nneeds to be recompiled to support the latest protocol."
        );
    }

    #[test]
    fn check_b_core_not_int() {
        assert_eq!(
            err("x|1|unix|/p|netrpc|"),
            "Error parsing core protocol version: strconv.Atoi: parsing \"x\": invalid syntax"
        );
    }

    #[test]
    fn check_c_core_not_one() {
        assert_eq!(
            err("2|1|unix|/p|netrpc|"),
            "Incompatible core API version with plugin. Plugin version: 2, Core version: 1\n\nTo fix this, the plugin usually only needs to be recompiled.\nPlease report this to the plugin author."
        );
        // The field is quoted as sent.
        assert!(err("+02|1|unix|/p").contains("Plugin version: +02, Core"));
    }

    #[test]
    fn check_d_app_not_int() {
        assert_eq!(
            err("1|y|unix|/p|netrpc|"),
            "Error parsing protocol version \"y\": strconv.Atoi: parsing \"y\": invalid syntax"
        );
    }

    #[test]
    fn check_e_app_not_supported() {
        assert_eq!(
            err("1|2|unix|/p|netrpc|"),
            "Incompatible API version with plugin. Plugin version: 2, Client versions: [1]"
        );
        assert_eq!(
            parse_line("1|5|unix|/p", &[1, 3], NETRPC)
                .unwrap_err()
                .to_string(),
            "Incompatible API version with plugin. Plugin version: 5, Client versions: [1 3]"
        );
    }

    #[test]
    fn check_f_network_and_address() {
        let e = parse_line("1|1|udp|/p|netrpc|", V1, NETRPC).unwrap_err();
        assert!(
            matches!(e, HandshakeError::UnknownNetwork { ref network, .. } if network == "udp")
        );
        assert_eq!(
            e.to_string(),
            "Unknown address type \"udp\" in plugin handshake (expected \"unix\" or \"tcp\"): 1|1|udp|/p|netrpc|"
        );
        let e = parse_line("1|1|tcp|nonsense|netrpc|", V1, NETRPC).unwrap_err();
        assert!(matches!(e, HandshakeError::InvalidAddress { .. }), "{e}");
        assert!(e.to_string().contains("1|1|tcp|nonsense|netrpc|"));
        let e = parse_line("1|1|unix||netrpc|", V1, NETRPC).unwrap_err();
        assert!(matches!(e, HandshakeError::InvalidAddress { .. }), "{e}");
        // Network is checked before the protocol (Go's order).
        let e = parse_line("1|1|udp|/p|grpc|", V1, NETRPC).unwrap_err();
        assert!(matches!(e, HandshakeError::UnknownNetwork { .. }));
    }

    #[test]
    fn check_g_protocol() {
        assert_eq!(
            err("1|1|unix|/p|grpc|"),
            "Unsupported plugin protocol \"grpc\". Supported: [netrpc]"
        );
        // An empty fifth field is not defaulted (Go behaviour).
        assert_eq!(
            err("1|1|unix|/p||"),
            "Unsupported plugin protocol \"\". Supported: [netrpc]"
        );
        assert_eq!(
            parse_line(
                "1|1|unix|/p|NetRPC|",
                V1,
                &[Protocol::NetRpc, Protocol::Grpc]
            )
            .unwrap_err()
            .to_string(),
            "Unsupported plugin protocol \"NetRPC\". Supported: [netrpc grpc]"
        );
    }

    #[test]
    fn check_h_server_cert() {
        let long_bad = format!("{}!", "A".repeat(60));
        assert_eq!(
            err(&format!("1|1|unix|/p|netrpc|{long_bad}")),
            "error parsing server cert: illegal base64 data at input byte 60"
        );
        // Valid base64, not a certificate.
        let not_der = "QUFB".repeat(20);
        assert_eq!(
            err(&format!("1|1|unix|/p|netrpc|{not_der}")),
            "error parsing server cert: x509: malformed certificate"
        );
        // Padded base64 is rejected like Go's RawStdEncoding does.
        let padded = format!("{}==", "QUFB".repeat(15));
        assert!(err(&format!("1|1|unix|/p|netrpc|{padded}"))
            .starts_with("error parsing server cert: illegal base64 data"));
    }

    #[test]
    fn server_cert_accepted() {
        // A minimal well-framed DER Certificate SEQUENCE { SEQUENCE{...}, ... } of 60 bytes.
        let mut der = vec![0x30, 58, 0x30, 56];
        der.extend_from_slice(&[0u8; 56]);
        let b64 = raw_b64(&der);
        assert!(b64.len() > 50);
        let h = parse_line(&format!("1|1|unix|/p|netrpc|{b64}"), V1, NETRPC).unwrap();
        assert_eq!(h.server_cert.as_deref(), Some(b64.as_str()));
    }

    fn raw_b64(data: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    #[test]
    fn addr_json_like_go() {
        // Expected strings produced by Go's encoding/json for *net.UnixAddr / *net.TCPAddr.
        let u = PluginAddr::Unix("/tmp/plugin123".into());
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"Name":"/tmp/plugin123","Net":"unix"}"#
        );
        let t = PluginAddr::Tcp("127.0.0.1:1234".parse().unwrap());
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"IP":"127.0.0.1","Port":1234,"Zone":""}"#
        );
        for a in [u, t] {
            let s = serde_json::to_string(&a).unwrap();
            assert_eq!(serde_json::from_str::<PluginAddr>(&s).unwrap(), a);
        }
        assert_eq!(
            serde_json::from_str::<Protocol>(r#""""#).unwrap(),
            Protocol::NetRpc
        );
    }
}
