//! Installation settings that rules depend on. Loading them (file, environment, flags) is the
//! binary's job; the domain only reads them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// K2: approve API access requests as soon as they are made.
    pub auto_approve_api_access: bool,
    /// K5: active team keys per team.
    pub max_active_team_keys: u32,
    /// K13: days a revoked key stays listed before it is purged.
    pub revoked_retention_days: u32,
    /// T6: the expected `aud` claim.
    pub token_audience: String,
    /// T8–T10: tolerated clock difference between client and server.
    pub clock_skew_seconds: u32,
    /// T14: put the precise authentication failure reason in the 401 `detail`.
    pub explain_auth_errors: bool,
    /// L1: default rolling-hour request budget per key.
    pub rate_limit_per_hour: u32,
    /// M3: seconds a node keeps accepting tokens after its last successful change-feed read; then
    /// it fails closed (503) rather than trust keys that may have been revoked meanwhile.
    pub max_feed_staleness: u32,
    /// F2: seconds an uploaded build stays `PROCESSING` before it is `VALID` (0 in test mode).
    pub build_processing_seconds: u32,
    /// F5: let webhooks reach private and loopback addresses (local use); link-local and
    /// metadata addresses stay refused.
    pub webhook_allow_private: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            auto_approve_api_access: false,
            max_active_team_keys: 50,
            revoked_retention_days: 30,
            token_audience: "appstoreconnect-v1".to_owned(),
            clock_skew_seconds: 60,
            explain_auth_errors: false,
            rate_limit_per_hour: 3600,
            max_feed_staleness: 10,
            build_processing_seconds: 30,
            webhook_allow_private: false,
        }
    }
}
