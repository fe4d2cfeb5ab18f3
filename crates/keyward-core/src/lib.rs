//! Keyward's domain model: the App Store Connect API-key model as plain data and pure functions.
//!
//! This crate deliberately does no I/O and knows nothing of HTTP, SQL or an async runtime, so every
//! rule of `spec.md` (K1–K16) can be read and unit-tested on its own. Storage is described by the
//! traits in [`ports`]; `keyward-store` implements them.

pub mod access;
pub mod actor;
pub mod app;
pub mod audit;
pub mod auth;
pub mod capability;
pub mod catalog;
pub mod change;
pub mod error;
pub mod expiry;
pub mod families;
pub mod gateway;
pub mod ids;
pub mod invitation;
pub mod key;
pub mod key_event;
pub mod member;
pub mod metadata;
pub mod paging;
pub mod policy;
pub mod ports;
pub mod rate_limit;
pub mod resource;
pub mod resource_index;
pub mod review;
pub mod role;
pub mod role_table;
pub mod rotation;
pub mod secret;
pub mod seed;
pub mod settings;
pub mod team;
pub mod testflight;
pub mod webhook;

pub use error::DomainError;
