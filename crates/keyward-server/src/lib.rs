//! Keyward's HTTP server, and the key operations that the server and the CLI share.
//!
//! - [`lifecycle`]: generating a key (drawing Key IDs) and the single download (K9), composed from
//!   `keyward-token` (key material) and the store.
//! - [`app`]: the axum router and its state.
//! - [`serve`]: binding, background tasks (K13 purge) and graceful shutdown.

pub mod app;
pub mod background;
pub mod lifecycle;
mod routes;
pub mod serve;

pub use app::{AppState, router};
pub use serve::{ServeOptions, serve};
