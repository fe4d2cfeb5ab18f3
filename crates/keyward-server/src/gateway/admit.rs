//! G1 for the gateway's routes: where a request belongs (the path's form, then its route, each
//! checked once), then the [`gate`](crate::auth::gate) every keyed request passes, with the
//! policy's audience and the route's area (A2 with the area's roles, A3 with `individual_keys`).
//! The proxy and forward auth both come here, so both decide alike.

use axum::response::IntoResponse;
use keyward_core::gateway::{AreaRules, Route, check_request_path};
use keyward_token::verify::Principal;

use super::Gateway;
use crate::AppState;
use crate::auth::gate::{self, Ask, Refused};
use crate::error::ApiError;

/// A request under one of the policy's routes, its path's form checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Routed<'g> {
    pub route: &'g Route,
    rules: &'g AreaRules,
}

impl<'g> Routed<'g> {
    /// The route's area, for metrics and the key's usage.
    pub fn area(&self) -> &'g str {
        &self.route.area
    }
}

/// A route the proxy found for `path`, once the path's form is checked: dot segments, encoded
/// `/`, `\` or `.` could make the upstream read another path than the one authorized (403).
pub(crate) fn checked<'g>(found: (&'g Route, &'g AreaRules), path: &str) -> Result<Routed<'g>, Refused> {
    if let Err(why) = check_request_path(path) {
        return Err(Refused::before_gate(ApiError::forbidden_because(why).into_response(), "forbidden"));
    }
    Ok(Routed { route: found.0, rules: found.1 })
}

/// G3: the route of a path forward auth is asked about; a URI under no route is a 403 whoever
/// asks. The routes are no secret: the proxy in front of Keyward only asks about paths it routes here.
pub(crate) fn route<'g>(gateway: &'g Gateway, path: &str) -> Result<Routed<'g>, Refused> {
    if let Err(why) = check_request_path(path) {
        return Err(Refused::before_gate(ApiError::forbidden_because(why).into_response(), "forbidden"));
    }
    let Some(found) = gateway.policy.route_for(path) else {
        let why = format!("no route of this gateway serves {path}");
        return Err(Refused::before_gate(ApiError::forbidden_because(&why).into_response(), "no_route"));
    };
    Ok(Routed { route: found.0, rules: found.1 })
}

/// G1 for `original` (the request as the proxy received it, or as a forward-auth call describes
/// it, with the policy's audience) under `routed`; `ip` gives the client's address for T14's
/// failure records.
pub(crate) async fn admit(
    state: &AppState,
    gateway: &Gateway,
    routed: Routed<'_>,
    original: Ask<'_>,
    ip: impl FnOnce() -> Option<String>,
) -> Result<gate::Admitted, Refused> {
    let method = original.method;
    let allows = |p: &Principal| {
        gateway.policy.authorize(routed.route, routed.rules, p.kind, p.roles, method).map_err(|why| why.to_string())
    };
    let admitted = gate::admit(state, original, allows, ip).await?;
    state.recorder.used_in_area(&admitted.principal.key_id, routed.area(), gate::now());
    Ok(admitted)
}
