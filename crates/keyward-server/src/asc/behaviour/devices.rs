//! `devices` (spec F1): a UDID in one of Apple's forms, once per team; `PATCH` with
//! `status: DISABLED` takes the device out of every profile that lists it, which goes `INVALID`
//! as at Apple (re-enabling does not revive a profile; a new one is made).

use keyward_core::resource::{Guard, ResourceUpdate, WriteRules};
use serde_json::{Map, Value, json};

use super::certificates::invalidate_profiles;
use super::{invalid, text};
use crate::error::ApiError;

/// Apple's UDID forms: 40 hex digits (devices before 2018), `00008030-001A2C3E0E88802E`
/// (8 and 16 hex digits), or a Mac's hardware UUID (8-4-4-4-12).
pub(super) fn is_udid(udid: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let parts: Vec<&str> = udid.split('-').collect();
    match parts.as_slice() {
        [whole] => hex(whole, 40),
        [a, b] => hex(a, 8) && hex(b, 16),
        [a, b, c, d, e] => hex(a, 8) && hex(b, 4) && hex(c, 4) && hex(d, 4) && hex(e, 12),
        _ => false,
    }
}

pub(super) fn before_create(attributes: &mut Map<String, Value>) -> Result<WriteRules, ApiError> {
    super::printable(attributes, "name")?;
    // One device, one UDID, whatever the letter case it is typed in.
    let udid = text(attributes, "udid").to_uppercase();
    if !is_udid(&udid) {
        return Err(invalid(
            "udid",
            format!(
                "An attribute value is invalid: '{udid}' is not a valid UDID (40 hex digits, or 8-16 or 8-4-4-4-12 hex digits with hyphens)."
            ),
        ));
    }
    let class = match text(attributes, "platform") {
        "MAC_OS" => "MAC",
        _ => "IPHONE",
    };
    attributes.insert("udid".into(), json!(udid));
    attributes.insert("deviceClass".into(), json!(class));
    attributes.insert("status".into(), json!("ENABLED"));
    attributes.entry("model").or_insert(Value::Null);
    Ok(WriteRules {
        guards: vec![Guard::Unique {
            attribute: "udid".into(),
            value: json!(udid),
            detail: format!("A device with number '{udid}' already exists on this team."),
        }],
        cascades: vec![],
        also: vec![],
    })
}

/// Setting `DISABLED` always carries the cascade, whatever this node's copy says the status was:
/// the store leaves profiles already `INVALID` alone.
pub(super) fn before_update(update: &ResourceUpdate) -> WriteRules {
    let disabling = update.attributes.get("status").and_then(Value::as_str) == Some("DISABLED");
    WriteRules {
        guards: vec![],
        cascades: if disabling { vec![invalidate_profiles("devices")] } else { vec![] },
        also: vec![],
    }
}

pub(super) fn before_delete() -> WriteRules {
    WriteRules { guards: vec![], cascades: vec![invalidate_profiles("devices")], also: vec![] }
}

#[cfg(test)]
mod tests {
    use super::is_udid;

    #[test]
    fn f1_udids_in_apples_three_forms_and_nothing_else() {
        assert!(is_udid("00008030-001A2C3E0E88802E"));
        assert!(is_udid(&"a1".repeat(20)));
        assert!(is_udid("6F9619FF-8B86-D011-B42D-00C04FC964FF"));
        for bad in ["", "00008030-001A2C3E0E88802", "zz008030-001A2C3E0E88802E", &"a".repeat(41), "1-2-3"] {
            assert!(!is_udid(bad), "{bad}");
        }
    }
}
