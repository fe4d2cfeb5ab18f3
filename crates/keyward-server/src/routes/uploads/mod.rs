//! The URLs Keyward hands out in a build upload file's `uploadOperations` (spec F2), as Apple
//! hands out pre-signed storage URLs: no bearer token, the URL's secret is the authority.

pub(crate) mod put;

/// Where a file's bytes go: `/keyward/uploads/{file}/{secret}`.
pub(crate) const PREFIX: &str = "/keyward/uploads";
