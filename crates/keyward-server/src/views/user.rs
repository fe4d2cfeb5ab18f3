//! The `users` resource object (a team member).

use keyward_core::member::Member;
use serde_json::{Value, json};

use super::{BaseUrl, Fields, Related, relationship};

/// Sparse fieldset names of `users` (attributes and the relationship).
pub(crate) const USER_FIELDS: [&str; 7] =
    ["username", "firstName", "lastName", "roles", "allAppsVisible", "provisioningAllowed", "visibleApps"];

pub(crate) fn resource(m: &Member, base: &BaseUrl, fields: &Fields, visible_apps: Option<&Related>) -> Value {
    let path = format!("/v1/users/{}", m.id);
    let mut attributes = serde_json::Map::new();
    let mut put = |name: &str, v: Value| {
        if fields.has(name) {
            attributes.insert(name.to_owned(), v);
        }
    };
    put("username", json!(m.email));
    put("firstName", json!(m.first_name));
    put("lastName", json!(m.last_name));
    put("roles", json!(keyward_core::member::listed_roles(m.roles, m.individual_keys_explicit).to_vec()));
    put("allAppsVisible", json!(m.all_apps_visible));
    put("provisioningAllowed", json!(m.provisioning_allowed));
    let mut doc = json!({ "type": "users", "id": m.id.to_string(), "attributes": attributes, "links": { "self": base.url(&path) } });
    if fields.has("visibleApps") {
        doc["relationships"] = json!({ "visibleApps": relationship(base, &path, "visibleApps", visible_apps) });
    }
    doc
}
