//! Beta groups (spec F2): a name used once per app, a public link made when it is switched on
//! for an external group (never for an internal one) with its tester limit checked, and only
//! processed builds added, whichever side of the link the client writes. The rules across
//! resources are guards, kept in the write's transaction.

use keyward_core::resource::{Guard, Link, ResourceUpdate, WriteRules};
use keyward_core::testflight;
use serde_json::{Map, Value, json};

use super::{Call, invalid, linked};
use crate::error::ApiError;

/// `POST /v1/betaGroups`.
pub(super) fn before_create(
    attributes: &mut Map<String, Value>,
    links: &[(String, Vec<Link>)],
) -> Result<WriteRules, ApiError> {
    attributes.entry("isInternalGroup").or_insert(json!(false));
    attributes.entry("hasAccessToAllBuilds").or_insert(json!(false));
    attributes.entry("publicLinkEnabled").or_insert(json!(false));
    attributes.entry("feedbackEnabled").or_insert(json!(true));
    testflight::public_link(&Map::new(), attributes, link_id).map_err(|(name, why)| invalid(name, why))?;
    let mut guards = processed_builds();
    guards.extend(name_once(attributes, linked(links, "app").into_iter().collect()));
    Ok(WriteRules { guards, ..WriteRules::default() })
}

/// `PATCH /v1/betaGroups/{id}` and its relationship writes.
pub(super) fn before_update(call: &Call<'_>, id: &str, update: &mut ResourceUpdate) -> Result<WriteRules, ApiError> {
    let Some(group) = call.state.replica.resources().get(call.key.team_id, "betaGroups", id) else {
        return Ok(WriteRules::default()); // the write itself answers the 404
    };
    testflight::public_link(&group.attributes, &mut update.attributes, link_id)
        .map_err(|(name, why)| invalid(name, why))?;
    let mut guards = processed_builds();
    guards.extend(name_once(&update.attributes, group.link("app").to_vec()));
    Ok(WriteRules { guards, ..WriteRules::default() })
}

/// `POST /v1/builds/{id}/relationships/betaGroups` and other writes of a build: a build joins
/// groups only once processed.
pub(super) fn before_update_build(update: &ResourceUpdate) -> WriteRules {
    if !update.relationships.contains_key("betaGroups") {
        return WriteRules::default();
    }
    let guards = vec![Guard::Was {
        attribute: "processingState".into(),
        values: vec![json!("VALID")],
        detail: "Only a processed (VALID) build is added to beta groups.".into(),
    }];
    WriteRules { guards, ..WriteRules::default() }
}

fn processed_builds() -> Vec<Guard> {
    vec![Guard::LinkedIs {
        relationship: "builds".into(),
        attribute: "processingState".into(),
        values: vec![json!("VALID")],
        detail: "Only processed (VALID) builds are added to beta groups.".into(),
    }]
}

/// The name, when the write sets one, not used by another group of the app.
fn name_once(attributes: &Map<String, Value>, app: Vec<Link>) -> Option<Guard> {
    let name = attributes.get("name").filter(|n| !n.is_null())?;
    Some(Guard::UniqueAmong {
        attribute: "name".into(),
        value: name.clone(),
        relationship: "app".into(),
        scope: app,
        detail: format!("The app already has a beta group named {name}."),
    })
}

/// A public link's ID: eight letters and digits, as TestFlight's, from a v4 UUID's random bytes
/// (bytes 6 and 8 carry its version and variant).
fn link_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let uuid = uuid::Uuid::new_v4();
    let random = uuid.as_bytes().iter().enumerate().filter(|(i, _)| *i != 6 && *i != 8);
    random.take(8).map(|(_, b)| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect()
}
