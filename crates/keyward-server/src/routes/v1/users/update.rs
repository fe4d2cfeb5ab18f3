//! `PATCH /v1/users/{id}`: roles (nobody grants ACCOUNT_HOLDER, the Account Holder keeps it),
//! `allAppsVisible`, `provisioningAllowed` and the `visibleApps` relationship, in one transaction.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keyward_core::error::{Resource, StoreError};
use keyward_core::ports::{MemberStore, MemberUpdate, VisibleAppsChange};
use keyward_core::role::{Role, RoleSet};
use serde_json::Value;

use super::get::member_id;
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::body::{JsonBody, Kind, Shape, entity_of, invalid};
use crate::routes::v1::base;
use crate::views::{self, Fields, user};

pub(crate) const ATTRIBUTES: [(&str, Kind); 3] =
    [("roles", Kind::StringArray), ("allAppsVisible", Kind::Bool), ("provisioningAllowed", Kind::Bool)];

/// `roles` of a body: Apple's `UserRole` values.
pub(crate) fn roles(v: &Value, pointer: &str) -> Result<RoleSet, ApiError> {
    let mut set = RoleSet::EMPTY;
    for r in v.as_array().into_iter().flatten() {
        let name = r.as_str().unwrap_or_default();
        set.insert(
            name.parse::<Role>().map_err(|_| invalid(pointer, format!("'{name}' is not a valid value for 'roles'")))?,
        );
    }
    Ok(set)
}

/// `visibleApps` linkage IDs as app IDs; malformed IDs are refused.
/// App IDs of a request body. A4: an app the calling key does not see is refused exactly like one
/// that does not exist, so an individual key learns nothing of the apps hidden from it.
pub(crate) fn app_ids(
    key: &keyward_token::verify::Principal,
    ids: &[String],
    pointer: &str,
) -> Result<Vec<keyward_core::ids::AppId>, ApiError> {
    let ids: Vec<keyward_core::ids::AppId> = ids
        .iter()
        .map(|id| id.parse().map_err(|_| invalid(pointer, format!("'{id}' is not an app ID"))))
        .collect::<Result<_, _>>()?;
    match ids.iter().find(|id| !crate::routes::v1::key_sees(key, **id)) {
        Some(hidden) => {
            Err(refusal(keyward_core::DomainError::NotFound { what: Resource::App, id: hidden.to_string() }.into()))
        }
        None => Ok(ids),
    }
}

/// A4 for writes: a key that sees only some of the team's apps cannot grant "all apps" (nor take it
/// away, which would touch apps it cannot see).
pub(crate) fn all_apps_refused() -> ApiError {
    invalid(
        "/data/attributes/allAppsVisible",
        "This API key sees only some of the team's apps, so it cannot change whether someone sees all apps; name the apps in visibleApps instead".into(),
    )
}

/// A4 for writes, as keyward-core rules it: replacing someone's apps keeps the ones hidden from
/// the calling key.
pub(crate) fn keep_hidden(
    key: &keyward_token::verify::Principal,
    current: &[keyward_core::ids::AppId],
    new: Vec<keyward_core::ids::AppId>,
) -> Vec<keyward_core::ids::AppId> {
    keyward_core::app::keep_hidden_apps(key.visible_apps.as_deref(), current, new)
}

/// Maps the store's refusals of a member change to Apple's entity errors.
pub(crate) fn refusal(e: StoreError) -> ApiError {
    use keyward_core::DomainError as D;
    match e {
        StoreError::Rule(D::CannotGrantAccountHolder) => {
            invalid("/data/attributes/roles", "Nobody can be granted the ACCOUNT_HOLDER role".into())
        }
        StoreError::Rule(D::InvalidInput(msg)) => invalid("/data/attributes/roles", msg),
        StoreError::Rule(D::NotFound { what: Resource::App, id }) => {
            let mut e = ApiError::custom(
                StatusCode::CONFLICT,
                "ENTITY_ERROR.RELATIONSHIP.INVALID",
                "The provided relationship is invalid.",
                Some(format!("There is no app with id '{id}' in this team")),
            );
            e.source = Some(crate::error::Source::Pointer("/data/relationships/visibleApps".into()));
            e
        }
        other => other.into(),
    }
}

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    Path(id): Path<String>,
    crate::jsonapi::ClientIp(ip): crate::jsonapi::ClientIp,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let member = member_id(&id)?;
    let entity = entity_of(
        &body,
        &Shape {
            resource_type: "users",
            id: Some(&id),
            attributes: &ATTRIBUTES,
            required: &[],
            relationships: &["visibleApps"],
        },
    )?;
    let a = &entity.attributes;
    let all_apps_visible = a.get("allAppsVisible").and_then(Value::as_bool);
    let mut visible_apps = match entity.relationships.first() {
        Some((_, ids)) => Some(app_ids(&key, ids, "/data/relationships/visibleApps")?),
        None => None,
    };
    if key.visible_apps.is_some() {
        let current = state.store.member(key.team_id, member).await?;
        if all_apps_visible.is_some_and(|all| !keyward_core::app::may_set_all_apps(true, current.all_apps_visible, all))
        {
            return Err(all_apps_refused());
        }
        visible_apps = visible_apps.map(|new| keep_hidden(&key, &current.visible_apps, new));
    }
    let update = MemberUpdate {
        roles: a.get("roles").map(|v| roles(v, "/data/attributes/roles")).transpose()?,
        roles_as: keyward_core::member::RolesAs::Listed,
        all_apps_visible,
        provisioning_allowed: a.get("provisioningAllowed").and_then(Value::as_bool),
        visible_apps: visible_apps.map(VisibleAppsChange::Replace),
    };
    let actor = crate::jsonapi::actor(&key, ip);
    let updated = state.store.update_member(key.team_id, member, update, &actor).await.map_err(refusal)?;
    // K14: the member's individual key acts with the new roles from the next request on, here too.
    state.written(&[keyward_core::change::Change::Member { team_id: key.team_id, member_id: member }]).await;
    let base = base(&state, &headers);
    Ok(views::document(StatusCode::OK, &views::single(user::resource(&updated, &base, &Fields::default(), None), None)))
}
