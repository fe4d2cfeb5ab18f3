//! A real upstream on a loopback socket, started by the test: it answers what it received, so a
//! test can read exactly what the gateway forwarded.
//!
//! - `/…/download?bytes=N`: N bytes, streamed in 64 KiB chunks;
//! - `/…/upload`: reads the body as it streams and answers `{"received": N}`;
//! - `/…/slow`: answers after 3 s;
//! - `/…/false-switch`: a `101` that accepts no WebSocket key (a broken or hostile upstream);
//! - anything else: `{"method", "path", "query", "headers": {name: [values]}, "body_bytes"}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::{Value, json};

#[derive(Clone, Default)]
pub struct Upstream {
    pub addr: String,
    hits: Arc<AtomicUsize>,
}

impl Upstream {
    pub async fn start() -> Upstream {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let upstream = Upstream { addr, hits: Arc::default() };
        let app = axum::Router::new().fallback(answer).with_state(upstream.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        upstream
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests that reached the upstream.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn answer(State(upstream): State<Upstream>, req: Request) -> Response {
    upstream.hits.fetch_add(1, Ordering::SeqCst);
    let path = req.uri().path().to_owned();
    if path.ends_with("/download") {
        let bytes: usize =
            req.uri().query().and_then(|q| q.strip_prefix("bytes=")).and_then(|n| n.parse().ok()).unwrap_or(0);
        let chunk = Bytes::from(vec![b'k'; 64 * 1024]);
        let chunks = bytes.div_ceil(chunk.len());
        let stream = futures::stream::iter(0..chunks).map(move |i| {
            let len = (bytes - i * chunk.len()).min(chunk.len());
            Ok::<_, std::io::Error>(chunk.slice(..len))
        });
        return Body::from_stream(stream).into_response();
    }
    if path.ends_with("/false-switch") {
        return Response::builder()
            .status(axum::http::StatusCode::SWITCHING_PROTOCOLS)
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-accept", "bm90IHRoaXMga2V5")
            .body(Body::empty())
            .unwrap();
    }
    if path.ends_with("/slow") {
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        return "late".into_response();
    }
    let method = req.method().to_string();
    let query = req.uri().query().map(str::to_owned);
    let mut headers = serde_json::Map::new();
    for (name, value) in req.headers() {
        let list = headers.entry(name.as_str().to_owned()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(values) = list {
            values.push(Value::String(value.to_str().unwrap_or("?").to_owned()));
        }
    }
    let mut body = req.into_body().into_data_stream();
    let mut received = 0usize;
    while let Some(chunk) = body.next().await {
        received += chunk.map(|c| c.len()).unwrap_or(0);
    }
    if path.ends_with("/upload") {
        return axum::Json(json!({ "received": received })).into_response();
    }
    axum::Json(json!({
        "method": method,
        "path": path,
        "query": query,
        "headers": headers,
        "body_bytes": received,
    }))
    .into_response()
}
