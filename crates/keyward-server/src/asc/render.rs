//! Resources and linkage as Apple's answers carry them: every attribute of the type's schema
//! (`null` when unset), every relationship with its `self` and `related` links where the document
//! serves those paths, absolute `links.self`; sparse fieldsets narrow both.

use axum::http::StatusCode;
use axum::response::Response;
use keyward_asc::{Api, full_attributes};
use keyward_core::resource::{Link, Resource};
use serde_json::{Map, Value, json};

use super::Call;
use crate::views::{self, BaseUrl};

/// A resource object.
pub(super) fn resource(api: &Api, base: &BaseUrl, r: &Resource, fields: Option<&[String]>) -> Value {
    let own = api.instance_path(&r.kind, &r.id);
    let Some(schema) = api.schema_of(&r.kind) else {
        return json!({ "type": r.kind, "id": r.id, "links": { "self": base.url(&own) } });
    };
    let attributes = full_attributes(schema, &r.attributes, fields);
    let mut relationships = Map::new();
    for rel in api.relationship_links(&r.kind).iter().filter(|rel| fields.is_none_or(|f| f.contains(&rel.name))) {
        let mut links = Map::new();
        if rel.linkage {
            links.insert("self".into(), Value::String(base.url(&format!("{own}/relationships/{}", rel.name))));
        }
        if rel.related {
            links.insert("related".into(), Value::String(base.url(&format!("{own}/{}", rel.name))));
        }
        if !links.is_empty() {
            relationships.insert(rel.name.clone(), json!({ "links": links }));
        }
    }
    let mut object = Map::new();
    object.insert("type".into(), Value::String(r.kind.clone()));
    object.insert("id".into(), Value::String(r.id.clone()));
    if fields.is_none() || !attributes.is_empty() {
        object.insert("attributes".into(), Value::Object(attributes));
    }
    if !relationships.is_empty() {
        object.insert("relationships".into(), Value::Object(relationships));
    }
    object.insert("links".into(), json!({ "self": base.url(&own) }));
    Value::Object(object)
}

pub(super) fn linkage(link: &Link) -> Value {
    json!({ "type": link.kind, "id": link.id })
}

/// The `fields[type]` the call names for `kind`.
pub(super) fn fields<'c>(call: &'c Call<'_>, kind: &str) -> Option<&'c [String]> {
    call.query.fields.get(kind).map(Vec::as_slice)
}

/// A single-resource (or single-linkage) document.
pub(super) fn single(status: StatusCode, data: Value, self_url: String) -> Response {
    single_with(status, data, None, self_url)
}

/// A single-resource document with what `include` asked for.
pub(super) fn single_with(status: StatusCode, data: Value, included: Option<Vec<Value>>, self_url: String) -> Response {
    let mut body = json!({ "data": data, "links": { "self": self_url } });
    if let Some(included) = included {
        body["included"] = Value::Array(included);
    }
    views::document(status, &body)
}
