//! `bundleIds` (spec F1): an identifier in reverse-DNS form (a trailing `*` makes a wildcard
//! App ID), once per team, and the team's Team ID as its `seedId`, as Apple answers.

use keyward_core::resource::{Guard, WriteRules};
use serde_json::{Map, Value, json};

use super::{Call, invalid, text};
use crate::error::ApiError;

/// Letters, digits, hyphens and dots, not starting or ending with a dot; an optional `.*` or
/// lone `*` for a wildcard, as Apple's portal accepts.
pub(super) fn is_identifier(identifier: &str) -> bool {
    let stem = identifier.strip_suffix('*').unwrap_or(identifier);
    if identifier == "*" {
        return true;
    }
    let stem = if identifier.ends_with('*') { stem.strip_suffix('.').unwrap_or(stem) } else { stem };
    !stem.is_empty()
        && stem.len() <= 155
        && !stem.starts_with('.')
        && !stem.ends_with('.')
        && !stem.contains("..")
        && stem.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

pub(super) async fn before_create(
    call: &Call<'_>,
    attributes: &mut Map<String, Value>,
) -> Result<WriteRules, ApiError> {
    super::printable(attributes, "name")?;
    let identifier = text(attributes, "identifier").to_owned();
    if !is_identifier(&identifier) {
        return Err(invalid(
            "identifier",
            format!(
                "An attribute value is invalid: '{identifier}' is not a valid bundle ID (letters, digits, hyphens and dots, in reverse-DNS form)."
            ),
        ));
    }
    attributes.insert("seedId".into(), json!(keyward_core::team::team_identifier(call.key.team_id)));
    Ok(WriteRules {
        guards: vec![Guard::Unique {
            attribute: "identifier".into(),
            value: json!(identifier),
            detail: format!(
                "An App ID with Identifier '{identifier}' is not available. Please enter a different string."
            ),
        }],
        cascades: vec![],
        also: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::is_identifier;

    #[test]
    fn f1_bundle_identifiers_in_reverse_dns_form_with_optional_wildcard() {
        for good in ["com.acme.fizz", "com.acme.*", "*", "com.acme-co.app2"] {
            assert!(is_identifier(good), "{good}");
        }
        for bad in ["", ".com.acme", "com..acme", "com.acme.", "com.acme fizz", "com/acme", "com.*.fizz"] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }
}
