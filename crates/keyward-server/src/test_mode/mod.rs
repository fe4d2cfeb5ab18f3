//! Test mode (`keyward serve --test-mode`, never on by default): `POST /_keyward/reset` wipes the
//! database and re-applies the seed file in one transaction, so a test suite starts each test from
//! a known state; `GET /_keyward/requests` lists the last 1,000 `/v1` requests with the key and,
//! for refusals, the authentication failure, so a test can assert what its client sent. Both refuse
//! requests from web pages (`routes::same_origin_only`).
//!
//! This module holds test mode's data, which the state carries; [`routes`] serves it.

pub(crate) mod routes;

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use keyward_core::seed::SeedFile;
use serde::Serialize;

pub(crate) const KEPT: usize = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    pub at: String,
    pub method: String,
    pub path: String,
    pub key_id: Option<String>,
    pub status: u16,
    pub failure: Option<String>,
}

#[derive(Debug)]
pub struct TestMode {
    /// The seed to re-apply on reset, with every seeded key's public key.
    pub seed: Option<(SeedFile, HashMap<String, Vec<u8>>)>,
    pub(crate) requests: Mutex<VecDeque<RecordedRequest>>,
}

impl TestMode {
    pub fn new(seed: Option<(SeedFile, HashMap<String, Vec<u8>>)>) -> Self {
        Self { seed, requests: Mutex::new(VecDeque::with_capacity(KEPT)) }
    }
}
