//! The lengths App Store Connect allows for the metadata ASO tools edit (spec F4): a
//! localization's keywords, description, promotional text and what's new, an app's name and
//! subtitle, a response to a customer review. Counted in characters, as App Store Connect counts
//! them; checked on every create and update, whatever client sends them.

use serde_json::{Map, Value};

/// (type, attribute, most characters).
pub const LIMITS: [(&str, &str, usize); 10] = [
    ("appStoreVersionLocalizations", "description", 4000),
    ("appStoreVersionLocalizations", "keywords", 100),
    ("appStoreVersionLocalizations", "promotionalText", 170),
    ("appStoreVersionLocalizations", "whatsNew", 4000),
    ("appInfoLocalizations", "name", 30),
    ("appInfoLocalizations", "subtitle", 30),
    ("appInfoLocalizations", "privacyPolicyText", 4000),
    ("betaBuildLocalizations", "whatsNew", 4000),
    ("betaAppLocalizations", "description", 4000),
    ("customerReviewResponses", "responseBody", 5970),
];

/// The first attribute of `attributes` (of a resource of `kind`) longer than allowed: its name,
/// its length and the limit.
pub fn too_long(kind: &str, attributes: &Map<String, Value>) -> Option<(&'static str, usize, usize)> {
    LIMITS.iter().filter(|(k, _, _)| *k == kind).find_map(|(_, name, max)| {
        let length = attributes.get(*name).and_then(Value::as_str).map(|s| s.chars().count())?;
        (length > *max).then_some((*name, length, *max))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn f4_limits_count_characters_not_bytes() {
        let at = |v: Value| v.as_object().cloned().unwrap_or_default();
        let kind = "appStoreVersionLocalizations";
        assert_eq!(too_long(kind, &at(json!({"keywords": "é".repeat(100)}))), None, "100 characters, 200 bytes");
        assert_eq!(too_long(kind, &at(json!({"keywords": "k".repeat(101)}))), Some(("keywords", 101, 100)));
        assert_eq!(too_long(kind, &at(json!({"promotionalText": null}))), None);
        assert_eq!(too_long("betaGroups", &at(json!({"name": "x".repeat(10_000)}))), None, "no limit listed");
    }
}
