//! `GET /keyward/v1/openapi.json`: the key API's OpenAPI document, served beside Apple's
//! (`/openapi.json`) so SDK generators and API explorers can read it. Written by hand: the API
//! is one resource, and the document is checked against the routes by a test.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The document, as shipped in the repository (`crates/keyward-server/openapi/keyward-v1.json`).
pub(crate) const DOCUMENT: &str = include_str!("../../../openapi/keyward-v1.json");

pub(crate) async fn handler() -> Response {
    let mut response = DOCUMENT.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
