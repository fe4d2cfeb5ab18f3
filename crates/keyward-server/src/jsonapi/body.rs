//! Request bodies: JSON only (415 otherwise), at most 1 MiB (413), valid JSON (422), then the
//! JSON:API shape each endpoint expects. Every entity error carries `source.pointer`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde_json::{Map, Value};

use crate::error::{ApiError, Source};

pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON request body that passed the media type, size and syntax checks.
#[derive(Debug)]
pub(crate) struct JsonBody(pub Value);

fn entity(status: StatusCode, code: &'static str, title: &str, detail: String, pointer: &str) -> ApiError {
    let mut e = ApiError::custom(status, code, title, Some(detail));
    e.source = Some(Source::Pointer(pointer.to_owned()));
    e
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let media = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if media != "application/json" && media != "application/vnd.api+json" {
            return Err(ApiError::custom(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "ENTITY_ERROR.MEDIA_TYPE",
                "The request entity has an unsupported media type",
                Some(format!("Request bodies must be application/json, not '{content_type}'")),
            ));
        }
        let too_large = || {
            ApiError::custom(
                StatusCode::PAYLOAD_TOO_LARGE,
                "ENTITY_ERROR.TOO_LARGE",
                "The request entity is too large",
                Some(format!("Request bodies must be at most {MAX_BODY_BYTES} bytes")),
            )
        };
        if req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_some_and(|n| n > MAX_BODY_BYTES)
        {
            return Err(too_large());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| too_large())?;
        if bytes.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        let value = serde_json::from_slice::<Value>(&bytes).map_err(|e| {
            entity(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ENTITY_UNPROCESSABLE",
                "The request entity is not valid JSON",
                format!("The request body could not be parsed: {e}"),
                "",
            )
        })?;
        Ok(JsonBody(value))
    }
}

/// The JSON type an attribute must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    NullableString,
    Bool,
    StringArray,
}

impl Kind {
    fn accepts(self, v: &Value) -> bool {
        match self {
            Kind::String => v.is_string(),
            Kind::NullableString => v.is_string() || v.is_null(),
            Kind::Bool => v.is_boolean(),
            Kind::StringArray => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::String => "a string",
            Kind::NullableString => "a string or null",
            Kind::Bool => "a boolean",
            Kind::StringArray => "an array of strings",
        }
    }
}

/// What an endpoint accepts in `data`.
pub(crate) struct Shape<'a> {
    pub resource_type: &'a str,
    /// `Some` for updates: `data.id` must equal it.
    pub id: Option<&'a str>,
    pub attributes: &'a [(&'a str, Kind)],
    pub required: &'a [&'a str],
    /// To-many relationships to `apps` that may be given.
    pub relationships: &'a [&'a str],
}

/// A checked `data` object.
#[derive(Debug, Default)]
pub(crate) struct Entity {
    pub attributes: Map<String, Value>,
    /// Relationship name → the IDs of its linkage.
    pub relationships: Vec<(String, Vec<String>)>,
}

pub(crate) fn invalid(pointer: &str, detail: String) -> ApiError {
    entity(StatusCode::CONFLICT, "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.", detail, pointer)
}

/// The most linkages one relationship array may carry in a request (`visibleApps`): beyond it a
/// 409 naming the maximum, so one request never holds the team's write lock for long.
pub(crate) const MAX_LINKAGES: usize = 1000;

fn linkage(value: &Value, pointer: &str, expected_type: &str) -> Result<Vec<String>, ApiError> {
    let invalid_rel = |detail: String| {
        entity(
            StatusCode::CONFLICT,
            "ENTITY_ERROR.RELATIONSHIP.INVALID",
            "The provided relationship is invalid.",
            detail,
            pointer,
        )
    };
    let items = value.as_array().ok_or_else(|| invalid_rel("the relationship data must be an array".into()))?;
    if items.len() > MAX_LINKAGES {
        return Err(invalid_rel(format!("a relationship takes at most {MAX_LINKAGES} linkages in one request")));
    }
    items
        .iter()
        .map(|item| {
            let t = item.get("type").and_then(Value::as_str);
            let id = item.get("id").and_then(Value::as_str);
            match (t, id) {
                (Some(t), Some(id)) if t == expected_type => Ok(id.to_owned()),
                (Some(t), Some(_)) => {
                    Err(invalid_rel(format!("'{t}' is not a valid type here; expected '{expected_type}'")))
                }
                _ => Err(invalid_rel("every linkage needs a type and an id".into())),
            }
        })
        .collect()
}

/// `{"data":[{"type":"apps","id":…}]}` of a relationship endpoint.
pub(crate) fn linkages(body: &Value, expected_type: &str) -> Result<Vec<String>, ApiError> {
    let data = body.get("data").ok_or_else(|| {
        entity(
            StatusCode::CONFLICT,
            "ENTITY_ERROR.ATTRIBUTE.REQUIRED",
            "You must provide a value for the attribute 'data' with this request",
            "The 'data' member is required".into(),
            "/data",
        )
    })?;
    linkage(data, "/data", expected_type)
}

/// Checks `body` against `shape`: nothing unknown, every type right, every required attribute given.
pub(crate) fn entity_of(body: &Value, shape: &Shape<'_>) -> Result<Entity, ApiError> {
    let data = body
        .get("data")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("/data", "The request body must have a 'data' object".into()))?;
    for key in data.keys() {
        if !matches!(key.as_str(), "type" | "id" | "attributes" | "relationships") {
            return Err(invalid(&format!("/data/{key}"), format!("'{key}' is not allowed in 'data'")));
        }
    }
    match data.get("type").and_then(Value::as_str) {
        Some(t) if t == shape.resource_type => {}
        Some(t) => {
            return Err(invalid(
                "/data/type",
                format!("'{t}' is not the type of this resource; expected '{}'", shape.resource_type),
            ));
        }
        None => return Err(invalid("/data/type", "The 'type' member is required".into())),
    }
    match (shape.id, data.get("id")) {
        (Some(expected), Some(Value::String(id))) if id == expected => {}
        (Some(expected), Some(other)) => {
            return Err(invalid("/data/id", format!("The id {other} does not match the id '{expected}' of the path")));
        }
        (Some(_), None) => return Err(invalid("/data/id", "The 'id' member is required".into())),
        (None, Some(_)) => return Err(invalid("/data/id", "A new resource cannot be given an id".into())),
        (None, None) => {}
    }
    let mut out = Entity::default();
    let empty = Map::new();
    let attributes = match data.get("attributes") {
        None => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => return Err(invalid("/data/attributes", "'attributes' must be an object".into())),
    };
    for (name, value) in attributes {
        let pointer = format!("/data/attributes/{name}");
        let Some((_, kind)) = shape.attributes.iter().find(|(n, _)| n == name) else {
            return Err(entity(
                StatusCode::CONFLICT,
                "ENTITY_ERROR.ATTRIBUTE.UNKNOWN",
                "The provided entity includes an unknown attribute",
                format!("'{name}' is not an attribute on the resource '{}'", shape.resource_type),
                &pointer,
            ));
        };
        if !kind.accepts(value) {
            return Err(invalid(&pointer, format!("'{name}' must be {}", kind.name())));
        }
        out.attributes.insert(name.clone(), value.clone());
    }
    for required in shape.required {
        if !out.attributes.contains_key(*required) {
            return Err(entity(
                StatusCode::CONFLICT,
                "ENTITY_ERROR.ATTRIBUTE.REQUIRED",
                &format!("You must provide a value for the attribute '{required}' with this request"),
                format!("The attribute '{required}' is required"),
                &format!("/data/attributes/{required}"),
            ));
        }
    }
    match data.get("relationships") {
        None => {}
        Some(Value::Object(rels)) => {
            for (name, rel) in rels {
                let pointer = format!("/data/relationships/{name}");
                if !shape.relationships.contains(&name.as_str()) {
                    return Err(entity(
                        StatusCode::CONFLICT,
                        "ENTITY_ERROR.RELATIONSHIP.UNKNOWN",
                        "The provided entity includes an unknown relationship",
                        format!("'{name}' is not a relationship on the resource '{}'", shape.resource_type),
                        &pointer,
                    ));
                }
                let data = rel.get("data").ok_or_else(|| invalid(&pointer, "a relationship needs 'data'".into()))?;
                out.relationships.push((name.clone(), linkage(data, &format!("{pointer}/data"), "apps")?));
            }
        }
        Some(_) => return Err(invalid("/data/relationships", "'relationships' must be an object".into())),
    }
    Ok(out)
}
