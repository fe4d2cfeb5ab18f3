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

/// `resource`, written straight into a document's bytes: what `GET /v1/{type}/{id}` answers
/// (R8), byte for byte the JSON of [`resource`] in a single document, without building a `Value`
/// tree per answer. Members in the order a sorted map writes them, as [`resource`]'s do.
pub(super) fn single_document(api: &Api, base: &BaseUrl, r: &Resource, fields: Option<&[String]>) -> Vec<u8> {
    use crate::views::app::{write_str, write_value};
    let Some(schema) = api.schema_of(&r.kind) else {
        let data = resource(api, base, r, fields);
        let url = data["links"]["self"].as_str().unwrap_or_default().to_owned();
        return serde_json::to_vec(&json!({ "data": data, "links": { "self": url } })).unwrap_or_default();
    };
    let own = api.instance_path(&r.kind, &r.id);
    let url = base.url(&own);
    let mut out = Vec::with_capacity(512 + 160 * schema.relationships.len());
    out.extend_from_slice(b"{\"data\":{");
    let shown = |name: &str| fields.is_none_or(|f| f.iter().any(|n| n == name));
    let attributes: Vec<_> = schema.attributes.iter().filter(|a| shown(&a.name)).collect();
    if fields.is_none() || !attributes.is_empty() {
        out.extend_from_slice(b"\"attributes\":{");
        for (i, a) in attributes.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(&mut out, &a.name);
            out.push(b':');
            write_value(&mut out, r.attributes.get(&a.name).unwrap_or(&Value::Null));
        }
        out.extend_from_slice(b"},");
    }
    out.extend_from_slice(b"\"id\":");
    write_str(&mut out, &r.id);
    out.extend_from_slice(b",\"links\":{\"self\":");
    write_str(&mut out, &url);
    out.push(b'}');
    let mut first = true;
    for rel in api.relationship_links(&r.kind).iter().filter(|rel| shown(&rel.name) && (rel.linkage || rel.related)) {
        out.extend_from_slice(if first { b",\"relationships\":{" } else { b"," });
        first = false;
        write_str(&mut out, &rel.name);
        out.extend_from_slice(b":{\"links\":{");
        if rel.related {
            out.extend_from_slice(b"\"related\":");
            write_str(&mut out, &format!("{url}/{}", rel.name));
        }
        if rel.linkage {
            if rel.related {
                out.push(b',');
            }
            out.extend_from_slice(b"\"self\":");
            write_str(&mut out, &format!("{url}/relationships/{}", rel.name));
        }
        out.extend_from_slice(b"}}");
    }
    if !first {
        out.push(b'}');
    }
    out.extend_from_slice(b",\"type\":");
    write_str(&mut out, &r.kind);
    out.extend_from_slice(b"},\"links\":{\"self\":");
    write_str(&mut out, &url);
    out.extend_from_slice(b"}}");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// R8's writer says byte for byte what the `Value` rendering says, with and without fields.
    #[test]
    fn the_written_document_is_the_rendered_one() {
        let api = Api::shared().unwrap();
        let base = BaseUrl("https://kw.test".into());
        let attributes =
            json!({"version": "7", "processingState": "VALID", "expired": false, "minOsVersion": "17.0 \"beta\""});
        let build = Resource {
            team_id: keyward_core::ids::TeamId::random(),
            kind: "builds".into(),
            id: "b-1".into(),
            app: None,
            attributes: attributes.as_object().cloned().unwrap(),
            relationships: [("app".to_owned(), vec![Link { kind: "apps".into(), id: "1".into() }])]
                .into_iter()
                .collect(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
        };
        let fields = vec!["version".to_owned(), "app".to_owned()];
        for fields in [None, Some(fields.as_slice()), Some(&["nothing".to_owned()][..])] {
            let data = resource(api, &base, &build, fields);
            let url = data["links"]["self"].as_str().unwrap().to_owned();
            let rendered = serde_json::to_vec(&json!({ "data": data, "links": { "self": url } })).unwrap();
            let written = single_document(api, &base, &build, fields);
            assert_eq!(String::from_utf8(written).unwrap(), String::from_utf8(rendered).unwrap(), "fields {fields:?}");
        }
    }
}
