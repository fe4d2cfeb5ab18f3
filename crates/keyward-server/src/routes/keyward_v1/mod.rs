//! Keyward's own API (spec X1), beside Apple's `/v1`: `apiKeys` as JSON:API resources, for
//! platform teams' automation. Only team keys holding `KEY_MANAGER` get in, with tokens for the
//! audience `keyward-v1` (a token made for `/v1` does not work here, nor the other way round).
//! Every write re-checks the capability in storage, in the write's own transaction.

pub(crate) mod api_keys;
pub(crate) mod openapi;

use axum::extract::{Request, State};
use axum::http::{Extensions, HeaderMap, Method, Uri};
use axum::middleware::Next;
use axum::response::Response;
use keyward_core::actor::{Actor, ActorContext};
use keyward_core::key::KeyKind;
use keyward_core::role::Role;
use keyward_token::verify::Principal;

use crate::AppState;
use crate::auth::gate::{Admitted, Ask, Refused, admit};
use crate::auth::middleware::run_admitted;

/// T6 for the key API: the `aud` its tokens carry.
pub(crate) const AUDIENCE: &str = "keyward-v1";

/// The prefix of every key API path.
pub(crate) const PREFIX: &str = "/keyward/v1";

/// Who may call the key API: a team key with the ADMIN role holding `KEY_MANAGER`.
fn allows(key: &Principal) -> Result<(), String> {
    if key.kind != KeyKind::Team {
        return Err("individual keys cannot manage keys".into());
    }
    if !key.key_manager {
        return Err("the key does not hold KEY_MANAGER".into());
    }
    if !key.roles.contains(Role::Admin) {
        return Err("a key manager needs the ADMIN role".into());
    }
    Ok(())
}

/// The gate for a key API request (M3, T1–T15 for [`AUDIENCE`], [`allows`], L1–L4). (The
/// request's parts, not the request, as in `admit_v1`: its body is not `Sync`.)
async fn admit_key_api(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    ext: &Extensions,
) -> Result<Admitted, Refused> {
    let ask = Ask { method: method.as_str(), path: uri.path(), query: uri.query(), headers, audience: AUDIENCE };
    let ip = || crate::client_ip::of(ext, headers, &state.trusted_proxies);
    admit(state, ask, allows, ip).await
}

/// The layer of every key API route: the gate, then the handler with the key, `X-Rate-Limit`
/// on the way out. A key manager spends its own budget here as on `/v1`.
pub(crate) async fn require_key_manager(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let admitted = admit_key_api(&state, req.method(), req.uri(), req.headers(), req.extensions()).await;
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
