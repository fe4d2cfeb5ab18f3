//! Test mode's routes and layers: the request log ([`record`]), `POST /_keyward/reset`,
//! `GET /_keyward/requests`, and the guard both sit behind ([`same_origin_only`]).

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keyward_core::ports::SeedStore;
use keyward_core::seed::SeedFile;
use serde_json::json;

use super::{KEPT, RecordedRequest};
use crate::AppState;
use crate::auth::gate::AuthNote;
use crate::error::ApiError;
use crate::views;

/// Records every API request (outermost layer, so refusals are recorded too).
pub(crate) async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !path.starts_with("/v1") {
        return next.run(req).await;
    }
    let method = req.method().to_string();
    let path = req.uri().path_and_query().map(ToString::to_string).unwrap_or_default();
    let response = next.run(req).await;
    if let Some(tm) = &state.test_mode {
        let note = response.extensions().get::<AuthNote>().cloned().unwrap_or_default();
        let entry = RecordedRequest {
            at: views::timestamp(time::OffsetDateTime::now_utc()),
            method,
            path,
            key_id: note.key_id,
            status: response.status().as_u16(),
            failure: note.failure,
        };
        if let Ok(mut log) = tm.requests.lock() {
            if log.len() == KEPT {
                log.pop_front();
            }
            log.push_back(entry);
        }
    }
    response
}

/// Test mode's endpoints answer test suites, which send neither `Origin` nor `Sec-Fetch-Site`,
/// never a web page: a page open in the developer's browser could otherwise wipe the instance with
/// a plain form post. Refused: an `Origin` other than this server's own, a `Sec-Fetch-Site` other
/// than `same-origin` or `none` (a page on another port of `localhost` is `same-site`), and a `Host`
/// that is a domain name other than `localhost` or the public URL's (DNS rebinding).
pub(crate) async fn same_origin_only(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let foreign_origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .is_some_and(|origin| origin.split_once("://").map(|(_, rest)| rest) != Some(host));
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let from_a_page = fetch_site.is_some_and(|site| site != "same-origin" && site != "none");
    if foreign_origin || from_a_page || !trusted_host(host, state.public_url.as_deref()) {
        tracing::warn!(host, "refused a cross-site request to test mode");
        return ApiError::custom(
            StatusCode::FORBIDDEN,
            "FORBIDDEN_ERROR",
            "This request is forbidden for security reasons",
            Some("Test mode's /_keyward/ endpoints refuse requests from web pages (Origin, Sec-Fetch-Site) and hosts other than an IP address, localhost or the public URL".into()),
        )
        .into_response();
    }
    next.run(req).await
}

/// An IP literal, `localhost`, or the host of the public URL.
fn trusted_host(host: &str, public_url: Option<&str>) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => return v6.split_once(']').is_some_and(|(ip, _)| ip.parse::<std::net::Ipv6Addr>().is_ok()),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let public =
        public_url.and_then(|u| u.split_once("://")).map(|(_, rest)| rest.split(['/', ':']).next().unwrap_or(""));
    name.parse::<std::net::Ipv4Addr>().is_ok()
        || name.eq_ignore_ascii_case("localhost")
        || public.is_some_and(|p| p.eq_ignore_ascii_case(name))
}

pub(crate) async fn requests(State(state): State<AppState>) -> Response {
    let Some(tm) = &state.test_mode else { return ApiError::path_error().into_response() };
    let data: Vec<RecordedRequest> = tm.requests.lock().map(|l| l.iter().cloned().collect()).unwrap_or_default();
    views::document(StatusCode::OK, &json!({ "data": data }))
}

pub(crate) async fn reset(State(state): State<AppState>) -> Result<Response, ApiError> {
    let Some(tm) = &state.test_mode else { return Err(ApiError::path_error()) };
    let empty = (SeedFile { teams: vec![] }, HashMap::new());
    let (file, keys) = tm.seed.as_ref().unwrap_or(&empty);
    let outcome = state.store.apply_seed(file, keys, true).await?;
    state.replica.reload(&state.store).await?;
    state.limiter.clear();
    if let Ok(mut log) = tm.requests.lock() {
        log.clear();
    }
    tracing::info!(changes = outcome.changes, "test mode: database reset to the seed");
    Ok(views::document(StatusCode::OK, &json!({ "reset": true, "changes": outcome.changes })))
}

/// `POST /_keyward/review/{submission}` with `{"state": "IN_REVIEW"}`, `"REJECTED"` or
/// `"APPROVED"`: App Review's move of a review submission (spec F3), which Keyward has no reviewer
/// to make. The submission's items and App Store versions follow; a move App Review would not make
/// from the submission's state is a 409 that changes nothing.
pub(crate) async fn review(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let asked = asked_state(&body);
    let asked = asked.as_str();
    let Some(step) = keyward_core::review::Move::parse(asked) else {
        let detail = format!("'{asked}' is none of IN_REVIEW, REJECTED, APPROVED");
        return Err(ApiError::entity("ENTITY_ERROR.ATTRIBUTE.INVALID", detail, "/state"));
    };
    let now = views::timestamp(time::OffsetDateTime::now_utc());
    let base = state.public_url.clone().unwrap_or_default();
    let (_, changes) = state.store.move_review(&id, step, &now, base.trim_end_matches('/')).await?;
    state.written(&changes).await;
    tracing::info!(submission = %id, state = asked, "test mode: App Review moved a submission");
    Ok(views::document(StatusCode::OK, &json!({ "submission": id, "moved": asked, "changes": changes.len() })))
}

/// `POST /_keyward/testers/{tester}` with `{"state": "ACCEPTED"}`, `"INSTALLED"` or `"REVOKED"`:
/// the tester's own move (spec F2), which Keyward has no tester to make. A move a tester could not
/// make from the tester's state (accepting before an invitation) is a 409 that changes nothing.
pub(crate) async fn tester(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let asked = asked_state(&body);
    let asked = asked.as_str();
    if !["ACCEPTED", "INSTALLED", "REVOKED"].contains(&asked) {
        let detail = format!("'{asked}' is none of ACCEPTED, INSTALLED, REVOKED");
        return Err(ApiError::entity("ENTITY_ERROR.ATTRIBUTE.INVALID", detail, "/state"));
    }
    let (_, change) = state.store.move_tester(&id, asked).await?;
    state.written(std::slice::from_ref(&change)).await;
    tracing::info!(tester = %id, state = asked, "test mode: a tester moved");
    Ok(views::document(StatusCode::OK, &json!({ "tester": id, "moved": asked })))
}

/// The `state` a move's body asks for, or `""`.
fn asked_state(body: &[u8]) -> String {
    let body = serde_json::from_slice::<serde_json::Value>(body).unwrap_or_default();
    body.get("state").and_then(|s| s.as_str()).unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::trusted_host;

    #[test]
    fn only_ip_literals_localhost_and_the_public_host_are_trusted() {
        assert!(trusted_host("127.0.0.1:8080", None));
        assert!(trusted_host("[::1]:8080", None));
        assert!(trusted_host("localhost:8080", None));
        assert!(trusted_host("asc.test:443", Some("https://asc.test")));
        assert!(!trusted_host("rebind.attacker.test:8080", None), "DNS rebinding");
        assert!(!trusted_host("rebind.attacker.test", Some("https://asc.test")));
    }
}
