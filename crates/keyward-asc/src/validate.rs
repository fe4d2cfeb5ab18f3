//! Request bodies checked against the operation's request schema (R4): types, enums, required
//! members, arrays, nested objects, `nullable`, and members the schema does not list. Each
//! problem names where it is (`/data/attributes/name`), for Apple's `source.pointer`.

use serde_json::Value;

use crate::document::Document;

/// One thing wrong with a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON pointer into the body.
    pub pointer: String,
    /// Apple's code: `ENTITY_ERROR.ATTRIBUTE.REQUIRED`, `…INVALID`, `…UNKNOWN`,
    /// `ENTITY_ERROR.RELATIONSHIP.INVALID`, …
    pub code: &'static str,
    pub detail: String,
}

/// Where in a JSON:API document a pointer is: attributes, relationships, or the frame.
fn area(pointer: &str) -> &'static str {
    if pointer.contains("/relationships") { "RELATIONSHIP" } else { "ATTRIBUTE" }
}

fn problem(pointer: &str, what: &str, detail: String) -> Problem {
    let code = match (area(pointer), what) {
        ("RELATIONSHIP", "REQUIRED") => "ENTITY_ERROR.RELATIONSHIP.REQUIRED",
        ("RELATIONSHIP", "UNKNOWN") => "ENTITY_ERROR.RELATIONSHIP.UNKNOWN",
        ("RELATIONSHIP", _) => "ENTITY_ERROR.RELATIONSHIP.INVALID",
        (_, "REQUIRED") => "ENTITY_ERROR.ATTRIBUTE.REQUIRED",
        (_, "UNKNOWN") => "ENTITY_ERROR.ATTRIBUTE.UNKNOWN",
        (_, "TYPE") => "ENTITY_ERROR.ATTRIBUTE.TYPE",
        _ => "ENTITY_ERROR.ATTRIBUTE.INVALID",
    };
    Problem { pointer: pointer.to_owned(), code, detail }
}

/// The JSON type name of a value, as a schema spells it.
fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Checks `value` at `pointer` against `schema`; the first problem found, if any. Depth-first in
/// the order the body lists its members, so the answer names the first thing a client got wrong.
pub fn check(doc: &Document, schema: &Value, value: &Value, pointer: &str) -> Option<Problem> {
    let schema = doc.resolve(schema);
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let fits = options.iter().any(|o| check(doc, o, value, pointer).is_none());
        return (!fits)
            .then(|| problem(pointer, "INVALID", format!("the value at '{pointer}' matches none of its forms")));
    }
    if value.is_null() {
        let nullable = schema.get("nullable").and_then(Value::as_bool).unwrap_or(false);
        return (!nullable).then(|| problem(pointer, "INVALID", format!("'{pointer}' can not be null")));
    }
    let expected = schema.get("type").and_then(Value::as_str);
    if let Some(expected) = expected {
        let actual = type_of(value);
        let fits = actual == expected || (expected == "number" && actual == "integer");
        if !fits {
            return Some(problem(pointer, "TYPE", format!("'{pointer}' must be of type {expected}, not {actual}")));
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        let allowed: Vec<String> =
            values.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect();
        return Some(problem(
            pointer,
            "INVALID",
            format!("{value} is not a valid value for '{pointer}'; use one of {}", allowed.join(", ")),
        ));
    }
    match value {
        Value::Object(members) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            if let Some(required) = schema.get("required").and_then(Value::as_array) {
                for name in required.iter().filter_map(Value::as_str) {
                    if !members.contains_key(name) {
                        let at = format!("{pointer}/{name}");
                        return Some(problem(&at, "REQUIRED", format!("'{at}' is required")));
                    }
                }
            }
            for (name, member) in members {
                let at = format!("{pointer}/{name}");
                match properties.and_then(|p| p.get(name)) {
                    Some(s) => {
                        if let Some(p) = check(doc, s, member, &at) {
                            return Some(p);
                        }
                    }
                    None if properties.is_some() => {
                        return Some(problem(
                            &at,
                            "UNKNOWN",
                            format!("'{name}' is not a member this request takes at '{pointer}'"),
                        ));
                    }
                    None => {}
                }
            }
            None
        }
        Value::Array(items) => {
            let item_schema = schema.get("items")?;
            items.iter().enumerate().find_map(|(i, item)| check(doc, item_schema, item, &format!("{pointer}/{i}")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn doc() -> Document {
        Document::embedded().unwrap()
    }

    #[test]
    fn r4_a_create_body_is_checked_against_apples_schema() {
        let doc = doc();
        let schema = json!({"$ref": "#/components/schemas/BetaGroupCreateRequest"});
        let good = json!({"data": {"type": "betaGroups", "attributes": {"name": "QA"},
            "relationships": {"app": {"data": {"type": "apps", "id": "1"}}}}});
        assert_eq!(check(&doc, &schema, &good, ""), None);
        let cases = [
            (json!({}), "/data", "ENTITY_ERROR.ATTRIBUTE.REQUIRED"),
            (
                json!({"data": {"type": "builds", "attributes": {"name": "QA"}, "relationships": {"app": {"data": {"type": "apps", "id": "1"}}}}}),
                "/data/type",
                "ENTITY_ERROR.ATTRIBUTE.INVALID",
            ),
            (
                json!({"data": {"type": "betaGroups", "attributes": {}, "relationships": {"app": {"data": {"type": "apps", "id": "1"}}}}}),
                "/data/attributes/name",
                "ENTITY_ERROR.ATTRIBUTE.REQUIRED",
            ),
            (
                json!({"data": {"type": "betaGroups", "attributes": {"name": 7}, "relationships": {"app": {"data": {"type": "apps", "id": "1"}}}}}),
                "/data/attributes/name",
                "ENTITY_ERROR.ATTRIBUTE.TYPE",
            ),
            (
                json!({"data": {"type": "betaGroups", "attributes": {"name": "QA", "colour": "red"}, "relationships": {"app": {"data": {"type": "apps", "id": "1"}}}}}),
                "/data/attributes/colour",
                "ENTITY_ERROR.ATTRIBUTE.UNKNOWN",
            ),
            (
                json!({"data": {"type": "betaGroups", "attributes": {"name": "QA"}, "relationships": {}}}),
                "/data/relationships/app",
                "ENTITY_ERROR.RELATIONSHIP.REQUIRED",
            ),
            (
                json!({"data": {"type": "betaGroups", "attributes": {"name": "QA"}, "relationships": {"app": {"data": {"type": "builds", "id": "1"}}}}}),
                "/data/relationships/app/data/type",
                "ENTITY_ERROR.RELATIONSHIP.INVALID",
            ),
        ];
        for (body, pointer, code) in cases {
            let p = check(&doc, &schema, &body, "").unwrap_or_else(|| panic!("{body} passed"));
            assert_eq!((p.pointer.as_str(), p.code), (pointer, code), "{body}: {}", p.detail);
        }
        // nullable attributes take null
        let nulls = json!({"data": {"type": "betaGroups", "attributes": {"name": "QA", "publicLinkLimit": null},
            "relationships": {"app": {"data": {"type": "apps", "id": "1"}}}}});
        assert_eq!(check(&doc, &schema, &nulls, ""), None);
    }
}
