//! Spec section 10: Keyward's keys in front of another HTTP API.
//!
//! - [`admit`]: G1, the one decision both modes share: the path's route, the token for the
//!   policy's audience, the area's roles, the budget.
//! - [`authz`]: G3, forward auth at `/_keyward/authz` for proxies that ask before they forward
//!   (nginx, Traefik, Caddy, Envoy), and [`refusal`], the Apple body nginx cannot copy.
//! - [`proxy`]: G2, the streaming reverse proxy in front of the policy's upstream.
//! - [`identity`]: the headers that tell the upstream who called, and the client's copies removed.
//! - [`tunnel`]: WebSockets (HTTP/1.1 upgrades) through the proxy, watched while they are open.
//! - [`wire`]: the proxy's fast path for plain HTTP, past hyper on both legs.
//!
//! Invariant: the gateway never forwards `Authorization`, nor any `X-Keyward-*` header it did not
//! write itself.

pub(crate) mod admit;
pub(crate) mod authz;
pub(crate) mod headers;
pub(crate) mod identity;
pub(crate) mod in_flight;
pub(crate) mod pool;
pub(crate) mod proxy;
pub(crate) mod refusal;
pub(crate) mod sink;
pub(crate) mod tunnel;
mod upstream;
pub(crate) mod wire;

use std::collections::HashMap;
use std::sync::OnceLock;

use keyward_core::gateway::Policy;
use metrics::{Counter, Histogram};

pub use in_flight::InFlight;
pub use upstream::{Upstream, UpstreamOptions};

/// How a gateway request came: through the proxy, or as a forward-auth check.
const VIAS: [&str; 2] = ["proxy", "authz"];
/// Every outcome a gateway request is counted under.
const OUTCOMES: [&str; 12] = [
    "forwarded",
    "allowed",
    "unauthorized",
    "forbidden",
    "no_route",
    "undescribed",
    "rate_limited",
    "unavailable",
    "feed_stale",
    "upstream_unreachable",
    "upstream_timeout",
    "in_flight_limited",
];

/// One area's metrics: `keyward_gateway_requests_total{via, area, outcome}`, one handle per
/// (via, outcome), and `keyward_gateway_upstream_seconds{area}`.
struct AreaMetrics {
    requests: Vec<Counter>,
    upstream: Histogram,
}

/// Every area's metrics (and those of requests under no route, area ""), registered on first use
/// (the recorder is installed when serving starts): counting looks nothing up by name and
/// allocates nothing. Labels are bounded: areas come from the policy, outcomes from [`OUTCOMES`].
#[derive(Default)]
struct Counters(OnceLock<HashMap<String, AreaMetrics>>);

impl std::fmt::Debug for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Counters")
    }
}

/// A checked policy, and the upstream when Keyward also proxies.
#[derive(Debug)]
pub struct Gateway {
    pub policy: Policy,
    pub upstream: Option<Upstream>,
    counters: Counters,
}

impl Gateway {
    /// The policy's upstream (the file's, or `--upstream` in its place) was checked with it.
    pub fn new(policy: Policy, options: UpstreamOptions) -> Result<Gateway, String> {
        let upstream = match policy.upstream.as_deref() {
            Some(url) => Some(Upstream::new(url, &options)?),
            None => None,
        };
        Ok(Gateway { policy, upstream, counters: Counters::default() })
    }

    fn metrics(&self, area: Option<&str>) -> Option<&AreaMetrics> {
        let all = self.counters.0.get_or_init(|| {
            // Handles made before the recorder exists would count nowhere, forever.
            crate::metrics::install();
            let areas = self.policy.areas.keys().cloned().chain([String::new()]);
            areas
                .map(|area| {
                    let requests = VIAS
                        .iter()
                        .flat_map(|via| OUTCOMES.iter().map(move |outcome| (*via, *outcome)))
                        .map(|(via, outcome)| {
                            metrics::counter!("keyward_gateway_requests_total", "via" => via, "area" => area.clone(), "outcome" => outcome)
                        })
                        .collect();
                    let upstream = metrics::histogram!("keyward_gateway_upstream_seconds", "area" => area.clone());
                    (area, AreaMetrics { requests, upstream })
                })
                .collect()
        });
        all.get(area.unwrap_or(""))
    }

    /// Counts a gateway request by how it came, its route's area (none: no route) and its outcome.
    pub(crate) fn count(&self, via: &'static str, area: Option<&str>, outcome: &'static str) {
        let (Some(via), Some(outcome)) =
            (VIAS.iter().position(|v| *v == via), OUTCOMES.iter().position(|o| *o == outcome))
        else {
            debug_assert!(false, "an uncounted gateway outcome: {via} {outcome}");
            return;
        };
        if let Some(counter) = self.metrics(area).and_then(|m| m.requests.get(via * OUTCOMES.len() + outcome)) {
            counter.increment(1);
        }
    }

    /// How long the upstream took to answer a request in `area`.
    pub(crate) fn upstream_latency(&self, area: &str, seconds: f64) {
        if let Some(m) = self.metrics(Some(area)) {
            m.upstream.record(seconds);
        }
    }
}
