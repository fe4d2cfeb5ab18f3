//! The `userInvitations` resource object.

use keyward_core::invitation::Invitation;
use serde_json::{Value, json};

use super::{BaseUrl, Fields, Related, relationship, timestamp};

pub(crate) const INVITATION_FIELDS: [&str; 8] = [
    "email",
    "firstName",
    "lastName",
    "expirationDate",
    "roles",
    "allAppsVisible",
    "provisioningAllowed",
    "visibleApps",
];

pub(crate) fn resource(i: &Invitation, base: &BaseUrl, fields: &Fields, visible_apps: Option<&Related>) -> Value {
    let path = format!("/v1/userInvitations/{}", i.id);
    let mut attributes = serde_json::Map::new();
    let mut put = |name: &str, v: Value| {
        if fields.has(name) {
            attributes.insert(name.to_owned(), v);
        }
    };
    put("email", json!(i.email));
    put("firstName", json!(i.first_name));
    put("lastName", json!(i.last_name));
    put("expirationDate", json!(timestamp(i.expires_at)));
    put("roles", json!(i.roles.to_vec()));
    put("allAppsVisible", json!(i.all_apps_visible));
    put("provisioningAllowed", json!(i.provisioning_allowed));
    let mut doc = json!({ "type": "userInvitations", "id": i.id.to_string(), "attributes": attributes, "links": { "self": base.url(&path) } });
    if fields.has("visibleApps") {
        doc["relationships"] = json!({ "visibleApps": relationship(base, &path, "visibleApps", visible_apps) });
    }
    doc
}
