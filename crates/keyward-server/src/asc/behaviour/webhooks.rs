//! Webhooks (spec F5), as Apple's `/v1/webhooks`, `webhookPings` and `webhookDeliveries`: a
//! webhook's URL is checked (http or https, not Keyward itself, not link-local or metadata
//! addresses, not private ones unless `webhook_allow_private`); its `secret` is kept but never
//! shown. Events are deliveries (`keyward_core::webhook::delivery`) written in the transaction
//! of the change they report, so none is lost to a crash; `deliveries.rs` sends them.

use keyward_core::ids::AppId;
use keyward_core::resource::{AlsoWrite, Link, Notice, WriteRules};
use keyward_core::webhook;
use serde_json::{Map, Value, json};

use super::{Call, invalid, text};
use crate::error::ApiError;

/// A webhook URL a create or update may set.
pub(super) fn check_url(call: &Call<'_>, attributes: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(url) = attributes.get("url").and_then(Value::as_str) else { return Ok(()) };
    if let Some(problem) = webhook::url_problem(url, call.state.settings.webhook_allow_private) {
        return Err(invalid("url", format!("The webhook URL is not taken: {problem}.")));
    }
    if webhook::is_keyward_itself(url, &call.base.url("/")) {
        return Err(invalid("url", "The webhook URL is not taken: it is Keyward itself."));
    }
    Ok(())
}

pub(super) fn before_write_webhook(call: &Call<'_>, attributes: &Map<String, Value>) -> Result<WriteRules, ApiError> {
    check_url(call, attributes)?;
    if attributes.get("secret").is_some_and(|s| s.as_str().is_none_or(|s| s.len() < 8 || s.len() > 256)) {
        return Err(invalid("secret", "A webhook secret is 8 to 256 characters."));
    }
    Ok(WriteRules::default())
}

fn now() -> (time::OffsetDateTime, String) {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    (now, crate::views::timestamp(now))
}

/// `POST /v1/webhookPings`: a `webhookPingCreated` event to the webhook, now.
pub(super) fn before_create_ping(call: &Call<'_>, links: &[(String, Vec<Link>)]) -> Result<WriteRules, ApiError> {
    let hook = links
        .iter()
        .find(|(n, _)| n == "webhook")
        .and_then(|(_, l)| l.first())
        .and_then(|l| call.state.replica.resources().get(call.key.team_id, "webhooks", &l.id))
        .ok_or_else(|| {
            ApiError::entity(
                "ENTITY_ERROR.RELATIONSHIP.INVALID",
                "A ping names its webhook.".into(),
                "/data/relationships/webhook",
            )
        })?;
    let (now, stamp) = now();
    let event = uuid::Uuid::new_v4().to_string();
    let body = webhook::payload(&event, "WEBHOOK_PING_CREATED", json!({ "timestamp": stamp }), None);
    let delivery =
        webhook::delivery(call.key.team_id, super::super::new_id("webhookDeliveries"), &hook, body, now, &stamp, false);
    Ok(WriteRules { also: vec![AlsoWrite::Create(delivery)], ..WriteRules::default() })
}

/// `POST /v1/webhookDeliveries` with a `template`: the same event delivered again, as a new
/// delivery (`redelivery: true`).
pub(super) fn before_create_redelivery(
    call: &Call<'_>,
    id: &str,
    attributes: &mut Map<String, Value>,
    links: &mut Vec<(String, Vec<Link>)>,
) -> Result<WriteRules, ApiError> {
    let index = call.state.replica.resources();
    let team = call.key.team_id;
    let template = links
        .iter()
        .find(|(n, _)| n == "template")
        .and_then(|(_, l)| l.first())
        .and_then(|l| index.get(team, "webhookDeliveries", &l.id))
        .ok_or_else(|| {
            let detail = "A redelivery names the delivery it repeats.".into();
            ApiError::entity("ENTITY_ERROR.RELATIONSHIP.INVALID", detail, "/data/relationships/template")
        })?;
    let hook = template
        .link("webhook")
        .first()
        .filter(|l| l.kind == "webhooks")
        .and_then(|l| index.get(team, "webhooks", &l.id))
        .ok_or_else(|| ApiError::state("The delivery's webhook has been deleted.".into()))?;
    let (now, stamp) = now();
    let body = text(&template.attributes, webhook::BODY).to_owned();
    let fresh = webhook::delivery(team, id.to_owned(), &hook, body, now, &stamp, true);
    attributes.extend(fresh.attributes);
    links.extend(fresh.relationships);
    Ok(WriteRules::default())
}

/// An event about `instance` (of `app`) to every webhook of the app that takes `event_type`,
/// written with the change it reports; the store finds the webhooks in that transaction.
/// `base` makes the instance's link.
pub(crate) fn events(
    base: &str,
    app: Option<&Link>,
    event_type: &str,
    attributes: Value,
    instance: (&str, &str),
) -> Vec<AlsoWrite> {
    let Some(app) = app.and_then(|l| l.id.parse().ok()).map(AppId) else { return Vec::new() };
    vec![AlsoWrite::Notify(Notice {
        event: event_type.to_owned(),
        attributes,
        instance: (instance.0.to_owned(), instance.1.to_owned()),
        app: Some(app),
        base: base.to_owned(),
        now: now().1,
    })]
}

/// The base of links in events made away from any request: the public URL, or none.
pub(crate) fn background_base(state: &crate::AppState) -> String {
    state.public_url.clone().unwrap_or_default().trim_end_matches('/').to_owned()
}

/// The base of links in events made by `call`: the public URL, never the request's `Host`,
/// which a client chooses (an event's link must not send a receiver, token in hand, elsewhere).
pub(super) fn base_of(call: &Call<'_>) -> String {
    background_base(call.state)
}
