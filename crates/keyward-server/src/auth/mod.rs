//! Admission of requests made with a key: [`gate`] is the one decision (stale feed, token, area,
//! budget) that Keyward's `/v1` API ([`middleware`]) and the gateway both call; [`limiter`] counts
//! budgets; [`recorder`] writes failures and last use behind. What the token is checked against
//! is this node's [`replica`](crate::replica).

mod counters;
pub(crate) mod gate;
pub mod limiter;
pub mod middleware;
pub mod recorder;
