//! What Keyward serves, as OpenAPI documents:
//!
//! - `GET /openapi.json`: Apple's App Store Connect document 4.4.1 itself (spec R1), every
//!   operation of which the server answers (`asc/` and section 7's routes), as committed in
//!   `keyward-asc`;
//! - `GET /openapi/users-and-access.json`: OpenAPI 3.1 for exactly the hand-made routes of
//!   section 7, with the parameters each accepts and the responses Keyward adds.
//!
//! Apple's own schema (3.7.0, the Users and Access subset, kept in `tests/fixtures/`) is the
//! contract, so the document is derived from it rather than retyped: for each operation in
//! [`OPERATIONS`] (the same table the router and the tests use), Apple's operation is taken with
//! only the parameters the handler accepts (plus `cursor`), and the responses Keyward adds (413,
//! 415, 422, 429). Schema names are Apple's (`App`, `UsersResponse`, `ErrorResponse`, …).

use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::routes::v1::{apps, user_invitations as invitations, users};
use crate::views;

const APPLE: &str = include_str!("../tests/fixtures/apple-users-and-access-3.7.0.json");

/// One operation Keyward serves: path template, method, the query parameters it accepts, and
/// whether it takes a JSON body.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub path: &'static str,
    pub method: &'static str,
    pub params: &'static [&'static str],
    pub body: bool,
}

const fn op(path: &'static str, method: &'static str, params: &'static [&'static str], body: bool) -> Operation {
    Operation { path, method, params, body }
}

/// Every `/v1` operation, as routed in `app.rs`.
pub const OPERATIONS: [Operation; 19] = [
    op("/v1/apps", "get", &apps::list::PARAMS, false),
    op("/v1/apps", "post", &[], true),
    op("/v1/apps/{id}", "get", &apps::get::PARAMS, false),
    op("/v1/apps/{id}", "patch", &[], true),
    op("/v1/apps/{id}", "delete", &[], false),
    op("/v1/users", "get", &users::list::PARAMS, false),
    op("/v1/users/{id}", "get", &users::get::PARAMS, false),
    op("/v1/users/{id}", "patch", &[], true),
    op("/v1/users/{id}", "delete", &[], false),
    op("/v1/users/{id}/visibleApps", "get", &users::visible_apps::PARAMS, false),
    op("/v1/users/{id}/relationships/visibleApps", "get", &users::relationships::get::PARAMS, false),
    op("/v1/users/{id}/relationships/visibleApps", "post", &[], true),
    op("/v1/users/{id}/relationships/visibleApps", "patch", &[], true),
    op("/v1/users/{id}/relationships/visibleApps", "delete", &[], true),
    op("/v1/userInvitations", "get", &invitations::list::PARAMS, false),
    op("/v1/userInvitations", "post", &[], true),
    op("/v1/userInvitations/{id}", "get", &invitations::get::PARAMS, false),
    op("/v1/userInvitations/{id}", "delete", &[], false),
    op("/v1/userInvitations/{id}/visibleApps", "get", &invitations::visible_apps::PARAMS, false),
];

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorResponse" } } } })
}

/// Apple's answer to `POST /v1/apps` and `DELETE /v1/apps/{id}`, which its schema omits.
fn not_allowed_operation(summary: &str) -> Value {
    json!({
        "tags": ["Apps"],
        "summary": summary,
        "responses": { "403": error_response("The given operation is not allowed"), "401": error_response("Unauthorized") },
    })
}

fn cursor_parameter() -> Value {
    json!({ "name": "cursor", "in": "query", "description": "opaque position of the next page, from links.next", "schema": { "type": "string" }, "required": false })
}

fn build() -> Value {
    let apple: Value = serde_json::from_str(APPLE).unwrap_or_default();
    let mut paths = Map::new();
    for o in OPERATIONS {
        let mut operation = apple["paths"][o.path][o.method].clone();
        if operation.is_null() {
            operation = not_allowed_operation(if o.method == "post" {
                "Apps cannot be created through the API"
            } else {
                "Apps cannot be deleted through the API"
            });
        }
        let keep = |p: &Value| p.get("name").and_then(Value::as_str).is_none_or(|n| o.params.contains(&n));
        let mut params: Vec<Value> = operation
            .get("parameters")
            .and_then(Value::as_array)
            .map(|ps| ps.iter().filter(|p| keep(p)).cloned().collect())
            .unwrap_or_default();
        if o.params.contains(&"cursor") {
            params.push(cursor_parameter());
        }
        let path_params: Vec<Value> = apple["paths"][o.path]["parameters"].as_array().cloned().unwrap_or_default();
        params.extend(path_params);
        operation["parameters"] = Value::Array(params);
        let responses = operation["responses"].as_object_mut();
        if let Some(r) = responses {
            r.entry("401").or_insert_with(|| error_response("Unauthorized"));
            r.entry("429").or_insert_with(|| error_response("Rate limit exceeded"));
            if o.body {
                r.entry("413").or_insert_with(|| error_response("Request entity too large"));
                r.entry("415").or_insert_with(|| error_response("Unsupported media type"));
                r.entry("422").or_insert_with(|| error_response("Unprocessable request entity"));
            }
        }
        if let Some(entry) = paths.entry(o.path.to_owned()).or_insert_with(|| json!({})).as_object_mut() {
            entry.insert(o.method.to_owned(), operation);
        }
    }
    let mut components = apple["components"].clone();
    nullable_attributes(&mut components);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Keyward: App Store Connect API, Users and Access",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The subset of the App Store Connect API that Keyward serves, in Apple's schema (3.7.0). Authenticate with an ES256 bearer token signed by an API key.",
        },
        "paths": paths,
        "components": components,
        "security": apple["security"],
    })
}

/// Apple's schema leaves out `nullable`, yet its responses carry attributes with explicit
/// `null`s (and so do ours, spec section 7): in OpenAPI 3.1 terms, every attribute of a resource
/// may also be null.
fn nullable_attributes(components: &mut Value) {
    for schema in ["App", "User", "UserInvitation"] {
        if let Some(props) = components["schemas"][schema]["properties"]["attributes"]["properties"].as_object_mut() {
            for prop in props.values_mut() {
                *prop = json!({ "anyOf": [prop.clone(), { "type": "null" }] });
            }
        }
    }
}

/// The document, built once.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

/// Apple's own document, for tests that validate against it.
pub fn apple_document() -> Value {
    serde_json::from_str(APPLE).unwrap_or_default()
}

/// `GET /openapi/users-and-access.json`.
pub(crate) async fn users_and_access() -> Response {
    views::document(StatusCode::OK, document())
}

/// `GET /openapi.json`: Apple's document as committed, gzip-encoded when the client takes gzip.
pub(crate) async fn whole(headers: axum::http::HeaderMap) -> Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let gzipped = keyward_asc::Document::gzipped();
    let takes_gzip = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.split(';').next().is_some_and(|e| e.trim().eq_ignore_ascii_case("gzip"))));
    let mut response = if takes_gzip {
        let mut r = (StatusCode::OK, gzipped).into_response();
        r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        let mut json = Vec::with_capacity(3 << 20);
        if std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gzipped), &mut json).is_err() {
            return crate::error::ApiError::internal().into_response();
        }
        (StatusCode::OK, json).into_response()
    };
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}
