//! keyward-store's integration tests, in one binary: every storage rule on SQLite and PostgreSQL,
//! races, durability and the change feed.

#[macro_use]
mod common;

mod budgets;
mod catalog;
mod durability;
mod feed;
mod key_manager;
mod key_terms;
mod lifecycle;
mod lists;
mod races;
mod seeds;
