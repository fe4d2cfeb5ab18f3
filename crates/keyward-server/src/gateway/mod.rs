//! Spec section 10: Keyward's keys in front of another HTTP API.
//!
//! - [`admit`]: G1, the one decision both modes share: the path's route, the token for the
//!   policy's audience, the area's roles, the budget.
//! - [`authz`]: G3, forward auth at `/_keyward/authz` for proxies that ask before they forward
//!   (nginx, Traefik, Caddy, Envoy), and [`refusal`], the Apple body nginx cannot copy.
//! - [`proxy`]: G2, the streaming reverse proxy in front of the policy's upstream.
//! - [`identity`]: the headers that tell the upstream who called, and the client's copies removed.
//!
//! Invariant: the gateway never forwards `Authorization`, nor any `X-Keyward-*` header it did not
//! write itself.

pub(crate) mod admit;
pub(crate) mod authz;
pub(crate) mod identity;
pub(crate) mod proxy;
pub(crate) mod refusal;
mod upstream;

use std::time::Duration;

use keyward_core::gateway::Policy;

pub use upstream::Upstream;

/// Counts a gateway request (`via`: `proxy` or `authz`) by its route's area and outcome. Both
/// labels are bounded: areas come from the policy, outcomes from this module.
pub(crate) fn count(via: &'static str, area: Option<&str>, outcome: &'static str) {
    let area = area.unwrap_or("").to_owned();
    metrics::counter!("keyward_gateway_requests_total", "via" => via, "area" => area, "outcome" => outcome)
        .increment(1);
}

/// A checked policy, and the upstream when Keyward also proxies.
#[derive(Debug)]
pub struct Gateway {
    pub policy: Policy,
    pub upstream: Option<Upstream>,
}

impl Gateway {
    /// The policy's upstream (the file's, or `--upstream` in its place) was checked with it.
    /// `timeout` bounds the wait for an upstream's response headers (504 past it).
    pub fn new(policy: Policy, timeout: Duration) -> Result<Gateway, String> {
        let upstream = match policy.upstream.as_deref() {
            Some(url) => Some(Upstream::new(url, timeout)?),
            None => None,
        };
        Ok(Gateway { policy, upstream })
    }
}
