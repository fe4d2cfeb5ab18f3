//! The upstream of G2: where the gateway forwards, through one pooled HTTP client.

use std::time::Duration;

use axum::body::Body;
use axum::http::Uri;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// How long a connection to the upstream may take to open; past it, 502.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle connections kept per upstream host, and how long (a bounded pool, never one per request).
const POOL_IDLE_PER_HOST: usize = 256;
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The upstream's base (`http://127.0.0.1:9000`, or with a path: `https://api.internal/base`),
/// and the client that reaches it.
pub struct Upstream {
    /// `scheme://authority`.
    origin: String,
    /// The base path, without a trailing `/` (empty for none); the request's path follows it.
    base_path: String,
    pub(crate) client: Client<HttpsConnector<HttpConnector>, Body>,
    /// The longest wait for the upstream's response headers; past it, 504.
    pub(crate) timeout: Duration,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").field("origin", &self.origin).field("base_path", &self.base_path).finish()
    }
}

impl Upstream {
    /// `url` was checked with the policy (`keyward_core::gateway::check_upstream`).
    pub fn new(url: &str, timeout: Duration) -> Result<Upstream, String> {
        let uri: Uri = url.parse().map_err(|e| format!("'{url}' is not an upstream URL: {e}"))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(format!("'{url}' is not an upstream URL such as http://127.0.0.1:9000"));
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(60)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| format!("cannot set up TLS for the upstream: {e}"))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_max_idle_per_host(POOL_IDLE_PER_HOST)
            .build(https);
        Ok(Upstream {
            origin: format!("{scheme}://{authority}"),
            base_path: uri.path().trim_end_matches('/').to_owned(),
            client,
            timeout,
        })
    }

    /// The upstream URI of a request for `path_and_query` (which starts with `/`).
    pub(crate) fn uri_for(&self, path_and_query: &str) -> Result<Uri, axum::http::uri::InvalidUri> {
        format!("{}{}{}", self.origin, self.base_path, path_and_query).parse()
    }

    /// Where requests go, for logs and the start-up banner.
    pub fn url(&self) -> String {
        format!("{}{}", self.origin, self.base_path)
    }
}
