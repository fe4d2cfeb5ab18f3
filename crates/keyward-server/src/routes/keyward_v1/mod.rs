//! Keyward's own API (spec X1), beside Apple's `/v1`: `apiKeys` as JSON:API resources, for
//! platform teams' automation, and `keyWebhooks`, where the team's key events go (X5). Only team keys holding `KEY_MANAGER` get in, with tokens for the
//! audience `keyward-v1` (a token made for `/v1` does not work here, nor the other way round).
//! Every write re-checks the capability in storage, in the write's own transaction.

pub(crate) mod api_keys;
pub(crate) mod key_webhooks;
pub(crate) mod openapi;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use keyward_core::actor::{Actor, ActorContext};
use keyward_core::capability;
use keyward_token::verify::Principal;

use crate::AppState;
use crate::auth::middleware::{admit_parts, run_admitted};

/// T6 for the key API: the `aud` its tokens carry.
pub(crate) const AUDIENCE: &str = "keyward-v1";

/// The prefix of every key API path.
pub(crate) const PREFIX: &str = "/keyward/v1";

/// The layer of every key API route: the gate, then the handler with the key, `X-Rate-Limit`
/// on the way out. A key manager spends its own budget here as on `/v1`.
pub(crate) async fn require_key_manager(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let allows =
        |key: &Principal| capability::may_use_key_api(key.kind, key.key_manager, key.roles).map_err(|e| e.to_string());
    let admitted =
        admit_parts(&state, AUDIENCE, allows, req.method(), req.uri(), req.headers(), req.extensions()).await;
    run_admitted(admitted, req, next).await
}

/// The acting key, for the store's rules and the audit log (K15): storage reads its standing.
pub(crate) fn actor(key: &Principal, ip: Option<String>) -> ActorContext {
    ActorContext {
        actor: Actor::KeyManager { key_id: key.key_id.clone() },
        label: format!("key manager {}", key.key_id),
        ip,
    }
}
