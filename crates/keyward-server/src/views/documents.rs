//! Typed JSON:API documents, serialized straight into the response body. Field order is the byte
//! order of the names, the order a `serde_json::Value` map writes them in, so a document reads the
//! same whichever way it was built.

use serde::Serialize;
use serde_json::Value;

/// A single-resource document: `data`, `included` when asked for, and `links.self`, the resource's
/// own.
#[derive(Serialize)]
pub(crate) struct Single<T> {
    pub data: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included: Option<Vec<Value>>,
    pub links: Links,
}

/// A list document: `data`, `included` when asked for, `links.self` (and `next` when more
/// follow), `meta.paging`.
#[derive(Serialize)]
pub(crate) struct List<T> {
    pub data: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included: Option<Vec<Value>>,
    pub links: Links,
    pub meta: Meta,
}

#[derive(Serialize)]
pub(crate) struct Links {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(rename = "self")]
    pub this: String,
}

#[derive(Serialize)]
pub(crate) struct Meta {
    pub paging: Paging,
}

#[derive(Serialize)]
pub(crate) struct Paging {
    pub limit: u32,
    pub total: u64,
}

impl Links {
    pub fn this(url: String) -> Links {
        Links { next: None, this: url }
    }
}
