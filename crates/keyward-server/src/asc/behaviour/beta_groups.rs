//! Beta groups (spec F2): a name used once per app, a public link made when it is switched on
//! for an external group (never for an internal one) with its tester limit checked, and only
//! processed, unexpired builds of the group's own app added, whichever side of the link the
//! client writes. The rules across resources are guards, kept in the write's transaction; the
//! link itself is decided from the group as read and guarded on it, so two racing switches
//! cannot leave a group on without a link.

use keyward_core::resource::{Guard, Link, LinkChange, ResourceUpdate, WriteRules};
use keyward_core::testflight;
use serde_json::{Map, Value, json};

use super::{Call, invalid, linked};
use crate::error::ApiError;

/// The attributes of a group that decide its public link.
const LINK_SETTINGS: [&str; 3] = ["publicLinkEnabled", "publicLinkLimitEnabled", "publicLinkLimit"];

/// `POST /v1/betaGroups`.
pub(super) fn before_create(
    attributes: &mut Map<String, Value>,
    links: &[(String, Vec<Link>)],
) -> Result<WriteRules, ApiError> {
    for (name, default) in [
        ("isInternalGroup", json!(false)),
        ("hasAccessToAllBuilds", json!(false)),
        ("publicLinkEnabled", json!(false)),
        ("feedbackEnabled", json!(true)),
        ("publicLinkId", Value::Null),
        ("publicLink", Value::Null),
    ] {
        if attributes.get(name).is_none_or(Value::is_null) {
            attributes.insert(name.into(), default);
        }
    }
    testflight::public_link(&Map::new(), attributes, link_id).map_err(|(name, why)| invalid(name, why))?;
    let app: Vec<Link> = linked(links, "app").into_iter().collect();
    let mut guards = builds_fit(&app);
    guards.extend(name_once(attributes, app));
    Ok(WriteRules { guards, ..WriteRules::default() })
}

/// `PATCH /v1/betaGroups/{id}` and its relationship writes.
pub(super) fn before_update(call: &Call<'_>, id: &str, update: &mut ResourceUpdate) -> Result<WriteRules, ApiError> {
    let Some(group) = call.state.replica.resources().get(call.key.team_id, "betaGroups", id) else {
        return Ok(WriteRules::default()); // the write itself answers the 404
    };
    // Apple's update schema makes these nullable: null leaves them as they are.
    update.attributes.retain(|_, value| !value.is_null());
    let app = group.link("app").to_vec();
    let mut guards = Vec::new();
    if LINK_SETTINGS.iter().any(|name| update.attributes.contains_key(*name)) {
        testflight::public_link(&group.attributes, &mut update.attributes, link_id)
            .map_err(|(name, why)| invalid(name, why))?;
        guards.push(Guard::Was {
            attribute: "publicLinkId".into(),
            values: vec![group.attributes.get("publicLinkId").cloned().unwrap_or(Value::Null)],
            detail: "The group's public link changed meanwhile; read it again.".into(),
        });
    }
    if matches!(update.relationships.get("builds"), Some(LinkChange::Add(_) | LinkChange::Replace(_))) {
        guards.extend(builds_fit(&app));
    }
    guards.extend(name_once(&update.attributes, app));
    Ok(WriteRules { guards, ..WriteRules::default() })
}

/// `POST /v1/builds/{id}/relationships/betaGroups` and other writes of a build: a build joins
/// groups of its own app, once processed and while not expired.
pub(super) fn before_update_build(call: &Call<'_>, id: &str, update: &ResourceUpdate) -> WriteRules {
    if !matches!(update.relationships.get("betaGroups"), Some(LinkChange::Add(_) | LinkChange::Replace(_))) {
        return WriteRules::default();
    }
    let app = call.state.replica.resources().get(call.key.team_id, "builds", id).map(|b| b.link("app").to_vec());
    let guards = vec![
        Guard::Was {
            attribute: "processingState".into(),
            values: vec![json!("VALID")],
            detail: "Only a processed (VALID) build is added to beta groups.".into(),
        },
        Guard::Was {
            attribute: "expired".into(),
            values: vec![json!(false), Value::Null],
            detail: "An expired build is not added to beta groups.".into(),
        },
        Guard::LinkedVia {
            relationship: "betaGroups".into(),
            via: "app".into(),
            targets: app.unwrap_or_default(),
            detail: "A build is added only to beta groups of its own app.".into(),
        },
    ];
    WriteRules { guards, ..WriteRules::default() }
}

/// The builds a group links to: processed, unexpired, of the group's app.
fn builds_fit(app: &[Link]) -> Vec<Guard> {
    vec![
        Guard::LinkedIs {
            relationship: "builds".into(),
            attribute: "processingState".into(),
            values: vec![json!("VALID")],
            detail: "Only processed (VALID) builds are added to beta groups.".into(),
        },
        Guard::LinkedNot {
            relationship: "builds".into(),
            attribute: "expired".into(),
            value: json!(true),
            detail: "An expired build is not added to beta groups.".into(),
        },
        Guard::LinkedVia {
            relationship: "builds".into(),
            via: "app".into(),
            targets: app.to_vec(),
            detail: "Only builds of the group's own app are added to it.".into(),
        },
    ]
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
