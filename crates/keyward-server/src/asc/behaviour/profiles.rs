//! `profiles` (spec F1): `POST` with a bundle ID, certificates and, for development and ad hoc
//! types, devices answers `profileContent`: a property list with Apple's keys, signed by the
//! installation's signing CA as CMS, which `openssl smime -verify` and `security cms -D` decode.
//! Certificates must be of a type the profile type takes, the bundle ID and devices of its
//! platform, devices enabled (checked again in the write's transaction, so a device disabled
//! meanwhile cannot slip in), and names unique in the team, as at Apple.

use base64::Engine;
use keyward_core::ports::TeamStore;
use keyward_core::resource::{Guard, Link, WriteRules};
use keyward_token::codesign::profile::{self, ProfileContent};
use serde_json::{Map, Value, json};

use super::{Call, dates, text};
use crate::error::ApiError;

/// At most this many certificates and devices in one profile (Apple registers at most 100
/// devices of a family a year; a profile is a file every build machine downloads).
const MAX_LINKED: usize = 100;

/// Types whose profiles list devices.
fn lists_devices(profile_type: &str) -> bool {
    profile_type.ends_with("_DEVELOPMENT") || profile_type.ends_with("_ADHOC")
}

/// The certificate types a profile type takes, as Xcode and Apple's portal pair them.
fn certificate_types(profile_type: &str) -> &'static [&'static str] {
    let mac = profile_type.starts_with("MAC_APP_") || profile_type.starts_with("MAC_CATALYST_");
    match (mac, profile_type.rsplit('_').next().unwrap_or_default()) {
        (false, "DEVELOPMENT") => &["DEVELOPMENT", "IOS_DEVELOPMENT"],
        (true, "DEVELOPMENT") => &["DEVELOPMENT", "MAC_APP_DEVELOPMENT"],
        (false, _) => &["DISTRIBUTION", "IOS_DISTRIBUTION"],
        (true, "DIRECT") => &["DEVELOPER_ID_APPLICATION", "DEVELOPER_ID_APPLICATION_G2"],
        (true, _) => &["DISTRIBUTION", "MAC_APP_DISTRIBUTION"],
    }
}

/// The `platform` attribute, the bundle ID and device platform it takes, and the plist's
/// `Platform` of a profile type.
fn platforms(profile_type: &str) -> (&'static str, &'static str, Vec<&'static str>) {
    if profile_type.starts_with("MAC_APP_") {
        ("MAC_OS", "MAC_OS", vec!["OSX"])
    } else if profile_type.starts_with("TVOS_") {
        ("IOS", "IOS", vec!["tvOS"])
    } else {
        ("IOS", "IOS", vec!["iOS", "xrOS", "visionOS"])
    }
}

fn relationship_error(name: &str, detail: String) -> ApiError {
    ApiError::entity("ENTITY_ERROR.RELATIONSHIP.INVALID", detail, &format!("/data/relationships/{name}"))
}

/// The links of `name`, each once, at most [`MAX_LINKED`].
fn linked(links: &mut [(String, Vec<Link>)], name: &str) -> Result<Vec<Link>, ApiError> {
    let Some((_, list)) = links.iter_mut().find(|(n, _)| n == name) else { return Ok(Vec::new()) };
    let mut seen = std::collections::HashSet::new();
    list.retain(|l| seen.insert(l.clone()));
    if list.len() > MAX_LINKED {
        return Err(relationship_error(name, format!("A profile takes at most {MAX_LINKED} {name}.")));
    }
    Ok(list.clone())
}

pub(super) async fn before_create(
    call: &Call<'_>,
    attributes: &mut Map<String, Value>,
    links: &mut Vec<(String, Vec<Link>)>,
) -> Result<WriteRules, ApiError> {
    super::printable(attributes, "name")?;
    let team_key = call.key.team_id;
    // Read before the replica's index is taken: its guard is not held across an await.
    let team = call.state.store.team_by_id(team_key).await?;
    let profile_type = text(attributes, "profileType").to_owned();
    let name = text(attributes, "name").to_owned();
    let (platform, of_platform, plist_platforms) = platforms(&profile_type);
    let with_devices = lists_devices(&profile_type);
    if !with_devices {
        // Apple ignores devices given to a type that lists none; so does Keyward, keeping no link
        // a later device change would act on.
        links.retain(|(n, _)| n != "devices");
    }
    let certificate_links = linked(links, "certificates")?;
    let device_links = linked(links, "devices")?;
    let index = call.state.replica.resources();
    let bundle = links
        .iter()
        .find(|(n, _)| n == "bundleId")
        .and_then(|(_, l)| l.first())
        .and_then(|l| index.get(team_key, "bundleIds", &l.id))
        .ok_or_else(|| relationship_error("bundleId", "A profile needs the bundle ID it provisions.".into()))?;
    let bundle_platform = bundle.attributes.get("platform").and_then(Value::as_str).unwrap_or("UNIVERSAL");
    if bundle_platform != of_platform && bundle_platform != "UNIVERSAL" {
        return Err(relationship_error(
            "bundleId",
            format!("A {profile_type} profile needs a bundle ID of platform {of_platform}, not {bundle_platform}."),
        ));
    }
    let takes = certificate_types(&profile_type);
    let mut certificates = Vec::new();
    for link in &certificate_links {
        let found = index.get(team_key, "certificates", &link.id).ok_or_else(|| {
            relationship_error("certificates", format!("There is no certificate with id '{}'.", link.id))
        })?;
        let kind = found.attributes.get("certificateType").and_then(Value::as_str).unwrap_or_default();
        if !takes.contains(&kind) {
            return Err(relationship_error(
                "certificates",
                format!("The certificate '{}' of type {kind} cannot be used in a {profile_type} profile.", link.id),
            ));
        }
        let der = found
            .attributes
            .get("certificateContent")
            .and_then(Value::as_str)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .ok_or_else(|| {
                relationship_error("certificates", format!("The certificate '{}' has no content.", link.id))
            })?;
        certificates.push(der);
    }
    if certificates.is_empty() {
        return Err(relationship_error("certificates", "A profile needs at least one certificate.".into()));
    }
    let mut udids = Vec::new();
    for link in &device_links {
        let found = index
            .get(team_key, "devices", &link.id)
            .ok_or_else(|| relationship_error("devices", format!("There is no device with id '{}'.", link.id)))?;
        let device_platform = found.attributes.get("platform").and_then(Value::as_str).unwrap_or_default();
        if found.attributes.get("status").and_then(Value::as_str) == Some("DISABLED") {
            return Err(relationship_error("devices", format!("The device '{}' is disabled.", link.id)));
        }
        if device_platform != of_platform && device_platform != "UNIVERSAL" {
            return Err(relationship_error(
                "devices",
                format!("The device '{}' is a {device_platform} device, not {of_platform}.", link.id),
            ));
        }
        udids.push(found.attributes.get("udid").and_then(Value::as_str).unwrap_or_default().to_owned());
    }
    if with_devices && udids.is_empty() {
        return Err(relationship_error("devices", format!("A {profile_type} profile needs at least one device.")));
    }
    drop(index);
    let team_id = keyward_core::team::team_identifier(team.id);
    let days = 365;
    let (created, expires) = dates(days);
    let uuid = uuid::Uuid::new_v4().to_string().to_uppercase();
    let identifier = bundle.attributes.get("identifier").and_then(Value::as_str).unwrap_or_default();
    let app_id_name = bundle.attributes.get("name").and_then(Value::as_str).unwrap_or(identifier);
    let content = ProfileContent {
        uuid: &uuid,
        name: &name,
        app_id_name,
        bundle_identifier: identifier,
        team_id: &team_id,
        team_name: &team.name,
        platforms: plist_platforms,
        certificates,
        devices: with_devices.then(|| udids.iter().map(String::as_str).collect()),
        development: profile_type.ends_with("_DEVELOPMENT"),
        created: &created,
        expires: &expires,
        days,
    };
    let signed = profile::sign(&call.state.signing, content.plist().as_bytes()).map_err(|e| {
        tracing::error!(error = %e, "the signing CA could not sign a profile");
        ApiError::internal()
    })?;
    attributes.insert("platform".into(), json!(platform));
    attributes.insert("profileState".into(), json!("ACTIVE"));
    attributes.insert("uuid".into(), json!(uuid));
    attributes.insert("createdDate".into(), json!(created));
    attributes.insert("expirationDate".into(), json!(expires));
    attributes.insert("profileContent".into(), json!(base64::engine::general_purpose::STANDARD.encode(signed)));
    Ok(WriteRules {
        guards: vec![
            Guard::Unique {
                attribute: "name".into(),
                value: json!(name),
                detail: format!(
                    "Multiple profiles found with the name '{name}'. Please remove the duplicate profiles and try again."
                ),
            },
            Guard::LinkedNot {
                relationship: "devices".into(),
                attribute: "status".into(),
                value: json!("DISABLED"),
                detail: "A device of the profile has been disabled.".into(),
            },
        ],
        cascades: vec![],
        also: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f1_each_profile_type_takes_the_certificates_xcode_pairs_it_with() {
        assert_eq!(certificate_types("IOS_APP_DEVELOPMENT"), ["DEVELOPMENT", "IOS_DEVELOPMENT"]);
        assert_eq!(certificate_types("IOS_APP_ADHOC"), ["DISTRIBUTION", "IOS_DISTRIBUTION"]);
        assert_eq!(certificate_types("TVOS_APP_STORE"), ["DISTRIBUTION", "IOS_DISTRIBUTION"]);
        assert_eq!(certificate_types("MAC_APP_DEVELOPMENT"), ["DEVELOPMENT", "MAC_APP_DEVELOPMENT"]);
        assert_eq!(certificate_types("MAC_APP_STORE"), ["DISTRIBUTION", "MAC_APP_DISTRIBUTION"]);
        assert_eq!(
            certificate_types("MAC_CATALYST_APP_DIRECT"),
            ["DEVELOPER_ID_APPLICATION", "DEVELOPER_ID_APPLICATION_G2"]
        );
        assert!(lists_devices("TVOS_APP_ADHOC") && !lists_devices("IOS_APP_STORE") && !lists_devices("MAC_APP_DIRECT"));
    }
}
