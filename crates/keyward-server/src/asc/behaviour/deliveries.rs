//! Sending webhook deliveries (spec F5). A delivery is a `webhookDeliveries` resource written
//! with the change it reports: the durable outbox. Every node's loop takes the due ones, claims
//! each with a write guarded on the claim it read (so one node sends it in the normal case; a
//! claim held by a node that died expires after [`CLAIM`] and another node sends it: at least
//! once), posts it signed, and records the answer: `SUCCEEDED`, or a retry after 2^n seconds,
//! `FAILED` after `MAX_ATTEMPTS` or at once for an address webhooks may not reach. The client's
//! resolver keeps only addresses webhooks may reach, and connects to those very addresses, so a
//! name cannot be rebound to a metadata address between the check and the connection. Each send
//! has one deadline for everything (resolving, connecting, headers and body), and sends run side
//! by side, so a slow receiver holds up nobody else's.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use keyward_core::error::StoreError;
use keyward_core::key_event;
use keyward_core::ports::ResourceStore;
use keyward_core::resource::{Guard, Resource, ResourceUpdate, WriteRules};
use keyward_core::webhook::{self, ATTEMPTS, BODY, CLAIMED_UNTIL, MAX_ATTEMPTS, NEXT_AT};
use serde_json::{Value, json};

use crate::AppState;

/// How long a node's claim on a delivery lasts: longer than a whole send.
const CLAIM: i64 = 60;
/// How long a send may take, all of it.
const TIMEOUT: Duration = Duration::from_secs(15);
/// Deliveries one node claims per tick, and sends at once at most.
const PER_TICK: usize = 32;
/// Of which one team's, at most.
const PER_TEAM: usize = 8;
/// Finished deliveries are kept this long, then purged (they count as the team's resources).
const KEPT_DAYS: i64 = 7;

pub(crate) type WebhookClient = Client<HttpsConnector<HttpConnector<CheckedResolver>>, Full<Bytes>>;

/// Resolves names to the addresses webhooks may reach only; none left is an error.
#[derive(Clone)]
pub(crate) struct CheckedResolver {
    allow_private: bool,
}

impl tower::Service<hyper_util::client::legacy::connect::dns::Name> for CheckedResolver {
    type Response = std::vec::IntoIter<std::net::SocketAddr>;
    type Error = std::io::Error;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: hyper_util::client::legacy::connect::dns::Name) -> Self::Future {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let allowed: Vec<_> =
                found.into_iter().filter(|a| webhook::ip_problem(a.ip(), allow_private).is_none()).collect();
            if allowed.is_empty() {
                return Err(std::io::Error::other(format!(
                    "{} resolves to no address webhooks may reach",
                    name.as_str()
                )));
            }
            Ok(allowed.into_iter())
        })
    }
}

/// The client deliveries go out through: http and https (web PKI roots), pooled, through the
/// checked resolver.
pub(crate) fn client(allow_private: bool) -> Option<WebhookClient> {
    let mut http = HttpConnector::new_with_resolver(CheckedResolver { allow_private });
    http.enforce_http(false);
    http.set_connect_timeout(Some(Duration::from_secs(5)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::aws_lc_rs::default_provider())
        .ok()?
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Some(Client::builder(TokioExecutor::new()).build(https))
}

fn int(r: &Resource, name: &str) -> i64 {
    r.attributes.get(name).and_then(Value::as_i64).unwrap_or(0)
}

fn was(name: &str, value: Value) -> Guard {
    Guard::Was { attribute: name.into(), values: vec![value], detail: "claimed elsewhere".into() }
}

/// One tick: the due deliveries this node can claim, each sent on a task of its own.
pub(crate) async fn deliver_due(app: &AppState, client: &WebhookClient) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let candidates = app.replica.resources().of_kind_everywhere("webhookDeliveries");
    let due: Vec<Resource> = pick_due(candidates, now).into_iter().map(|d| (*d).clone()).collect();
    let mut sends = Vec::new();
    for delivery in due {
        let until = time::OffsetDateTime::now_utc().unix_timestamp() + CLAIM;
        let mut claim = ResourceUpdate::default();
        claim.attributes.insert(CLAIMED_UNTIL.into(), json!(until));
        let rules = WriteRules {
            guards: vec![
                was(CLAIMED_UNTIL, json!(int(&delivery, CLAIMED_UNTIL))),
                was(ATTEMPTS, json!(int(&delivery, ATTEMPTS))),
                was("deliveryState", json!("PENDING")),
            ],
            ..WriteRules::default()
        };
        let claimed = match super::update_here(app, &delivery, claim, rules).await {
            Ok(Some(claimed)) => claimed,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(delivery = %delivery.id, error = %e, "a webhook delivery could not be claimed");
                continue;
            }
        };
        let (app, client) = (app.clone(), client.clone());
        sends.push(tokio::spawn(async move {
            let outcome = match tokio::time::timeout(TIMEOUT, send(&app, &client, &claimed)).await {
                Ok(outcome) => outcome,
                Err(_) => Outcome::Failed { why: format!("no answer within {} s", TIMEOUT.as_secs()), again: true },
            };
            record(&app, &claimed, outcome, until).await;
        }));
    }
    for send in sends {
        let _ = send.await;
    }
    purge(app, now).await;
}

/// The deliveries one tick sends: due ones, the longest waiting first, at most [`PER_TEAM`] of one
/// team and [`PER_TICK`] in all. A tick waits for its slowest send, so without the per-team
/// bound a team whose receiver is slow, or that makes many events, could take every slot.
fn pick_due(candidates: Vec<std::sync::Arc<Resource>>, now: i64) -> Vec<std::sync::Arc<Resource>> {
    let mut due: Vec<_> = candidates
        .into_iter()
        .filter(|d| d.attributes.get("deliveryState").and_then(Value::as_str) == Some("PENDING"))
        .filter(|d| int(d, NEXT_AT) <= now && int(d, CLAIMED_UNTIL) <= now)
        .collect();
    due.sort_by_key(|d| (int(d, NEXT_AT), d.id.clone()));
    let mut per_team: std::collections::HashMap<keyward_core::ids::TeamId, usize> = Default::default();
    due.into_iter()
        .filter(|d| {
            let n = per_team.entry(d.team_id).or_default();
            *n += 1;
            *n <= PER_TEAM
        })
        .take(PER_TICK)
        .collect()
}

/// Finished deliveries older than [`KEPT_DAYS`] are deleted.
async fn purge(app: &AppState, now: i64) {
    let cutoff = now - KEPT_DAYS * 86_400;
    let old: Vec<Resource> = app
        .replica
        .resources()
        .of_kind_everywhere("webhookDeliveries")
        .into_iter()
        .filter(|d| d.attributes.get("deliveryState").and_then(Value::as_str) != Some("PENDING"))
        .filter(|d| d.created_at.unix_timestamp() < cutoff)
        .take(PER_TICK)
        .map(|d| (*d).clone())
        .collect();
    for delivery in old {
        match app.store.delete_resource(delivery.team_id, &delivery.kind, &delivery.id, WriteRules::default()).await {
            Ok(_) => {
                let gone = keyward_core::change::Change::Resource {
                    team_id: delivery.team_id,
                    resource_type: delivery.kind.clone(),
                    id: delivery.id.clone(),
                };
                app.written(&[gone]).await;
            }
            Err(StoreError::Rule(_)) => {}
            Err(e) => {
                tracing::warn!(delivery = %delivery.id, error = %e, "an old webhook delivery could not be purged")
            }
        }
    }
}

/// The headers that sign `body`: Apple's `x-apple-signature` (hex HMAC-SHA256 of the body under
/// the secret's bytes) for its webhooks; for key webhooks (X5) Standard Webhooks' `webhook-id`
/// (the delivery's ID, the same on every retry), `webhook-timestamp` (this attempt's second) and
/// `webhook-signature` (`v1,` and base64 of HMAC-SHA256 of `{id}.{timestamp}.{body}` under the
/// base64-decoded `whsec_` secret). `None` for a key webhook secret that does not decode.
fn signature_headers(kind: &str, secret: &str, id: &str, body: &str) -> Option<Vec<(&'static str, String)>> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let sign = |key: &[u8], content: &str| {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
        aws_lc_rs::hmac::sign(&key, content.as_bytes())
    };
    if kind != key_event::WEBHOOK_KIND {
        let hex: String = sign(secret.as_bytes(), body).as_ref().iter().map(|b| format!("{b:02x}")).collect();
        return Some(vec![(webhook::SIGNATURE_HEADER, format!("{}{hex}", webhook::SIGNATURE_PREFIX))]);
    }
    let key = STANDARD.decode(secret.strip_prefix(key_event::SECRET_PREFIX)?).ok()?;
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature = sign(&key, &key_event::signed_content(id, timestamp, body));
    Some(vec![
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", format!("v1,{}", STANDARD.encode(signature.as_ref()))),
    ])
}

/// What sending gave: the receiver's status and body, or why not (and whether to try again).
enum Outcome {
    Answered(u16, String),
    Failed { why: String, again: bool },
}

async fn send(app: &AppState, client: &WebhookClient, delivery: &Resource) -> Outcome {
    // Apple's webhooks (F5) or a team's key webhooks (X5); nothing else is a webhook.
    let hook = delivery
        .link("webhook")
        .first()
        .filter(|l| l.kind == "webhooks" || l.kind == key_event::WEBHOOK_KIND)
        .and_then(|l| app.replica.resources().get(delivery.team_id, &l.kind, &l.id));
    let Some(hook) = hook else { return Outcome::Failed { why: "the webhook has been deleted".into(), again: false } };
    let url = delivery.attributes.get("request").and_then(|r| r.get("url")).and_then(Value::as_str).unwrap_or_default();
    let allow_private = app.settings.webhook_allow_private;
    if let Some(problem) = webhook::url_problem(url, allow_private) {
        return Outcome::Failed { why: format!("the URL is not taken: {problem}"), again: false };
    }
    let Ok(uri) = url.parse::<axum::http::Uri>() else {
        return Outcome::Failed { why: "the URL does not parse".into(), again: false };
    };
    let body = delivery.attributes.get(BODY).and_then(Value::as_str).unwrap_or_default().to_owned();
    let secret = hook.attributes.get("secret").and_then(Value::as_str).unwrap_or_default();
    let Some(signed) = signature_headers(&hook.kind, secret, &delivery.id, &body) else {
        return Outcome::Failed { why: "the webhook's secret is not a Standard Webhooks secret".into(), again: false };
    };
    let mut request = axum::http::Request::post(uri)
        .header("content-type", "application/json")
        .header("user-agent", "Keyward-Webhooks/1");
    for (name, value) in signed {
        request = request.header(name, value);
    }
    let request = request.body(Full::new(Bytes::from(body)));
    let Ok(request) = request else {
        return Outcome::Failed { why: "the request could not be made".into(), again: false };
    };
    match tokio::time::timeout(TIMEOUT, client.request(request)).await {
        Ok(Ok(response)) => {
            let status = response.status().as_u16();
            let text = match Limited::new(response.into_body(), 4096).collect().await {
                Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
                Err(_) => String::new(),
            };
            Outcome::Answered(status, text)
        }
        Ok(Err(e)) => Outcome::Failed { why: format!("the receiver could not be reached: {e}"), again: true },
        Err(_) => {
            Outcome::Failed { why: format!("the receiver did not answer within {} s", TIMEOUT.as_secs()), again: true }
        }
    }
}

async fn record(app: &AppState, delivery: &Resource, outcome: Outcome, claimed_until: i64) {
    let now = time::OffsetDateTime::now_utc();
    let attempts = int(delivery, ATTEMPTS) + 1;
    let mut update = ResourceUpdate::default();
    let set = |update: &mut ResourceUpdate, name: &str, value: Value| {
        update.attributes.insert(name.into(), value);
    };
    set(&mut update, ATTEMPTS, json!(attempts));
    set(&mut update, CLAIMED_UNTIL, json!(0));
    set(&mut update, "sentDate", json!(crate::views::timestamp(now)));
    let (state, retry, error) = match outcome {
        Outcome::Answered(status, body) => {
            set(&mut update, "response", json!({ "httpStatusCode": status, "body": body }));
            let ok = (200..300).contains(&status);
            (if ok { "SUCCEEDED" } else { "FAILED" }, !ok, (!ok).then(|| format!("the receiver answered {status}")))
        }
        Outcome::Failed { why, again } => ("FAILED", again, Some(why)),
    };
    let retry = retry && attempts < MAX_ATTEMPTS;
    set(&mut update, "deliveryState", json!(if retry { "PENDING" } else { state }));
    set(&mut update, "errorMessage", error.map_or(Value::Null, |e| json!(e)));
    set(&mut update, NEXT_AT, json!(now.unix_timestamp() + (1i64 << attempts.min(16))));
    let rules = WriteRules { guards: vec![was(CLAIMED_UNTIL, json!(claimed_until))], ..WriteRules::default() };
    match super::update_here(app, delivery, update, rules).await {
        Ok(Some(_)) => {}
        Ok(None) => tracing::debug!(delivery = %delivery.id, "a webhook delivery's claim ran out before its outcome"),
        Err(e) => {
            tracing::warn!(delivery = %delivery.id, error = %e, "a webhook delivery's outcome could not be recorded")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::ids::TeamId;
    use std::sync::Arc;

    fn delivery(team: TeamId, id: usize, next_at: i64) -> Arc<Resource> {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let hook = Resource {
            team_id: team,
            kind: "webhooks".into(),
            id: "hook".into(),
            app: None,
            attributes: Default::default(),
            relationships: Default::default(),
            created_at: now,
            updated_at: now,
        };
        let mut d = webhook::delivery(team, format!("d{id:03}"), &hook, "{}".into(), now, "", false);
        d.attributes.insert(NEXT_AT.into(), json!(next_at));
        Arc::new(d)
    }

    #[test]
    fn x5_f5_a_busy_team_cannot_take_every_slot_of_a_tick() {
        let (busy, quiet) = (TeamId::random(), TeamId::random());
        let mut candidates: Vec<_> = (0..40).map(|i| delivery(busy, i, 1)).collect();
        candidates.extend((40..43).map(|i| delivery(quiet, i, 5)));
        candidates.push(delivery(quiet, 99, 1_000));
        let picked = pick_due(candidates, 100);
        assert_eq!(picked.iter().filter(|d| d.team_id == busy).count(), PER_TEAM);
        assert_eq!(picked.iter().filter(|d| d.team_id == quiet).count(), 3, "the not-yet-due one waits");
        assert!(picked.len() <= PER_TICK);
    }
}
