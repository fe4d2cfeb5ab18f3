//! `POST /v1/userInvitations`: 201 with the invitation. `email`, `firstName`, `lastName` and
//! `roles` are required; nobody is invited as ACCOUNT_HOLDER; `GENERATE_INDIVIDUAL_KEYS` in
//! `roles` grants the permission. The acceptance secret (I1) never appears in the response.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use keyward_core::invitation::NewInvitation;
use serde_json::Value;

use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::body::{JsonBody, Kind, Shape, entity_of, invalid};
use crate::routes::v1::base;
use crate::routes::v1::users::update::{app_ids, refusal, roles};
use crate::views::{self, Fields, invitation};

pub(crate) const ATTRIBUTES: [(&str, Kind); 6] = [
    ("email", Kind::String),
    ("firstName", Kind::String),
    ("lastName", Kind::String),
    ("roles", Kind::StringArray),
    ("allAppsVisible", Kind::Bool),
    ("provisioningAllowed", Kind::Bool),
];

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    crate::jsonapi::ClientIp(ip): crate::jsonapi::ClientIp,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let shape = Shape {
        resource_type: "userInvitations",
        id: None,
        attributes: &ATTRIBUTES,
        required: &["email", "firstName", "lastName", "roles"],
        relationships: &["visibleApps"],
    };
    let entity = entity_of(&body, &shape)?;
    let a = &entity.attributes;
    let text = |name: &str| a.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    let email = text("email");
    if keyward_core::team::normalize_email(&email).is_err() {
        return Err(invalid("/data/attributes/email", format!("'{email}' is not an email address")));
    }
    let visible_apps = match entity.relationships.first() {
        Some((_, ids)) => app_ids(&key, ids, "/data/relationships/visibleApps")?,
        None => Vec::new(),
    };
    let all_apps_visible = a.get("allAppsVisible").and_then(Value::as_bool).unwrap_or(visible_apps.is_empty());
    if !keyward_core::app::may_set_all_apps(key.visible_apps.is_some(), false, all_apps_visible) {
        return Err(crate::routes::v1::users::update::all_apps_refused());
    }
    let new = NewInvitation {
        email,
        first_name: text("firstName"),
        last_name: text("lastName"),
        roles: roles(a.get("roles").unwrap_or(&Value::Null), "/data/attributes/roles")?,
        // Apple's API: the permission follows `roles` exactly.
        individual_keys_by_default: false,
        all_apps_visible,
        provisioning_allowed: a.get("provisioningAllowed").and_then(Value::as_bool).unwrap_or(false),
        visible_apps,
    };
    let actor = crate::jsonapi::actor(&key, ip);
    // The acceptance secret is mailed to the invitee or renewed from the console; never shown here.
    let (created, _delivery) =
        crate::invite::create(&state, &headers, key.team_id, new, &actor).await.map_err(refusal)?;
    let base = base(&state, &headers);
    let resource = invitation::resource(&created, &base, &Fields::default(), None);
    let location = resource["links"]["self"].as_str().unwrap_or_default().to_owned();
    let mut response = views::document(StatusCode::CREATED, &views::single(resource, None));
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}
