//! keyward-server's integration tests, in one binary (one link instead of one per file): the HTTP
//! surface over real HTTP, on SQLite and PostgreSQL.

#[macro_use]
mod common;

mod asc;
mod asc_roles;
mod auth_http;
mod availability;
mod codesign;
mod console;
mod metadata;
mod openapi;
mod review;
mod revocation;
mod routes;
mod snapshots;
mod testflight;
