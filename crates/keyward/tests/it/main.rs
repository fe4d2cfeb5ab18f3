//! The `keyward` binary's integration tests, in one binary: the CLI contract, serve, seeds, mail,
//! TLS, independent clients and several nodes, driving the real executable.

#[macro_use]
mod common;

mod backup;
mod cli_contract;
mod clients;
mod cluster;
mod codesign;
mod demo;
mod gateway;
mod key_api;
mod key_events;
mod key_file;
mod keys_for_automation;
mod mail;
mod outage;
mod package;
mod policy;
mod review;
mod seeds;
mod serve;
mod testflight;
mod tls;
mod upgrade;
mod webhooks;
