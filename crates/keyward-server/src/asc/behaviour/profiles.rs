//! `profiles` (spec F1): `POST` with a bundle ID, certificates and, for development and ad hoc
//! types, devices answers `profileContent`: a property list with Apple's keys, signed by the
//! installation's signing CA as CMS, which `openssl smime -verify` and `security cms -D` decode.
//! Certificates must suit the type (development or distribution), devices must be enabled, and
//! names are unique in the team, as at Apple.

use base64::Engine;
use keyward_core::ports::TeamStore;
use keyward_core::resource::{Guard, Link, WriteRules};
use keyward_token::codesign::profile::{self, ProfileContent};
use serde_json::{Map, Value, json};

use super::{Call, dates, text};
use crate::error::ApiError;

/// Types whose profiles list devices.
fn lists_devices(profile_type: &str) -> bool {
    profile_type.ends_with("_DEVELOPMENT") || profile_type.ends_with("_ADHOC")
}

fn is_development_certificate(certificate_type: &str) -> bool {
    certificate_type.ends_with("DEVELOPMENT")
}

/// The `platform` attribute and the plist's `Platform` of a profile type.
fn platforms(profile_type: &str) -> (&'static str, Vec<&'static str>) {
    if profile_type.starts_with("MAC_") {
        ("MAC_OS", vec!["OSX"])
    } else if profile_type.starts_with("TVOS_") {
        ("IOS", vec!["tvOS"])
    } else {
        ("IOS", vec!["iOS", "xrOS", "visionOS"])
    }
}

fn relationship_error(name: &str, detail: String) -> ApiError {
    ApiError::entity("ENTITY_ERROR.RELATIONSHIP.INVALID", detail, &format!("/data/relationships/{name}"))
}

fn linked<'a>(links: &'a [(String, Vec<Link>)], name: &str) -> &'a [Link] {
    links.iter().find(|(n, _)| n == name).map(|(_, l)| l.as_slice()).unwrap_or_default()
}

pub(super) async fn before_create(
    call: &Call<'_>,
    attributes: &mut Map<String, Value>,
    links: &[(String, Vec<Link>)],
) -> Result<WriteRules, ApiError> {
    let team_key = call.key.team_id;
    // Read before the replica's index is taken: its guard is not held across an await.
    let team = call.state.store.team_by_id(team_key).await?;
    let index = call.state.replica.resources();
    let profile_type = text(attributes, "profileType").to_owned();
    let name = text(attributes, "name").to_owned();
    let bundle = linked(links, "bundleId")
        .first()
        .and_then(|l| index.get(team_key, "bundleIds", &l.id))
        .ok_or_else(|| relationship_error("bundleId", "A profile needs the bundle ID it provisions.".into()))?;
    let development = profile_type.ends_with("_DEVELOPMENT");
    let mut certificates = Vec::new();
    for link in linked(links, "certificates") {
        let found = index.get(team_key, "certificates", &link.id).ok_or_else(|| {
            relationship_error("certificates", format!("There is no certificate with id '{}'.", link.id))
        })?;
        let kind = found.attributes.get("certificateType").and_then(Value::as_str).unwrap_or_default();
        if is_development_certificate(kind) != development {
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
    if lists_devices(&profile_type) {
        for link in linked(links, "devices") {
            let found = index
                .get(team_key, "devices", &link.id)
                .ok_or_else(|| relationship_error("devices", format!("There is no device with id '{}'.", link.id)))?;
            if found.attributes.get("status").and_then(Value::as_str) == Some("DISABLED") {
                return Err(relationship_error("devices", format!("The device '{}' is disabled.", link.id)));
            }
            udids.push(found.attributes.get("udid").and_then(Value::as_str).unwrap_or_default().to_owned());
        }
        if udids.is_empty() {
            return Err(relationship_error("devices", format!("A {profile_type} profile needs at least one device.")));
        }
    }
    drop(index);
    let team_id = keyward_core::team::team_identifier(team.id);
    let (platform, plist_platforms) = platforms(&profile_type);
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
        devices: lists_devices(&profile_type).then(|| udids.iter().map(String::as_str).collect()),
        development,
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
        guards: vec![Guard::Unique {
            attribute: "name".into(),
            value: json!(name),
            detail: format!(
                "Multiple profiles found with the name '{name}'. Please remove the duplicate profiles and try again."
            ),
        }],
        cascades: vec![],
    })
}
