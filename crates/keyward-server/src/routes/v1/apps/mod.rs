//! `/v1/apps`: one file per endpoint.

pub(crate) mod get;
pub(crate) mod list;
pub(crate) mod not_allowed;
pub(crate) mod update;
