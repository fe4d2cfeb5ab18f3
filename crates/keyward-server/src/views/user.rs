//! The `users` resource object (a team member), as a typed struct: `GET /v1/users/{id}` serializes
//! it straight into the body. Fields are declared in byte order of their names, the order a
//! `serde_json::Value` map (sorted) writes them in, so both renderings give the same bytes.

use keyward_core::member::Member;
use keyward_core::role::Role;
use serde::Serialize;
use serde_json::Value;

use super::documents::{Links, Single};
use super::{BaseUrl, Fields, Related, relationship};

/// Sparse fieldset names of `users` (attributes and the relationship).
pub(crate) const USER_FIELDS: [&str; 7] =
    ["username", "firstName", "lastName", "roles", "allAppsVisible", "provisioningAllowed", "visibleApps"];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Attributes<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    all_apps_visible: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provisioning_allowed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<Role>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationships {
    visible_apps: Value,
}

#[derive(Serialize)]
pub(crate) struct UserResource<'a> {
    attributes: Attributes<'a>,
    id: String,
    links: Links,
    #[serde(skip_serializing_if = "Option::is_none")]
    relationships: Option<Relationships>,
    #[serde(rename = "type")]
    kind: &'static str,
}

impl<'a> UserResource<'a> {
    pub(crate) fn new(m: &'a Member, base: &BaseUrl, fields: &Fields, visible_apps: Option<&Related>) -> Self {
        let path = format!("/v1/users/{}", m.id);
        let has = |name: &str| fields.has(name);
        let attributes = Attributes {
            all_apps_visible: has("allAppsVisible").then_some(m.all_apps_visible),
            first_name: has("firstName").then_some(m.first_name.as_str()),
            last_name: has("lastName").then_some(m.last_name.as_str()),
            provisioning_allowed: has("provisioningAllowed").then_some(m.provisioning_allowed),
            roles: has("roles")
                .then(|| keyward_core::member::listed_roles(m.roles, m.individual_keys_explicit).to_vec()),
            username: has("username").then_some(m.email.as_str()),
        };
        let relationships = has("visibleApps")
            .then(|| Relationships { visible_apps: relationship(base, &path, "visibleApps", visible_apps) });
        UserResource {
            attributes,
            id: m.id.to_string(),
            links: Links::this(base.url(&path)),
            relationships,
            kind: "users",
        }
    }

    /// The single-resource document of this user, with `included` when asked for.
    pub(crate) fn document(self, included: Option<Vec<Value>>) -> Single<UserResource<'a>> {
        let links = Links::this(self.links.this.clone());
        Single { data: self, included, links }
    }
}

/// The resource as a `Value`, for documents built from several kinds of resources.
pub(crate) fn resource(m: &Member, base: &BaseUrl, fields: &Fields, visible_apps: Option<&Related>) -> Value {
    serde_json::to_value(UserResource::new(m, base, fields, visible_apps)).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use keyward_core::ids::{MemberId, PersonId, TeamId};
    use keyward_core::role::RoleSet;
    use time::OffsetDateTime;

    use super::*;

    /// The typed rendering gives the bytes of the `Value` rendering (sorted keys) for every
    /// fieldset of one field and of all fields, with and without included apps.
    #[test]
    fn typed_and_value_renderings_are_the_same_bytes() {
        let m = Member {
            id: MemberId::random(),
            team_id: TeamId::random(),
            person_id: PersonId::random(),
            email: "d\"q@x.test".into(),
            first_name: "Zoë".into(),
            last_name: String::new(),
            roles: RoleSet::of(&[Role::Developer, Role::Marketing]),
            individual_keys_explicit: true,
            all_apps_visible: false,
            provisioning_allowed: true,
            visible_apps: vec![],
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        let base = BaseUrl("http://kw.test".into());
        let related = Related { ids: vec![("apps".into(), "1".into())], total: 1, limit: 10 };
        let mut fieldsets: Vec<Fields> = USER_FIELDS.iter().map(|f| Fields(Some(vec![(*f).to_owned()]))).collect();
        fieldsets.push(Fields(None));
        for fields in &fieldsets {
            for visible in [None, Some(&related)] {
                let typed = serde_json::to_vec(&UserResource::new(&m, &base, fields, visible)).unwrap_or_default();
                let value = serde_json::to_vec(&resource(&m, &base, fields, visible)).unwrap_or_default();
                assert_eq!(String::from_utf8_lossy(&typed), String::from_utf8_lossy(&value), "{:?}", fields.0);
            }
        }
    }
}
