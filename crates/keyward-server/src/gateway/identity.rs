//! G2, G3: who called, in headers the upstream reads (`X-Keyward-Key-Id`, `-Issuer-Id`, `-Key-Kind`,
//! `-Roles`, and `-Member-Id` for individual keys), and the client's own `X-Keyward-*` removed,
//! since an upstream that trusts these headers must only ever see Keyward's.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use keyward_core::key::KeyKind;
use keyward_core::role::Role;
use keyward_token::verify::Principal;

pub(crate) const KEY_ID: HeaderName = HeaderName::from_static("x-keyward-key-id");
pub(crate) const ISSUER_ID: HeaderName = HeaderName::from_static("x-keyward-issuer-id");
pub(crate) const KEY_KIND: HeaderName = HeaderName::from_static("x-keyward-key-kind");
pub(crate) const ROLES: HeaderName = HeaderName::from_static("x-keyward-roles");
pub(crate) const MEMBER_ID: HeaderName = HeaderName::from_static("x-keyward-member-id");

/// Whether a header name is, or reads as, `X-Keyward-…`: servers that turn headers into CGI-style
/// variables (`HTTP_X_KEYWARD_ROLES`) cannot tell `X_Keyward_Roles` or `X.Keyward.Roles` apart, so
/// every punctuation character counts as `-`.
fn looks_like_identity(name: &str) -> bool {
    const PREFIX: &[u8] = b"x-keyward-";
    let fold = |b: u8| if b.is_ascii_alphanumeric() { b.to_ascii_lowercase() } else { b'-' };
    name.len() >= PREFIX.len() && name.bytes().zip(PREFIX).all(|(b, p)| fold(b) == *p)
}

/// Removes every `X-Keyward-*` header and its look-alikes, whatever their case or count.
pub(crate) fn strip_client_identity(headers: &mut HeaderMap) {
    let names: Vec<HeaderName> = headers.keys().filter(|name| looks_like_identity(name.as_str())).cloned().collect();
    for name in names {
        headers.remove(&name);
    }
}

/// Adds the identity of `principal`, replacing any header of the same name.
pub(crate) fn insert(headers: &mut HeaderMap, principal: &Principal) {
    let text = |s: String| HeaderValue::from_str(&s).ok();
    let kind = match principal.kind {
        KeyKind::Team => "team",
        KeyKind::Individual => "individual",
    };
    let values = [
        (KEY_ID, HeaderValue::from_str(principal.key_id.as_str()).ok()),
        (ISSUER_ID, text(principal.issuer_id.to_string())),
        (KEY_KIND, Some(HeaderValue::from_static(kind))),
        // The permission to generate individual keys is Apple's, not a role an upstream decides by.
        (ROLES, text(principal.roles.without(Role::GenerateIndividualKeys).to_list())),
        (MEMBER_ID, principal.member_id.and_then(|m| text(m.to_string()))),
    ];
    for (name, value) in values {
        match value {
            Some(v) => {
                headers.insert(name, v);
            }
            None => {
                headers.remove(name);
            }
        }
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
        strip_client_identity(&mut headers);
        assert_eq!(headers.len(), 1, "{headers:?}");
        assert!(headers.contains_key("x-keywardish"));
    }
}
