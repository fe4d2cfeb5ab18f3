//! X5: events about a team's keys, delivered to the team's key webhooks as Standard Webhooks
//! (<https://www.standardwebhooks.com>): a JSON body `{type, timestamp, data}`, signed by the
//! sender with the headers `webhook-id`, `webhook-timestamp` and `webhook-signature`. A key
//! webhook is a resource of its own kind beside Apple's `webhooks`, and its deliveries are
//! `webhookDeliveries` in the same durable outbox (F5): written in the transaction of the change
//! they report, sent at least once, retried with backoff. Pure; signing and sending are the
//! server's.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::DomainError;
use crate::ids::TeamId;
use crate::key::ApiKey;
use crate::resource::Resource;
use crate::role::{Role, RoleSet};

/// The resource kind of a team's key webhooks (not one of Apple's: no `/v1` path serves it).
pub const WEBHOOK_KIND: &str = "keyWebhooks";
/// A team's key webhooks, at most: each receives the team's key activity, members' emails included.
pub const MAX_WEBHOOKS: u32 = 10;

/// A Standard Webhooks secret: this prefix, then base64 of the key bytes.
pub const SECRET_PREFIX: &str = "whsec_";

pub const CREATED: &str = "key.created";
pub const DOWNLOADED: &str = "key.downloaded";
pub const REVOKED: &str = "key.revoked";
/// Seven days ([`crate::expiry::EXPIRING_NOTICE`]) before a key expires, or at once for a key made
/// with less time left.
pub const EXPIRING: &str = "key.expiring";
pub const EXPIRED: &str = "key.expired";
/// At least [`BURST_FAILURES`] refused tokens naming the key within [`BURST_WINDOW_SECONDS`]: someone
/// holds something of it (an old private key, a leaked token) or a client is misconfigured.
pub const AUTHENTICATION_FAILURES: &str = "key.authentication_failures";

/// The event types a key webhook may take.
pub const EVENT_TYPES: [&str; 6] = [CREATED, DOWNLOADED, REVOKED, EXPIRING, EXPIRED, AUTHENTICATION_FAILURES];

/// A burst: this many failures within the window; announced at most once per quiet period.
pub const BURST_FAILURES: i64 = 10;
pub const BURST_WINDOW_SECONDS: i64 = 60;
pub const BURST_QUIET_SECONDS: i64 = 600;

/// How the audit log and events name the detector of bursts.
pub const FAILURES_ACTOR: &str = "keyward (authentication failures)";

/// How the audit log and events name the sweep that announces expiries.
pub const EXPIRY_ACTOR: &str = "keyward (expiry)";

/// The event types named in `list` (comma-separated), every one when `list` is empty.
pub fn parse_event_types(list: &str) -> Result<Vec<String>, DomainError> {
    let named: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if named.is_empty() {
        return Ok(EVENT_TYPES.iter().map(|s| (*s).to_owned()).collect());
    }
    named
        .into_iter()
        .map(|name| {
            EVENT_TYPES.iter().find(|t| **t == name).map(|t| (*t).to_owned()).ok_or_else(|| {
                DomainError::InvalidInput(format!("'{name}' is not a key event; use {}", EVENT_TYPES.join(", ")))
            })
        })
        .collect()
}

/// Who adds or removes a team's key webhooks (they receive its whole key activity): the operator
/// (`None`), the Account Holder, an Admin, or a key manager (whose ADMIN role storage re-read).
pub fn may_manage_webhooks(actor_roles: Option<RoleSet>) -> Result<(), DomainError> {
    match actor_roles {
        None => Ok(()),
        Some(r) if r.contains(Role::AccountHolder) || r.contains(Role::Admin) => Ok(()),
        Some(_) => Err(DomainError::NotAllowed("only the Account Holder or an Admin can manage key webhooks".into())),
    }
}

/// A key webhook of `team` posting `events` to `url`, signed with `secret`.
pub fn webhook(team: TeamId, id: String, url: &str, secret: &str, events: &[String], now: OffsetDateTime) -> Resource {
    let mut attributes = Map::new();
    attributes.insert("url".into(), json!(url));
    attributes.insert("secret".into(), json!(secret));
    attributes.insert("enabled".into(), json!(true));
    attributes.insert("eventTypes".into(), json!(events));
    Resource {
        team_id: team,
        kind: WEBHOOK_KIND.into(),
        id,
        app: None,
        attributes,
        relationships: Default::default(),
        created_at: now,
        updated_at: now,
    }
}

/// Whether `hook` takes `event`: enabled and subscribed.
pub fn takes(hook: &Resource, event: &str) -> bool {
    let enabled = hook.attributes.get("enabled").and_then(Value::as_bool).unwrap_or(false);
    let subscribed = hook
        .attributes
        .get("eventTypes")
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t.as_str() == Some(event)));
    hook.kind == WEBHOOK_KIND && enabled && subscribed
}

/// RFC 3339 to the second, as Apple's payloads and the documented example write times.
fn stamp(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0).unwrap_or(at).format(&Rfc3339).unwrap_or_default()
}

/// The body: `{"type": "key.revoked", "timestamp": …, "data": {the key, who acted, and `extra`
/// (a burst's count and window)}}`. Never anything secret: no key material, public or private.
pub fn payload(event: &str, key: &ApiKey, actor: &str, at: OffsetDateTime, extra: Map<String, Value>) -> String {
    let mut data = json!({
        "keyId": key.id.to_string(),
        "name": key.name,
        "kind": key.kind.as_str().to_ascii_uppercase(),
        "roles": key.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "memberId": key.member_id.map(|m| m.to_string()),
        "expirationDate": key.expires_at.map(stamp),
        "revokedDate": key.revoked_at.map(stamp),
        "actor": actor,
    });
    if let Some(fields) = data.as_object_mut() {
        fields.extend(extra);
    }
    json!({ "type": event, "timestamp": stamp(at), "data": data }).to_string()
}

/// The content Standard Webhooks signs: `{id}.{timestamp}.{body}`.
pub fn signed_content(id: &str, timestamp: i64, body: &str) -> String {
    format!("{id}.{timestamp}.{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Actor;
    use crate::key::{KeyKind, sample};

    #[test]
    fn x5_event_types_parse_as_listed_and_default_to_all() {
        assert_eq!(parse_event_types("").expect("all").len(), EVENT_TYPES.len());
        assert_eq!(parse_event_types(" key.revoked ").expect("one"), vec!["key.revoked"]);
        assert!(parse_event_types("key.revoked,key.stolen").is_err());
    }

    #[test]
    fn x5_a_hook_takes_what_it_subscribed_to_while_enabled() {
        let now = time::macros::datetime!(2026-12-07 10:00 UTC);
        let mut hook = webhook(TeamId::random(), "h".into(), "https://x.test", "whsec_AA", &[REVOKED.into()], now);
        assert!(takes(&hook, REVOKED));
        assert!(!takes(&hook, CREATED));
        hook.attributes.insert("enabled".into(), json!(false));
        assert!(!takes(&hook, REVOKED));
    }

    #[test]
    fn x5_payloads_name_the_key_and_carry_no_key_material() {
        let now = time::macros::datetime!(2026-12-07 10:00 UTC);
        let key = sample(KeyKind::Team, Actor::Operator, None);
        let at = now + time::Duration::nanoseconds(379_390_911);
        let body: Value = serde_json::from_str(&payload(REVOKED, &key, "ana@acme.test", at, Map::new())).expect("JSON");
        assert_eq!(body["type"], REVOKED);
        assert_eq!(body["data"]["keyId"], key.id.to_string());
        assert_eq!(body["data"]["kind"], "TEAM");
        assert_eq!(body["timestamp"], "2026-12-07T10:00:00Z");
        assert!(!body.to_string().contains("BEGIN"), "no PEM of any kind");
        assert_eq!(signed_content("msg_1", 5, "{}"), "msg_1.5.{}");
    }
}
