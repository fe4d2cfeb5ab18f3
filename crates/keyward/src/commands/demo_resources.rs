//! What `serve --demo` puts under its first app so a client's first calls return something real
//! (issue #21, item 7): a bundle ID and a device, a pre-release version with three builds in
//! different states, a beta group with two testers, an App Store version with its localization
//! (keywords, description, what's new), the app info and three customer reviews. Written through
//! the one resource writer, like anything the API creates.

use std::collections::BTreeMap;

use keyward_core::ids::{AppId, TeamId};
use keyward_core::ports::ResourceStore;
use keyward_core::resource::{Link, Resource};
use keyward_store::Store;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::error::CliError;

fn link(kind: &str, id: &str) -> Link {
    Link { kind: kind.into(), id: id.into() }
}

/// One resource: its type, ID, attributes and relationships.
struct Item {
    kind: &'static str,
    id: &'static str,
    attributes: Value,
    relationships: Vec<(&'static str, Vec<Link>)>,
}

fn items(app: &str) -> Vec<Item> {
    let to_app = || ("app", vec![link("apps", app)]);
    let build = |id: &'static str, version: &str, state: &str, uploaded: &str| Item {
        kind: "builds",
        id,
        attributes: json!({"version": version, "processingState": state, "uploadedDate": uploaded,
            "expirationDate": "2027-03-01T10:00:00+00:00", "expired": false, "minOsVersion": "17.0",
            "usesNonExemptEncryption": false}),
        relationships: vec![
            to_app(),
            ("preReleaseVersion", vec![link("preReleaseVersions", "d3e0a1c2-1111-4c1e-8a00-000000000001")]),
        ],
    };
    let review = |id: &'static str, rating: u8, title: &str, body: &str, nick: &str, date: &str| Item {
        kind: "customerReviews",
        id,
        attributes: json!({"rating": rating, "title": title, "body": body, "reviewerNickname": nick,
            "createdDate": date, "territory": "USA"}),
        relationships: vec![to_app()],
    };
    let tester = |id: &'static str, first: &str, state: &str| Item {
        kind: "betaTesters",
        id,
        attributes: json!({"firstName": first, "lastName": "Tester", "email": format!("{}@demo.keyward.test", first.to_lowercase()),
            "inviteType": "EMAIL", "state": state}),
        relationships: vec![("apps", vec![link("apps", app)])],
    };
    vec![
        Item {
            kind: "bundleIds",
            id: "DEMOFIZZ01",
            attributes: json!({"name": "Demo Fizz", "identifier": "com.example.demo.fizz", "platform": "IOS", "seedId": "DEMOTEAM01"}),
            relationships: vec![to_app()],
        },
        Item {
            kind: "devices",
            id: "DEMODEVIC1",
            attributes: json!({"name": "Dana's iPhone", "udid": "00008110-000A1C3E0E12801E", "platform": "IOS",
                "deviceClass": "IPHONE", "status": "ENABLED", "model": "iPhone 15", "addedDate": "2026-11-02T09:00:00+00:00"}),
            relationships: vec![],
        },
        Item {
            kind: "preReleaseVersions",
            id: "d3e0a1c2-1111-4c1e-8a00-000000000001",
            attributes: json!({"version": "1.1", "platform": "IOS"}),
            relationships: vec![to_app()],
        },
        build("d3e0a1c2-2222-4c1e-8a00-000000000101", "101", "VALID", "2026-11-20T10:00:00+00:00"),
        build("d3e0a1c2-2222-4c1e-8a00-000000000102", "102", "VALID", "2026-11-27T10:00:00+00:00"),
        build("d3e0a1c2-2222-4c1e-8a00-000000000103", "103", "PROCESSING", "2026-12-04T10:00:00+00:00"),
        tester("d3e0a1c2-3333-4c1e-8a00-000000000001", "Tess", "ACCEPTED"),
        tester("d3e0a1c2-3333-4c1e-8a00-000000000002", "Theo", "INVITED"),
        Item {
            kind: "betaGroups",
            id: "d3e0a1c2-4444-4c1e-8a00-000000000001",
            attributes: json!({"name": "Internal testers", "createdDate": "2026-11-01T09:00:00+00:00",
                "isInternalGroup": true, "hasAccessToAllBuilds": false, "publicLinkEnabled": false,
                "feedbackEnabled": true}),
            relationships: vec![
                to_app(),
                (
                    "builds",
                    vec![
                        link("builds", "d3e0a1c2-2222-4c1e-8a00-000000000101"),
                        link("builds", "d3e0a1c2-2222-4c1e-8a00-000000000102"),
                    ],
                ),
                (
                    "betaTesters",
                    vec![
                        link("betaTesters", "d3e0a1c2-3333-4c1e-8a00-000000000001"),
                        link("betaTesters", "d3e0a1c2-3333-4c1e-8a00-000000000002"),
                    ],
                ),
            ],
        },
        Item {
            kind: "appStoreVersions",
            id: "d3e0a1c2-5555-4c1e-8a00-000000000001",
            attributes: json!({"platform": "IOS", "versionString": "1.1", "appStoreState": "PREPARE_FOR_SUBMISSION",
                "appVersionState": "PREPARE_FOR_SUBMISSION", "copyright": "2026 Demo Inc.", "releaseType": "MANUAL",
                "downloadable": true, "createdDate": "2026-11-28T09:00:00+00:00"}),
            relationships: vec![to_app(), ("build", vec![link("builds", "d3e0a1c2-2222-4c1e-8a00-000000000102")])],
        },
        Item {
            kind: "appStoreVersionLocalizations",
            id: "d3e0a1c2-6666-4c1e-8a00-000000000001",
            attributes: json!({"locale": "en-US", "description": "Fizz turns every number into a game.",
                "keywords": "fizz,buzz,numbers,game", "promotionalText": "Now with Buzz mode.",
                "whatsNew": "Faster counting and a new Buzz mode."}),
            relationships: vec![(
                "appStoreVersion",
                vec![link("appStoreVersions", "d3e0a1c2-5555-4c1e-8a00-000000000001")],
            )],
        },
        Item {
            kind: "appInfos",
            id: "d3e0a1c2-7777-4c1e-8a00-000000000001",
            attributes: json!({"appStoreState": "PREPARE_FOR_SUBMISSION", "state": "PREPARE_FOR_SUBMISSION",
                "appStoreAgeRating": "FOUR_PLUS"}),
            relationships: vec![to_app()],
        },
        Item {
            kind: "appInfoLocalizations",
            id: "d3e0a1c2-8888-4c1e-8a00-000000000001",
            attributes: json!({"locale": "en-US", "name": "Demo Fizz", "subtitle": "Count with friends",
                "privacyPolicyUrl": "https://example.com/privacy"}),
            relationships: vec![("appInfo", vec![link("appInfos", "d3e0a1c2-7777-4c1e-8a00-000000000001")])],
        },
        review(
            "d3e0a1c2-9999-4c1e-8a00-000000000001",
            5,
            "Love it",
            "My kids count to 100 now.",
            "counter",
            "2026-11-21T18:00:00+00:00",
        ),
        review(
            "d3e0a1c2-9999-4c1e-8a00-000000000002",
            3,
            "Good but short",
            "Needs more levels.",
            "busybee",
            "2026-11-25T08:30:00+00:00",
        ),
        review(
            "d3e0a1c2-9999-4c1e-8a00-000000000003",
            1,
            "Crashes",
            "Crashes when I hit 15.",
            "fifteen",
            "2026-12-01T12:15:00+00:00",
        ),
    ]
}

/// Writes the demo's resources under `app`.
pub async fn create(store: &Store, team: TeamId, app: AppId) -> Result<(), CliError> {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    for item in items(&app.to_string()) {
        let attributes = match item.attributes {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let relationships: BTreeMap<String, Vec<Link>> =
            item.relationships.into_iter().map(|(rel, links)| (rel.to_owned(), links)).collect();
        let resource = Resource {
            team_id: team,
            kind: item.kind.into(),
            id: item.id.into(),
            app: Some(app).filter(|_| item.kind != "devices"),
            attributes,
            relationships,
            created_at: now,
            updated_at: now,
        };
        store.create_resource(resource, Default::default()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every demo resource is a resource Apple's document describes, with attributes and
    /// relationships it allows.
    #[test]
    fn the_demo_is_apples_shape() {
        let api = keyward_asc::Api::shared().unwrap();
        for item in items("1234567890") {
            let attributes = item.attributes.as_object().cloned().unwrap();
            let links: Vec<(&str, &str)> =
                item.relationships.iter().flat_map(|(rel, l)| l.iter().map(move |l| (*rel, l.kind.as_str()))).collect();
            api.check_seeded(item.kind, &attributes, &links)
                .unwrap_or_else(|e| panic!("{} {}: {e:?}", item.kind, item.id));
        }
    }
}
