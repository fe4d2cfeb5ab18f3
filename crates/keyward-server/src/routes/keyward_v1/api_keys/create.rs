//! `POST /keyward/v1/apiKeys`: makes a key under the console's rules (K3–K6, X2, X3), or, with
//! `relationships.replaces`, the successor of a key (X4).
//!
//! - A team key: `name` and `roles` (K3); the 50-key cap holds under racing requests (K5).
//! - An individual key: `kind: "INDIVIDUAL"` and `relationships.member` (K6: one per member). Its
//!   pair is its member's: they download it once from their profile (K10); no `publicKey`, no
//!   `privateKey` here, so no key ever holds a working key in a person's name.
//! - A successor: `relationships.replaces`, optionally `gracePeriod` (`24h`; `0s`, the default,
//!   revokes the predecessor at once). It inherits name, roles, kind and member.
//! - `publicKey` (PEM SubjectPublicKeyInfo, P-256) makes the key from the caller's own pair
//!   (X2); otherwise Keyward makes a team key's pair now, stores its public half in the creating
//!   transaction and answers with `privateKey`, once (K9: never stored; the key counts as
//!   downloaded, so no failure can leave a key nobody can download). `expirationDate` (RFC 3339, a date, or a
//!   span such as `90d`) within the team's cap (X3).
//!
//! 201 with the key and `Location`; `Cache-Control: no-store`, since the answer may hold a
//! private key.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, Resource, StoreError};
use keyward_core::expiry;
use keyward_core::ids::{KeyId, MemberId, TeamId};
use keyward_core::key::KeyKind;
use keyward_core::ports::{KeyStore, KeyTerms, NewKey};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::{TYPE, refusal, resource};
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::body::{JsonBody, Kind, Shape, entity_of, invalid};
use crate::lifecycle;
use crate::routes::keyward_v1::actor;
use crate::routes::v1::base;
use crate::routes::v1::users::update::roles;
use crate::views;

const ATTRIBUTES: [(&str, Kind); 6] = [
    ("name", Kind::String),
    ("kind", Kind::String),
    ("roles", Kind::StringArray),
    ("publicKey", Kind::String),
    ("expirationDate", Kind::NullableString),
    ("gracePeriod", Kind::String),
];

/// The to-one relationships a new key may name, as (name, type).
const RELATIONSHIPS: [(&str, &str); 2] = [("member", "users"), ("replaces", TYPE)];

fn relationship_error(pointer: &str, detail: String) -> ApiError {
    ApiError::entity("ENTITY_ERROR.RELATIONSHIP.INVALID", detail, pointer)
}

/// `data.relationships`, each a to-one linkage of its type: (name, id).
fn to_one_links(body: &Value) -> Result<Vec<(&'static str, String)>, ApiError> {
    let Some(rels) = body.pointer("/data/relationships") else { return Ok(Vec::new()) };
    let rels =
        rels.as_object().ok_or_else(|| invalid("/data/relationships", "'relationships' must be an object".into()))?;
    let mut links = Vec::new();
    for (name, rel) in rels {
        let pointer = format!("/data/relationships/{name}");
        let Some((known, kind)) = RELATIONSHIPS.iter().find(|(n, _)| n == name) else {
            return Err(ApiError::entity(
                "ENTITY_ERROR.RELATIONSHIP.UNKNOWN",
                format!("'{name}' is not a relationship on the resource '{TYPE}'"),
                &pointer,
            ));
        };
        let data = rel.get("data").ok_or_else(|| relationship_error(&pointer, "a relationship needs 'data'".into()))?;
        match (data.get("type").and_then(Value::as_str), data.get("id").and_then(Value::as_str)) {
            (Some(t), Some(id)) if t == *kind => links.push((*known, id.to_owned())),
            (Some(t), Some(_)) => {
                return Err(relationship_error(&pointer, format!("'{t}' is not a valid type here; expected '{kind}'")));
            }
            _ => return Err(relationship_error(&pointer, "the linkage needs a type and an id".into())),
        }
    }
    Ok(links)
}

/// `publicKey` and `expirationDate` as the store takes them.
fn terms_of(a: &Map<String, Value>, now: OffsetDateTime) -> Result<KeyTerms, ApiError> {
    let public_key = match a.get("publicKey").and_then(Value::as_str) {
        Some(pem) => Some(
            lifecycle::uploaded_public_key(pem).map_err(|e| invalid("/data/attributes/publicKey", e.to_string()))?,
        ),
        None => None,
    };
    let expires_at = match a.get("expirationDate").and_then(Value::as_str) {
        Some(text) => Some(
            expiry::parse_expiry(text, now).map_err(|e| invalid("/data/attributes/expirationDate", e.to_string()))?,
        ),
        None => None,
    };
    Ok(KeyTerms { public_key, expires_at, handed_over: false })
}

/// An attribute a successor inherits, given anyway: refused rather than ignored.
fn inherited(a: &Map<String, Value>, links: &[(&str, String)]) -> Result<(), ApiError> {
    if let Some(name) = ["name", "kind", "roles"].into_iter().find(|n| a.contains_key(*n)) {
        return Err(invalid(
            &format!("/data/attributes/{name}"),
            format!("a successor inherits '{name}' from the key it replaces; leave it out"),
        ));
    }
    if links.iter().any(|(n, _)| *n == "member") {
        return Err(relationship_error(
            "/data/relationships/member",
            "a successor belongs to the member of the key it replaces; leave 'member' out".into(),
        ));
    }
    Ok(())
}

/// The new key as the store takes it: a team key or an individual one.
fn new_key(a: &Map<String, Value>, links: &[(&str, String)]) -> Result<NewKey, ApiError> {
    if a.contains_key("gracePeriod") {
        return Err(invalid(
            "/data/attributes/gracePeriod",
            "a grace period is for a successor: name 'replaces'".into(),
        ));
    }
    let member = links.iter().find(|(n, _)| *n == "member").map(|(_, id)| id.as_str());
    match a.get("kind").and_then(Value::as_str).unwrap_or("TEAM") {
        "TEAM" => {
            if member.is_some() {
                return Err(relationship_error(
                    "/data/relationships/member",
                    "a team key belongs to no member; leave 'member' out or make kind INDIVIDUAL".into(),
                ));
            }
            let name = a.get("name").and_then(Value::as_str).ok_or_else(|| required("name"))?;
            let roles = roles(a.get("roles").ok_or_else(|| required("roles"))?, "/data/attributes/roles")?;
            Ok(NewKey::Team { name: name.to_owned(), roles })
        }
        "INDIVIDUAL" => {
            if let Some(name) = ["name", "roles"].into_iter().find(|n| a.contains_key(*n)) {
                return Err(invalid(
                    &format!("/data/attributes/{name}"),
                    format!("an individual key takes its member's name and roles; leave '{name}' out"),
                ));
            }
            let id = member.ok_or_else(|| {
                relationship_error("/data/relationships/member", "an individual key needs 'member'".into())
            })?;
            let member_id: MemberId = id.parse().map_err(|_| {
                relationship_error(
                    "/data/relationships/member",
                    format!("There is no user with id '{id}' in this team"),
                )
            })?;
            Ok(NewKey::Individual { member_id })
        }
        other => Err(invalid("/data/attributes/kind", format!("'{other}' is not a key kind; use TEAM or INDIVIDUAL"))),
    }
}

/// `gracePeriod`: how long a successor's predecessor keeps working (`0s` when absent).
fn grace_of(a: &Map<String, Value>) -> Result<time::Duration, ApiError> {
    match a.get("gracePeriod").and_then(Value::as_str) {
        Some(text) => expiry::parse_span(text).map_err(|e| invalid("/data/attributes/gracePeriod", e.to_string())),
        None => Ok(time::Duration::ZERO),
    }
}

fn required(name: &str) -> ApiError {
    ApiError::entity(
        "ENTITY_ERROR.ATTRIBUTE.REQUIRED",
        format!("The attribute '{name}' is required"),
        &format!("/data/attributes/{name}"),
    )
}

/// The kind of key a request makes: a successor's is its predecessor's (K4: kinds never change).
/// A predecessor of another team is one that does not exist.
async fn kind_made(
    state: &AppState,
    team: TeamId,
    predecessor: Option<&KeyId>,
    new: Option<&NewKey>,
) -> Result<KeyKind, ApiError> {
    match (predecessor, new) {
        (Some(id), _) => match state.store.key(id).await {
            Ok(key) if key.team_id == team => Ok(key.kind),
            Ok(_) | Err(StoreError::Rule(DomainError::NotFound { .. })) => Err(no_predecessor(id.as_str())),
            Err(e) => Err(e.into()),
        },
        (None, Some(NewKey::Individual { .. })) => Ok(KeyKind::Individual),
        (None, _) => Ok(KeyKind::Team),
    }
}

fn no_predecessor(id: &str) -> ApiError {
    relationship_error("/data/relationships/replaces", format!("There is no API key with id '{id}'"))
}

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    crate::jsonapi::ClientIp(ip): crate::jsonapi::ClientIp,
    headers: HeaderMap,
    JsonBody(mut body): JsonBody,
) -> Result<Response, ApiError> {
    let links = to_one_links(&body)?;
    if let Some(data) = body.get_mut("data").and_then(Value::as_object_mut) {
        data.remove("relationships");
    }
    let shape = Shape { resource_type: TYPE, id: None, attributes: &ATTRIBUTES, required: &[], relationships: &[] };
    let a = entity_of(&body, &shape)?.attributes;
    let now = OffsetDateTime::now_utc();
    let mut terms = terms_of(&a, now)?;
    let actor = actor(&caller, ip);
    let team = caller.team_id;
    let max = state.settings.max_active_team_keys;
    let predecessor = match links.iter().find(|(n, _)| *n == "replaces") {
        Some((_, id)) => {
            inherited(&a, &links)?;
            Some(KeyId::parse(id).map_err(|_| no_predecessor(id))?)
        }
        None => None,
    };
    let new = match predecessor {
        Some(_) => None,
        None => Some(new_key(&a, &links)?),
    };
    // K9, K10: a team key's pair is made now, its public half stored in the creating transaction
    // and its private half answered once; a member's individual key waits for its member's
    // download, so no key holds a working key in a person's name.
    let kind = kind_made(&state, team, predecessor.as_ref(), new.as_ref()).await?;
    let pair_allowed = keyward_core::key::may_set_pair(&actor.actor, kind);
    let private = match (pair_allowed, terms.public_key.is_some()) {
        (Err(why), true) => return Err(invalid("/data/attributes/publicKey", why.to_string())),
        (Ok(()), false) => {
            let pair = keyward_token::keypair::generate().map_err(|e| {
                tracing::error!(error = %e, "a key pair could not be made");
                ApiError::internal()
            })?;
            terms.public_key = Some(pair.public.spki_der().to_vec());
            terms.handed_over = true;
            Some(pair.private)
        }
        _ => None,
    };
    let (made, mut changes) = match (predecessor, new) {
        (Some(predecessor), _) => {
            let rotated = lifecycle::rotate_key(&state.store, team, &predecessor, grace_of(&a)?, terms, max, &actor)
                .await
                .map_err(|e| match e {
                    StoreError::Rule(DomainError::NotFound { what: Resource::Key, id }) => no_predecessor(&id),
                    other => refusal(other),
                })?;
            (rotated.successor, vec![Change::KeyRevoked { team_id: team, key_id: predecessor }])
        }
        (None, new) => {
            let new = new.ok_or_else(ApiError::internal)?;
            let made =
                lifecycle::generate_key_with(&state.store, team, new, terms, max, &actor).await.map_err(refusal)?;
            (made, Vec::new())
        }
    };
    if made.downloaded_at.is_some() {
        // It works from the next request on, on this node too.
        changes.push(Change::KeyDownloaded { team_id: team, key_id: made.id.clone() });
    }
    state.written(&changes).await;
    let key = made;
    let base = base(&state, &headers);
    let resource = resource(&key, &base, now, private.as_ref().map(keyward_token::PrivateKeyPem::expose));
    Ok(views::created_once(resource))
}
