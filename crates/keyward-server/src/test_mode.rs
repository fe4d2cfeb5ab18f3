//! Test mode (`keyward serve --test-mode`, never on by default): `POST /_keyward/reset` wipes the
//! database and re-applies the seed file in one transaction, so a test suite starts each test from
//! a known state; `GET /_keyward/requests` lists the last 1,000 `/v1` requests with the key and,
//! for refusals, the authentication failure, so a test can assert what its client sent.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keyward_core::ports::SeedStore;
use keyward_core::seed::SeedFile;
use serde::Serialize;
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;
use crate::views;

const KEPT: usize = 1000;

/// What the bearer-token layer learned about a request, left on its response for the log.
#[derive(Debug, Clone, Default)]
pub struct AuthNote {
    pub key_id: Option<String>,
    pub failure: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    pub at: String,
    pub method: String,
    pub path: String,
    pub key_id: Option<String>,
    pub status: u16,
    pub failure: Option<String>,
}

#[derive(Debug)]
pub struct TestMode {
    /// The seed to re-apply on reset, with every seeded key's public key.
    pub seed: Option<(SeedFile, HashMap<String, Vec<u8>>)>,
    requests: Mutex<VecDeque<RecordedRequest>>,
}

impl TestMode {
    pub fn new(seed: Option<(SeedFile, HashMap<String, Vec<u8>>)>) -> Self {
        Self { seed, requests: Mutex::new(VecDeque::with_capacity(KEPT)) }
    }
}

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
    state.auth.reload(&state.store).await?;
    state.auth.limiter.clear();
    if let Ok(mut log) = tm.requests.lock() {
        log.clear();
    }
    tracing::info!(changes = outcome.changes, "test mode: database reset to the seed");
    Ok(views::document(StatusCode::OK, &json!({ "reset": true, "changes": outcome.changes })))
}
