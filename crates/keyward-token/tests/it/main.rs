//! keyward-token's integration tests, in one binary: the T-rules, attacks and Wycheproof vectors.

#[macro_use]
mod common;

mod attacks;
mod codesign;
mod rules;
mod wycheproof;
