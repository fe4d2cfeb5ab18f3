//! JSON:API documents as App Store Connect serves them (spec section 7): resource objects with
//! absolute `links.self`, relationships listed with their links, attributes with explicit nulls,
//! date-times with a numeric offset and no fraction.

pub(crate) mod app;
mod documents;
pub(crate) mod invitation;
pub(crate) mod user;

pub(crate) use documents::{Links, List, Paging, Single};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The absolute base of every link: the configured public URL, else what the client asked for.
#[derive(Debug, Clone)]
pub(crate) struct BaseUrl(pub String);

impl BaseUrl {
    pub fn from_request(public_url: Option<&str>, headers: &HeaderMap, https: bool) -> BaseUrl {
        if let Some(url) = public_url {
            return BaseUrl(url.trim_end_matches('/').to_owned());
        }
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
        BaseUrl(format!("{}://{host}", if https { "https" } else { "http" }))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    /// `path?query`, or `path` alone for an empty query.
    pub fn url_with_query(&self, path: &str, query: &str) -> String {
        if query.is_empty() { self.url(path) } else { format!("{}{path}?{query}", self.0) }
    }
}

/// A sparse fieldset (`fields[type]`); `None` means every field.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields(pub Option<Vec<String>>);

impl Fields {
    pub fn has(&self, name: &str) -> bool {
        self.0.as_ref().is_none_or(|f| f.iter().any(|x| x == name))
    }
}

/// The linkage of an included to-many relationship and its paging.
#[derive(Debug, Clone)]
pub(crate) struct Related {
    pub ids: Vec<(String, String)>,
    pub total: usize,
    pub limit: u32,
}

/// `{"links":{"self","related"}}`, plus `data` and `meta.paging` when the relationship is included.
pub(crate) fn relationship(base: &BaseUrl, resource_path: &str, name: &str, related: Option<&Related>) -> Value {
    let mut rel = json!({
        "links": {
            "self": base.url(&format!("{resource_path}/relationships/{name}")),
            "related": base.url(&format!("{resource_path}/{name}")),
        }
    });
    if let Some(r) = related {
        rel["data"] = Value::Array(r.ids.iter().map(|(t, id)| json!({"type": t, "id": id})).collect());
        rel["meta"] = json!({ "paging": { "total": r.total, "limit": r.limit } });
    }
    rel
}

/// A JSON:API document response with `Content-Type: application/json`.
pub(crate) fn document(status: StatusCode, body: &impl serde::Serialize) -> Response {
    written(status, serde_json::to_vec(body).unwrap_or_default())
}

/// A JSON:API document already written as bytes (see [`app::AppWriter`]).
pub(crate) fn written(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A list document of `data`, with `included` when asked for.
pub(crate) fn list<T>(
    data: Vec<T>,
    included: Option<Vec<Value>>,
    self_url: String,
    next_url: Option<String>,
    total: u64,
    limit: u32,
) -> List<T> {
    List {
        data,
        included,
        links: Links { next: next_url, this: self_url },
        meta: documents::Meta { paging: Paging { limit, total } },
    }
}

/// A single-resource document of a resource built as a `Value`; `links.self` is the resource's own.
pub(crate) fn single(data: Value, included: Option<Vec<Value>>) -> Single<Value> {
    let this = data["links"]["self"].as_str().unwrap_or_default().to_owned();
    Single { data, included, links: Links::this(this) }
}

/// 201 for a resource just made whose answer holds something shown this once (a private key, a
/// signing secret): `Location` is its own link, and `Cache-Control: no-store` keeps it out of caches.
pub(crate) fn created_once(resource: Value) -> Response {
    let location = resource["links"]["self"].as_str().unwrap_or_default().to_owned();
    let mut response = document(StatusCode::CREATED, &single(resource, None));
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&location) {
        h.insert(header::LOCATION, v);
    }
    response
}

/// A date as App Store Connect shows it to people: `Nov 30, 2026` (UTC).
pub(crate) fn human_date(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let fmt = time::macros::format_description!("[month repr:short] [day padding:none], [year]");
    t.format(&fmt).unwrap_or_default()
}

/// Apple's date-time form: numeric offset, no fraction.
pub(crate) fn timestamp(t: time::OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    t.format(&fmt).unwrap_or_default()
}
