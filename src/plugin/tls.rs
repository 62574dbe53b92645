//! go-plugin's mutual TLS for net/rpc plugins: AutoMTLS and user TLS configurations
//! (cargo feature `tls`, on by default).
//!
//! AutoMTLS (go-plugin v1.4.3 `client.go` `Start`, `server.go` `Serve`, `mtls.go`):
//!
//! 1. The host generates a certificate ([`Identity::generate`]) and passes it as PEM in
//!    `PLUGIN_CLIENT_CERT`.
//! 2. A plugin that finds the variable generates its own certificate, requires the host's
//!    certificate from every connection, and returns its certificate's DER, unpadded base64, as
//!    the sixth field of the handshake line.
//! 3. The host trusts exactly that certificate (server name `localhost`); TLS wraps the socket
//!    and yamux runs inside it, so control, stdio and broker streams are all protected.
//!
//! Both certificates are what Go's `generateCert` makes: ECDSA P-521 signed with SHA-512,
//! O=HashiCorp, CN=localhost, SAN localhost, CA:TRUE, valid from 30 s ago for 30 years. P-521
//! needs the aws-lc-rs provider of rustls (ring has no P-521). WebPKI path validation rejects
//! such CA-flagged self-signed leaves, so the verifiers here pin the exact certificate instead
//! (stricter than Go, which would also accept a certificate the pinned one signed) and still
//! check the handshake signature with the peer's key.
//!
//! The user path (go-plugin's `ClientConfig.TLSConfig` / `ServeConfig.TLSProvider`) takes any
//! [`rustls`] configuration: [`TlsClientConfig`] on the host, [`ServeConfig::tls`] on the
//! provider. [`pinned_client_config`] and [`pinned_server_config`] build Go's AutoMTLS-style
//! configurations from certificates of your own.
//!
//! [`ServeConfig::tls`]: super::server::ServeConfig::tls

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName as RcgenName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
pub use rustls;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, CipherSuite, DigitallySignedStruct, DistinguishedName, OtherError,
    ProtocolVersion, SignatureScheme,
};

use super::gocompat::{go_raw_std_base64_decode, go_x509_outer_check};

use super::env::ENV_CLIENT_CERT;

/// The server name an AutoMTLS host expects (go-plugin sets `ServerName: "localhost"`).
pub const AUTO_MTLS_SERVER_NAME: &str = "localhost";

/// How long the TLS handshake of one connection may take on the provider (the host's is
/// part of its connect timeout). Go has no limit; a host that connects and says nothing would
/// hold a task forever.
pub(crate) const ACCEPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why setting up or negotiating TLS failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` holds no parseable PEM certificate. (A Go plugin logs `client cert
    /// provided but failed to parse` and serves on with an empty pool, so that no host can
    /// ever connect; this provider refuses to start instead.)
    #[error("{ENV_CLIENT_CERT} is not a PEM certificate: {reason}")]
    ClientCertPem {
        /// What is wrong with it.
        reason: String,
    },
    /// The per-launch certificate could not be generated.
    #[error("generating the AutoMTLS certificate failed: {0}")]
    Generate(String),
    /// [`Identity::from_pem`] could not read the certificate or key.
    #[error("unusable TLS identity: {reason}")]
    Identity {
        /// Why.
        reason: String,
    },
    /// A rustls configuration could not be built from the certificates.
    #[error("building the TLS configuration failed: {0}")]
    Config(#[source] rustls::Error),
    /// AutoMTLS is on but the plugin's handshake line carried no certificate (a plugin that
    /// ignores `PLUGIN_CLIENT_CERT`; a Go host fails later with `x509: certificate signed by
    /// unknown authority`).
    #[error("AutoMTLS is on but the plugin returned no server certificate in its handshake")]
    NoServerCert,
    /// A certificate from the handshake line could not be used.
    #[error("the plugin's handshake certificate is unusable: {reason}")]
    ServerCertInvalid {
        /// Why.
        reason: String,
    },
    /// [`PluginClient::reattach`](super::client::PluginClient::reattach) with AutoMTLS: a
    /// reattach config carries no certificate (Go connects without TLS then, which an AutoMTLS
    /// plugin refuses).
    #[error("an AutoMTLS plugin cannot be reattached (the reattach config carries no certificate); give a TLS config instead")]
    AutoMtlsReattach,
    /// The peer presented a certificate other than the pinned one.
    #[error("the peer presented a certificate other than the expected one")]
    CertificateMismatch,
    /// The peer presented no certificate.
    #[error("the peer presented no certificate")]
    NoPeerCertificate,
    /// The peer refused our certificate or the handshake (its TLS alert).
    #[error("the peer rejected the TLS handshake: {alert}")]
    PeerRejected {
        /// The alert it sent, e.g. `BadCertificate`.
        alert: String,
    },
    /// The plugin closed the connection right after the TLS handshake, before it opened any
    /// stream: in TLS 1.3 a plugin that refuses the host's certificate does so after the host
    /// has finished its handshake, and its alert may be lost to the closed connection.
    #[error("the plugin closed the connection right after the TLS handshake (did it refuse our certificate?)")]
    ClosedAfterHandshake,
    /// The peer does not speak TLS: it sent something that is no TLS record, or closed the
    /// connection on our first TLS message (a plaintext go-plugin peer does: the yamux header
    /// it reads has a wrong version).
    #[error("the peer does not speak TLS ({detail})")]
    NotTls {
        /// What was seen.
        detail: String,
    },
    /// The handshake did not finish within its time limit.
    #[error("the TLS handshake did not finish within {0:?}")]
    Timeout(Duration),
    /// Any other handshake failure.
    #[error("TLS handshake failed: {0}")]
    Handshake(#[source] io::Error),
}

impl TlsError {
    /// Classifies an I/O error from a tokio-rustls handshake.
    pub(crate) fn from_handshake(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            return TlsError::NotTls {
                detail: "the connection was closed during the TLS handshake".into(),
            };
        }
        match Self::of_io(&e) {
            Some(classified) => classified,
            None => TlsError::Handshake(e),
        }
    }

    /// The TLS failure inside an I/O error (a rustls error that says more than "failed"),
    /// e.g. the alert a plugin sends after the handshake when it refuses our certificate
    /// (TLS 1.3 checks the client's certificate after the client has finished).
    pub(crate) fn of_io(e: &io::Error) -> Option<Self> {
        let tls = e.get_ref()?.downcast_ref::<rustls::Error>()?;
        Some(match tls {
            rustls::Error::InvalidCertificate(CertificateError::Other(o))
                if o.0.downcast_ref::<PinMismatch>().is_some() =>
            {
                TlsError::CertificateMismatch
            }
            rustls::Error::NoCertificatesPresented => TlsError::NoPeerCertificate,
            rustls::Error::AlertReceived(alert) => TlsError::PeerRejected {
                alert: format!("{alert:?}"),
            },
            rustls::Error::InvalidMessage(m) => TlsError::NotTls {
                detail: format!("invalid TLS message: {m:?}"),
            },
            _ => return None,
        })
    }
}

/// Marker inside a rustls error: the certificate is not the pinned one.
#[derive(Debug)]
struct PinMismatch;

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("certificate is not the pinned one")
    }
}

impl std::error::Error for PinMismatch {}

/// The crypto provider: aws-lc-rs (P-521).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A certificate and its private key: one side's TLS identity.
pub struct Identity {
    der: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
    pem: String,
    key_pem: String,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("der_len", &self.der.len())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// Generates an identity like go-plugin's `generateCert`: a fresh ECDSA P-521 key,
    /// self-signed with SHA-512, random 128-bit serial, O=HashiCorp, CN=localhost, SAN
    /// localhost, CA:TRUE, key usages digitalSignature, keyEncipherment, keyAgreement,
    /// keyCertSign, extended key usages clientAuth and serverAuth, valid from 30 s ago for
    /// 262,980 hours (30 years).
    pub fn generate() -> Result<Self, TlsError> {
        generate_certificate()
    }

    /// An identity from a PEM certificate (the first `CERTIFICATE` block) and a PEM private
    /// key (PKCS#8 `PRIVATE KEY`, or SEC1 `EC PRIVATE KEY` as Go's `generateCert` writes it).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, TlsError> {
        let bad = |reason: String| TlsError::Identity { reason };
        let der = pem_certificates(cert_pem)
            .map_err(|e| bad(format!("certificate: {e}")))?
            .swap_remove(0);
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| bad(format!("private key: {e}")))?;
        Ok(Identity {
            der,
            key,
            pem: cert_pem.to_owned(),
            key_pem: key_pem.to_owned(),
        })
    }

    /// The certificate (DER).
    pub fn der(&self) -> &CertificateDer<'static> {
        &self.der
    }

    /// The certificate as PEM (`CERTIFICATE` block), as sent in `PLUGIN_CLIENT_CERT`.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The private key as PKCS#8 PEM (`PRIVATE KEY` block; Go's `tls.X509KeyPair` reads it).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// The certificate as the sixth handshake field: DER, standard base64 without padding.
    pub fn handshake_field(&self) -> String {
        raw_std_base64(&self.der)
    }

    fn key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }
}

/// [`Identity::generate`] (go-plugin `mtls.go` `generateCert`).
fn generate_certificate() -> Result<Identity, TlsError> {
    let generate = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).map_err(generate)?;
    let mut params =
        CertificateParams::new(vec![AUTO_MTLS_SERVER_NAME.to_owned()]).map_err(generate)?;
    let mut name = RcgenName::new();
    name.push(DnType::OrganizationName, "HashiCorp");
    name.push(DnType::CommonName, AUTO_MTLS_SERVER_NAME);
    params.distinguished_name = name;
    params.subject_alt_names = vec![SanType::DnsName(
        AUTO_MTLS_SERVER_NAME.try_into().map_err(generate)?,
    )];
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    // Go: serial = rand.Int(rand.Reader, 2^128).
    let mut serial = [0u8; 16];
    provider()
        .secure_random
        .fill(&mut serial)
        .map_err(|e| TlsError::Generate(format!("random serial: {e:?}")))?;
    serial[0] &= 0x7f; // a positive INTEGER, as Go's is
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::seconds(30);
    params.not_after = now + time::Duration::hours(262_980);
    let cert = params.self_signed(&key).map_err(generate)?;
    Ok(Identity {
        pem: cert.pem(),
        der: cert.der().clone(),
        key_pem: key.serialize_pem(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    })
}

/// Unpadded standard base64 (Go's `base64.RawStdEncoding`).
fn raw_std_base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// Decodes the sixth handshake field (already checked by the handshake parser) into a DER
/// certificate.
pub(crate) fn decode_handshake_cert(field: &str) -> Result<CertificateDer<'static>, TlsError> {
    let der = go_raw_std_base64_decode(field.as_bytes())
        .map_err(|reason| TlsError::ServerCertInvalid { reason })?;
    go_x509_outer_check(&der).map_err(|reason| TlsError::ServerCertInvalid { reason })?;
    Ok(CertificateDer::from(der))
}

/// Reads the certificates of a PEM text (`PLUGIN_CLIENT_CERT`): at least one `CERTIFICATE`
/// block, each with an X.509 outer structure (Go's `AppendCertsFromPEM` parses each one).
pub fn parse_pem_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    pem_certificates(pem).map_err(|reason| TlsError::ClientCertPem { reason })
}

fn pem_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut certs = Vec::new();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| e.to_string())?;
        go_x509_outer_check(&cert)?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err("no CERTIFICATE block".into());
    }
    Ok(certs)
}

/// Accepts exactly the pinned certificates (either side) and checks the handshake
/// signatures with the certificate's key.
#[derive(Debug)]
struct Pinned {
    certs: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
}

impl Pinned {
    fn check(&self, end_entity: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        if self.certs.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
            Ok(())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(PinMismatch)),
            )))
        }
    }

    fn tls12(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The name is not checked: the pinned certificate is the plugin's own, announced
        // on its stdout; Go's name check (`localhost`) holds for every go-plugin certificate.
        self.check(end_entity)
            .map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }
}

impl ClientCertVerifier for Pinned {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No CA names in the CertificateRequest: Go's client then offers its one certificate.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check(end_entity)
            .map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }
}

/// A host's TLS configuration (go-plugin's `ClientConfig.TLSConfig`): the rustls client
/// configuration and the server name to send and verify.
#[derive(Clone)]
pub struct TlsClientConfig {
    /// The rustls configuration (build it with the aws-lc-rs provider for go-plugin's P-521
    /// certificates).
    pub config: Arc<rustls::ClientConfig>,
    /// The server name (go-plugin's AutoMTLS uses `localhost`).
    pub server_name: ServerName<'static>,
}

impl fmt::Debug for TlsClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClientConfig")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl TlsClientConfig {
    /// `config` with server name `localhost`.
    pub fn new(config: Arc<rustls::ClientConfig>) -> Self {
        TlsClientConfig {
            config,
            // A constant, not peer data (`DnsName::try_from_str` is const, but its `Result`
            // cannot be dropped in a constant).
            server_name: ServerName::try_from(AUTO_MTLS_SERVER_NAME)
                .expect("localhost is a DNS name")
                .to_owned(),
        }
    }
}

/// Go's AutoMTLS host configuration: presents `own`, trusts exactly `server_cert` (server
/// name `localhost`), TLS 1.2 or 1.3.
pub fn pinned_client_config(
    server_cert: CertificateDer<'static>,
    own: &Identity,
) -> Result<TlsClientConfig, TlsError> {
    let provider = provider();
    let verifier = Arc::new(Pinned {
        certs: vec![server_cert],
        provider: provider.clone(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_auth_cert(vec![own.der.clone()], own.key())
        .map_err(TlsError::Config)?;
    Ok(TlsClientConfig::new(Arc::new(config)))
}

/// Go's AutoMTLS plugin configuration: presents `own`, requires a client certificate and
/// accepts exactly one of `client_certs`, TLS 1.2 minimum (`MinVersion: tls.VersionTLS12`).
pub fn pinned_server_config(
    client_certs: Vec<CertificateDer<'static>>,
    own: &Identity,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = provider();
    let verifier = Arc::new(Pinned {
        certs: client_certs,
        provider: provider.clone(),
    });
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![own.der.clone()], own.key())
        .map_err(TlsError::Config)?;
    Ok(Arc::new(config))
}

/// The provider's AutoMTLS setup from `PLUGIN_CLIENT_CERT`: its server configuration and
/// the handshake field announcing its certificate.
pub(crate) fn auto_server(
    client_cert_pem: &str,
) -> Result<(Arc<rustls::ServerConfig>, String), TlsError> {
    let client_certs = parse_pem_certificates(client_cert_pem)?;
    let own = generate_certificate()?;
    let config = pinned_server_config(client_certs, &own)?;
    Ok((config, own.handshake_field()))
}

/// What a host's TLS connection negotiated ([`PluginClient::tls`]).
///
/// [`PluginClient::tls`]: super::client::PluginClient::tls
#[derive(Debug, Clone)]
pub struct TlsInfo {
    /// TLS version (TLS 1.3 between go-plugin peers).
    pub protocol_version: Option<ProtocolVersion>,
    /// Cipher suite.
    pub cipher_suite: Option<CipherSuite>,
    /// The certificate the plugin presented (for AutoMTLS: the one of its handshake line).
    pub peer_certificate: Option<CertificateDer<'static>>,
}

impl TlsInfo {
    pub(crate) fn of(conn: &rustls::ClientConnection) -> Self {
        TlsInfo {
            protocol_version: conn.protocol_version(),
            cipher_suite: conn.negotiated_cipher_suite().map(|s| s.suite()),
            peer_certificate: conn
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.clone().into_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_go_raw_std() {
        for (data, want) in [
            (&b""[..], ""),
            (b"M", "TQ"),
            (b"Ma", "TWE"),
            (b"Man", "TWFu"),
            (b"\xff\xfe\xfd\xfc", "//79/A"),
        ] {
            assert_eq!(raw_std_base64(data), want);
            assert_eq!(go_raw_std_base64_decode(want.as_bytes()).unwrap(), data);
        }
    }

    #[test]
    fn generated_certificate_round_trips() {
        let cert = generate_certificate().unwrap();
        let from_pem = parse_pem_certificates(cert.pem()).unwrap();
        assert_eq!(from_pem, vec![cert.der().clone()]);
        let field = cert.handshake_field();
        assert!(field.len() > 50 && !field.ends_with('='));
        assert_eq!(&decode_handshake_cert(&field).unwrap(), cert.der());
        let again = Identity::from_pem(cert.pem(), cert.key_pem()).unwrap();
        assert_eq!(again.der(), cert.der());
        assert!(matches!(
            Identity::from_pem(cert.pem(), "no key"),
            Err(TlsError::Identity { .. })
        ));
    }

    /// A TLS pair over an in-memory pipe with the AutoMTLS configurations.
    async fn tls_pair() -> (
        tokio_rustls::client::TlsStream<tokio::io::DuplexStream>,
        tokio_rustls::server::TlsStream<tokio::io::DuplexStream>,
    ) {
        let host = Identity::generate().unwrap();
        let plugin = Identity::generate().unwrap();
        let server = pinned_server_config(vec![host.der().clone()], &plugin).unwrap();
        let client = pinned_client_config(plugin.der().clone(), &host).unwrap();
        let (a, b) = tokio::io::duplex(1 << 16);
        let accept = tokio::spawn(tokio_rustls::TlsAcceptor::from(server).accept(b));
        let c = tokio_rustls::TlsConnector::from(client.config)
            .connect(client.server_name, a)
            .await
            .unwrap();
        (c, accept.await.unwrap().unwrap())
    }

    /// The buffered socket's check for yamux protocol violations (which rust-yamux alone
    /// lets pass) sits above the socket, so it holds inside TLS: a window update beyond
    /// 2^32 sent through TLS ends the session as hashicorp/yamux would.
    #[tokio::test]
    async fn yamux_protocol_violation_is_caught_inside_tls() {
        use crate::mux::{CloseReason, MuxConfig, Role, Session};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut host, plugin) = tls_pair().await;
        let session = Session::new(plugin, Role::Server, MuxConfig::default()).unwrap();
        let frame = |kind: u8, flags: u16, id: u32, len: u32| {
            let mut f = vec![0, kind];
            f.extend(flags.to_be_bytes());
            f.extend(id.to_be_bytes());
            f.extend(len.to_be_bytes());
            f
        };
        // Open stream 1 (window update + SYN), then grant it u32::MAX more.
        host.write_all(&frame(1, 1, 1, 0)).await.unwrap();
        host.write_all(&frame(1, 0, 1, u32::MAX)).await.unwrap();
        host.flush().await.unwrap();
        let drain = tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while matches!(host.read(&mut buf).await, Ok(n) if n > 0) {}
        });
        let reason = tokio::time::timeout(Duration::from_secs(5), session.closed())
            .await
            .expect("the session ends");
        assert!(
            matches!(reason, CloseReason::ProtocolViolation { code: 1 }),
            "{reason:?}"
        );
        drain.abort();
    }

    #[test]
    fn bad_pem_is_a_typed_error() {
        for bad in [
            "",
            "not pem",
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ] {
            let e = parse_pem_certificates(bad).unwrap_err();
            assert!(
                matches!(e, TlsError::ClientCertPem { .. }),
                "{bad:?}: {e:?}"
            );
            assert!(e
                .to_string()
                .starts_with("PLUGIN_CLIENT_CERT is not a PEM certificate"));
        }
    }
}
