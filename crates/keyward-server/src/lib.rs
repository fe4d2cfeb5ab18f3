//! Keyward's HTTP server, and the key operations that the server and the CLI share.
//!
//! - [`lifecycle`]: generating a key (drawing Key IDs) and the single download (K9), composed from
//!   `keyward-token` (key material) and the store.
//! - [`state`]: what every handler shares; [`router`]: which path goes where.
//! - [`replica`]: this node's copy of keys, members and apps, kept true by the change feed.
//! - [`auth`]: the one admission of keyed requests (T-, A-, L-rules) and its budgets.
//! - [`error`]: Apple's error envelope, the one place errors become responses.
//! - [`gateway`]: Keyward in front of another API: forward auth and the reverse proxy (spec
//!   section 10).
//! - [`serve`]: binding, background tasks (K13 purge) and graceful shutdown.

// Errors here are finished HTTP responses (ApiError, Response), built once per refused request;
// boxing them would buy nothing on the success path.
#![allow(clippy::result_large_err)]

mod asc;
pub mod auth;
pub mod background;
pub mod client_ip;
pub mod console;
mod database_guard;
pub mod error;
mod front;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod gateway;
pub mod invite;
mod jsonapi;
pub mod key_webhooks;
pub mod lifecycle;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod replica;
mod router;
mod routes;
pub mod serve;
pub mod state;
pub mod test_mode;
mod views;

pub use router::router;
pub use serve::{ServeOptions, serve, serve_on, serve_tls};
pub use state::AppState;
