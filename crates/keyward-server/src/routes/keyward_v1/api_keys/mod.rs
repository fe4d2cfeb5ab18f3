//! `apiKeys`: the team's keys as the key API shows them (X1). A key's private half never appears,
//! except once, in the answer to the `POST` that generated it (K9: the pair is made then).

pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod get;
pub(crate) mod list;

use keyward_core::capability::Capability;
use keyward_core::ids::KeyId;
use keyward_core::key::{ApiKey, KeyKind};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::PREFIX;
use crate::error::ApiError;
use crate::views::{BaseUrl, timestamp};

pub(crate) const TYPE: &str = "apiKeys";

/// A Key ID from the path; anything that is not one is a key that does not exist.
pub(crate) fn key_id(id: &str) -> Result<KeyId, ApiError> {
    KeyId::parse(id).map_err(|_| ApiError::not_found(TYPE, id))
}

/// `TEAM` or `INDIVIDUAL`, as the API spells kinds.
pub(crate) fn kind_name(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Team => "TEAM",
        KeyKind::Individual => "INDIVIDUAL",
    }
}

pub(crate) fn self_link(base: &BaseUrl, id: &KeyId) -> String {
    base.url(&format!("{PREFIX}/apiKeys/{id}"))
}

/// The resource. `private_key` only in a generating `POST`'s answer.
pub(crate) fn resource(key: &ApiKey, base: &BaseUrl, now: OffsetDateTime, private_key: Option<&str>) -> Value {
    let date = |t: Option<OffsetDateTime>| t.map(timestamp);
    let capabilities: Vec<&str> = if key.key_manager { vec![Capability::KeyManager.as_str()] } else { Vec::new() };
    let mut attributes = json!({
        "name": key.name,
        "kind": kind_name(key.kind),
        "roles": key.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "state": key.state(now).as_str().to_ascii_uppercase(),
        "capabilities": capabilities,
        "publicKeyUploaded": key.uploaded,
        "downloadable": key.is_downloadable(),
        "createdBy": key.created_by_label,
        "createdDate": timestamp(key.created_at),
        "downloadedDate": date(key.downloaded_at),
        "lastUsedDate": date(key.last_used_at),
        "expirationDate": date(key.expires_at),
        "revokedDate": date(key.revoked_at.or(key.revoke_at)),
    });
    if let Some(pem) = private_key {
        attributes["privateKey"] = Value::String(pem.to_owned());
    }
    let link = |kind: &str, id: Option<String>| match id {
        Some(id) => json!({ "data": { "type": kind, "id": id } }),
        None => json!({ "data": null }),
    };
    json!({
        "type": TYPE,
        "id": key.id.to_string(),
        "attributes": attributes,
        "relationships": {
            "member": link("users", key.member_id.map(|m| m.to_string())),
            "replaces": link(TYPE, key.replaces.as_ref().map(ToString::to_string)),
        },
        "links": { "self": self_link(base, &key.id) },
    })
}

/// A refusal from the key store, pointed at the part of the request it is about.
pub(crate) fn refusal(e: keyward_core::error::StoreError) -> ApiError {
    use crate::jsonapi::body::invalid;
    use keyward_core::error::{DomainError as D, Resource, StoreError};
    let StoreError::Rule(rule) = e else { return e.into() };
    let detail = rule.to_string();
    match rule {
        D::NotFound { what: Resource::Key, id } => ApiError::not_found(TYPE, &id),
        D::NotFound { what: Resource::Member, id } => ApiError::entity(
            "ENTITY_ERROR.RELATIONSHIP.INVALID",
            format!("There is no user with id '{id}' in this team"),
            "/data/relationships/member",
        ),
        D::PublicKeyRefused(_) | D::PublicKeyInUse => invalid("/data/attributes/publicKey", detail),
        D::InvalidKeyName => invalid("/data/attributes/name", detail),
        D::NoRoles | D::RoleNotForTeamKeys(_) => invalid("/data/attributes/roles", detail),
        D::ExpiryNotInFuture | D::LifetimeOverCap { .. } => invalid("/data/attributes/expirationDate", detail),
        other => other.into(),
    }
}
