//! G2, G3: who called, in headers the upstream reads (`X-Keyward-Key-Id`, `-Issuer-Id`, `-Key-Kind`,
//! `-Roles`, and `-Member-Id` for individual keys). The client's own `X-Keyward-*`, and every
//! look-alike, are removed by [`super::headers`]: an upstream that trusts these headers must only
//! ever see Keyward's.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use keyward_core::key::KeyKind;
use keyward_core::role::{Role, RoleSet};
use keyward_token::verify::Principal;

use super::sink::Sink;

pub(crate) const KEY_ID: HeaderName = HeaderName::from_static("x-keyward-key-id");
pub(crate) const ISSUER_ID: HeaderName = HeaderName::from_static("x-keyward-issuer-id");
pub(crate) const KEY_KIND: HeaderName = HeaderName::from_static("x-keyward-key-kind");
pub(crate) const ROLES: HeaderName = HeaderName::from_static("x-keyward-roles");
pub(crate) const MEMBER_ID: HeaderName = HeaderName::from_static("x-keyward-member-id");

/// Writes the identity of `principal` (each field once; the caller has left out any other).
pub(crate) fn write(principal: &Principal, sink: &mut impl Sink) {
    let kind = match principal.kind {
        KeyKind::Team => "team",
        KeyKind::Individual => "individual",
    };
    sink.text(&KEY_ID, format_args!("{}", principal.key_id.as_str()));
    sink.text(&ISSUER_ID, format_args!("{}", principal.issuer_id));
    sink.field(&KEY_KIND, &HeaderValue::from_static(kind));
    // The permission to generate individual keys is Apple's, not a role an upstream decides by.
    sink.text(&ROLES, format_args!("{}", RoleList(principal.roles.without(Role::GenerateIndividualKeys))));
    if let Some(member) = principal.member_id {
        sink.text(&MEMBER_ID, format_args!("{member}"));
    }
}

/// Adds the identity of `principal` to `headers` (forward auth's answer), replacing any there.
pub(crate) fn insert(headers: &mut HeaderMap, principal: &Principal) {
    for name in [KEY_ID, ISSUER_ID, KEY_KIND, ROLES, MEMBER_ID] {
        headers.remove(name);
    }
    write(principal, headers);
}

/// Roles as `X-Keyward-Roles` lists them: `ADMIN,DEVELOPER`.
struct RoleList(RoleSet);

impl std::fmt::Display for RoleList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, role) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(role.as_str())?;
        }
        Ok(())
    }
}
