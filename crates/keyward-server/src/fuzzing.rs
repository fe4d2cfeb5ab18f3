//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`, never in a release build):
//! the parsers of untrusted input that live behind axum extractors, callable on raw bytes. Each
//! returns nothing; a target passes when it neither panics nor hangs.

use serde_json::Value;

use crate::jsonapi::body::{Shape, entity_of, linkages};
use crate::jsonapi::cursor;
use crate::jsonapi::params::Params;
use crate::routes::v1::{apps, user_invitations, users};

/// A JSON:API request body as every write endpoint checks it.
pub fn body(bytes: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else { return };
    let shapes = [
        Shape {
            resource_type: "apps",
            id: Some("1"),
            attributes: &apps::update::ATTRIBUTES,
            required: &[],
            relationships: &[],
        },
        Shape {
            resource_type: "users",
            id: Some("6f1c1c0e-8d52-4a0e-9a43-6a1d2f0e7b10"),
            attributes: &users::update::ATTRIBUTES,
            required: &[],
            relationships: &["visibleApps"],
        },
        Shape {
            resource_type: "userInvitations",
            id: None,
            attributes: &user_invitations::create::ATTRIBUTES,
            required: &["email", "firstName", "lastName", "roles"],
            relationships: &["visibleApps"],
        },
    ];
    for shape in &shapes {
        let _ = entity_of(&value, shape);
    }
    let _ = linkages(&value, "apps");
}

/// A query string as each endpoint parses it, every accessor called.
pub fn query(query: &str) {
    let endpoints: [&[&str]; 6] = [
        &apps::list::PARAMS,
        &apps::get::PARAMS,
        &users::list::PARAMS,
        &users::get::PARAMS,
        &user_invitations::list::PARAMS,
        &users::visible_apps::PARAMS,
    ];
    for allowed in endpoints {
        let Ok(p) = Params::parse(Some(query), allowed) else { continue };
        for name in allowed {
            let _ = p.list(name);
            let _ = p.roles(name);
            let _ = p.app_ids(name);
            let _ = p.fields(name, &["name", "bundleId", "username"]);
            let _ = p.limit(name, 50, 200);
        }
        let _ = p.cursor();
        let _ = p.sort(&["name", "-name", "username", "lastName"]);
        let _ = p.link_query(Some("abc"));
    }
}

/// A paging cursor.
pub fn cursor(s: &str) {
    if let Ok(k) = cursor::decode(s) {
        assert_eq!(cursor::decode(&cursor::encode(&k)).ok().map(|x| x.id), Some(k.id), "cursors round-trip");
    }
}
