//! JSON:API documents as App Store Connect serves them (spec section 7): resource objects with
//! absolute `links.self`, relationships listed with their links, attributes with explicit nulls.

pub(crate) mod app;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The absolute base of every link: the configured public URL, else what the client asked for.
#[derive(Debug, Clone)]
pub(crate) struct BaseUrl(pub String);

impl BaseUrl {
    pub fn from_request(public_url: Option<&str>, headers: &HeaderMap) -> BaseUrl {
        if let Some(url) = public_url {
            return BaseUrl(url.trim_end_matches('/').to_owned());
        }
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
        BaseUrl(format!("http://{host}"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// A JSON:API document response: 200 (or the given status) with `Content-Type: application/json`.
pub(crate) fn document(status: axum::http::StatusCode, body: &Value) -> Response {
    let mut response = (status, serde_json::to_vec(body).unwrap_or_default()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `{"links":{"self":…/relationships/<rel>,"related":…/<rel>}}` for each relationship.
pub(crate) fn relationships(base: &BaseUrl, resource_path: &str, names: &[&str]) -> Value {
    let map: serde_json::Map<String, Value> = names
        .iter()
        .map(|rel| {
            let links = serde_json::json!({
                "links": {
                    "self": base.url(&format!("{resource_path}/relationships/{rel}")),
                    "related": base.url(&format!("{resource_path}/{rel}")),
                }
            });
            ((*rel).to_owned(), links)
        })
        .collect();
    Value::Object(map)
}
