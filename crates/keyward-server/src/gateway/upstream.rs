//! The upstream of G2: where the gateway forwards, over kept-alive connections ([`Pool`]),
//! trusting the public web's roots or only a private CA bundle (`upstream_ca_file`).

use std::time::Duration;

use std::sync::Arc;

use axum::http::{HeaderValue, Uri};
use hyper_util::client::legacy::connect::HttpConnector;

use super::pool::Pool;

/// How long a connection to the upstream may take to open; past it, 502.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle connections kept per upstream host, and how long (a bounded pool, never one per request).
const POOL_IDLE_PER_HOST: usize = 256;
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How the gateway reaches its upstream.
#[derive(Debug, Clone)]
pub struct UpstreamOptions {
    /// The longest wait for the upstream's response headers; past it, 504.
    pub timeout: Duration,
    /// PEM certificates of the authorities an https upstream must chain to (a private CA). `None`:
    /// the public web's roots.
    pub ca_bundle_pem: Option<Vec<u8>>,
    /// Each key's requests in flight to the upstream, at most (per node); `None`: no cap.
    pub max_in_flight_per_key: Option<usize>,
}

impl UpstreamOptions {
    pub fn with_timeout(timeout: Duration) -> UpstreamOptions {
        UpstreamOptions { timeout, ca_bundle_pem: None, max_in_flight_per_key: None }
    }
}

/// The upstream's base (`http://127.0.0.1:9000`, or with a path: `https://api.internal/base`),
/// and the connections that reach it.
pub struct Upstream {
    /// `scheme://authority`.
    origin: String,
    /// The `Host` of every forwarded request: the upstream's authority.
    pub(crate) host: HeaderValue,
    /// The base path, without a trailing `/` (empty for none); the request's path follows it.
    base_path: String,
    pub(crate) pool: Arc<Pool>,
    /// The longest wait for the upstream's response headers; past it, 504.
    pub(crate) timeout: Duration,
    /// The per-key cap on requests in flight, when there is one.
    pub in_flight: Option<Arc<super::InFlight>>,
    /// The fast path's connections, for a plain-HTTP upstream (docs/GATEWAY.md, "Speed").
    pub(crate) raw: Option<super::wire::upstream::RawUpstream>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").field("origin", &self.origin).field("base_path", &self.base_path).finish()
    }
}

impl Upstream {
    /// `url` was checked with the policy (`keyward_core::gateway::check_upstream`).
    pub fn new(url: &str, options: &UpstreamOptions) -> Result<Upstream, String> {
        let uri: Uri = url.parse().map_err(|e| format!("'{url}' is not an upstream URL: {e}"))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(format!("'{url}' is not an upstream URL such as http://127.0.0.1:9000"));
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(60)));
        let tls = match &options.ca_bundle_pem {
            Some(pem) => hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(private_roots(pem)?),
            None => hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_webpki_roots(rustls::crypto::aws_lc_rs::default_provider())
                .map_err(|e| format!("cannot set up TLS for the upstream: {e}"))?,
        };
        let https = tls.https_or_http().enable_http1().wrap_connector(http);
        let origin = format!("{scheme}://{authority}");
        let origin_uri: Uri = origin.parse().map_err(|e| format!("'{url}' is not an upstream URL: {e}"))?;
        let host = HeaderValue::from_str(authority.as_str()).map_err(|e| format!("'{url}' has no usable host: {e}"))?;
        let raw = (scheme == "http").then(|| {
            let port = authority.port_u16().unwrap_or(80);
            super::wire::upstream::RawUpstream::new(
                format!("{}:{port}", authority.host()),
                POOL_IDLE_PER_HOST,
                POOL_IDLE_TIMEOUT,
            )
        });
        Ok(Upstream {
            origin,
            host,
            base_path: uri.path().trim_end_matches('/').to_owned(),
            pool: Arc::new(Pool::new(https, origin_uri, POOL_IDLE_PER_HOST, POOL_IDLE_TIMEOUT)),
            timeout: options.timeout,
            in_flight: options.max_in_flight_per_key.map(super::InFlight::new),
            raw,
        })
    }

    /// The request target (origin form: the path under the base, and the query) of a request
    /// for `path_and_query` (which starts with `/`).
    pub(crate) fn uri_for(&self, path_and_query: &str) -> Result<Uri, axum::http::uri::InvalidUri> {
        if self.base_path.is_empty() {
            return Uri::try_from(path_and_query);
        }
        Uri::try_from(format!("{}{}", self.base_path, path_and_query))
    }

    /// The upstream's base path (empty, or `/base`): the fast path writes it before the
    /// client's path and query, which needs no `Uri` made.
    pub(crate) fn base_path(&self) -> &str {
        &self.base_path
    }

    /// Where requests go, for logs and the start-up banner.
    pub fn url(&self) -> String {
        format!("{}{}", self.origin, self.base_path)
    }
}

/// TLS that trusts only the authorities of `pem` (one or more `CERTIFICATE` blocks): an upstream
/// behind a private CA, and nothing signed by anyone else.
fn private_roots(pem: &[u8]) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| format!("the upstream CA bundle is not PEM certificates: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("the upstream CA bundle holds a certificate that cannot be a root: {e}"))?;
    }
    if roots.is_empty() {
        return Err("the upstream CA bundle holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)".into());
    }
    rustls::ClientConfig::builder_with_provider(rustls::crypto::aws_lc_rs::default_provider().into())
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
        .map_err(|e| format!("cannot set up TLS for the upstream: {e}"))
}
