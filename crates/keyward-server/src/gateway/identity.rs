//! G2, G3: who called, in headers the upstream reads (`X-Keyward-Key-Id`, `-Issuer-Id`, `-Key-Kind`,
//! `-Roles`, and `-Member-Id` for individual keys), and the client's own `X-Keyward-*` removed,
//! since an upstream that trusts these headers must only ever see Keyward's.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use keyward_core::key::KeyKind;
use keyward_core::role::{Role, RoleSet};

use super::sink::Sink;
use keyward_token::verify::Principal;

pub(crate) const KEY_ID: HeaderName = HeaderName::from_static("x-keyward-key-id");
pub(crate) const ISSUER_ID: HeaderName = HeaderName::from_static("x-keyward-issuer-id");
pub(crate) const KEY_KIND: HeaderName = HeaderName::from_static("x-keyward-key-kind");
pub(crate) const ROLES: HeaderName = HeaderName::from_static("x-keyward-roles");
pub(crate) const MEMBER_ID: HeaderName = HeaderName::from_static("x-keyward-member-id");

/// Whether a header name is, or reads as, `X-Keyward-…`: servers that turn headers into CGI-style
/// variables (`HTTP_X_KEYWARD_ROLES`) cannot tell `X_Keyward_Roles` or `X.Keyward.Roles` apart, so
/// every punctuation character counts as `-`.
pub(crate) fn looks_like_identity(name: &str) -> bool {
    const PREFIX: &[u8] = b"x-keyward-";
    let fold = |b: u8| if b.is_ascii_alphanumeric() { b.to_ascii_lowercase() } else { b'-' };
    name.len() >= PREFIX.len() && name.bytes().zip(PREFIX).all(|(b, p)| fold(b) == *p)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g2_every_client_sent_identity_header_goes() {
        let mut headers = HeaderMap::new();
        headers.append("X-Keyward-Key-Id", HeaderValue::from_static("FORGED"));
        headers.append("x-keyward-roles", HeaderValue::from_static("ADMIN"));
        headers.append("x-keyward-roles", HeaderValue::from_static("ACCOUNT_HOLDER"));
        headers.append("x-keyward-anything", HeaderValue::from_static("1"));
        headers.append("x-keywardish", HeaderValue::from_static("kept"));
        headers.append("x_keyward_member_id", HeaderValue::from_static("forged"));
        headers.append("X-Keyward_Roles", HeaderValue::from_static("ADMIN"));
        headers.append("x.keyward.key-id", HeaderValue::from_static("FORGED"));
        let left: Vec<&str> = headers.keys().map(HeaderName::as_str).filter(|n| !looks_like_identity(n)).collect();
        assert_eq!(left, ["x-keywardish"]);
    }
}
