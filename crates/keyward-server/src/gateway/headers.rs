//! G2's header rules, both ways, each applied in one pass over the fields: what of a client's
//! request reaches the upstream and what Keyward writes beside it, and what of the upstream's
//! answer reaches the client. hyper's path and the fast path ([`super::wire`]) both come here,
//! so the rules exist once; only where the fields go differs ([`Sink`]).
//!
//! The request's rules, in the order they take precedence:
//! - hop-by-hop fields (RFC 9110 section 7.6.1) and those `Connection` names go, except names a
//!   client could use to strip what the upstream relies on (framing, `Host`, `X-Forwarded-*`);
//! - `Authorization`, Keyward's console cookies and `Forwarded` (nobody here vouches for it) go;
//! - headers asking the upstream to act on another method or path (`X-HTTP-Method-Override`…)
//!   go, under any spelling;
//! - headers in which proxies name the client's address go, under any spelling, unless a trusted
//!   proxy wrote them (`X-Real-IP` and the like, spelled exactly); `X-Forwarded-For`, `-Proto`
//!   and `-Host` are Keyward's to write, extending a trusted proxy's;
//! - every `X-Keyward-*` look-alike goes; Keyward's identity headers are written.
//!
//! Spellings: servers that turn headers into CGI-style variables (`HTTP_X_FORWARDED_FOR`) read
//! every character that is not a letter or digit as `-`, so `X_Forwarded_For` and
//! `X.Forwarded.For` are `x-forwarded-for` to them; the rules compare names folded so.

use std::borrow::Cow;
use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use keyward_token::verify::Principal;

use super::identity;
use super::sink::Sink;

/// What Keyward writes on a forwarded request beside the client's fields.
pub(crate) struct Forwarding<'a> {
    /// The client's address (the connection's peer).
    pub peer: Option<IpAddr>,
    /// The peer is one of the `trusted_proxies`, which vouch for the `X-Forwarded-*` they write.
    pub trusted: bool,
    /// `X-Forwarded-Proto`.
    pub https: bool,
    /// The configured public host, written as `X-Forwarded-Host` (a client chooses its own Host).
    pub public_host: Option<&'a str>,
    /// The upstream's authority, the `Host` of every forwarded request.
    pub upstream_host: &'a HeaderValue,
    pub principal: &'a Principal,
    /// The request is a WebSocket handshake the area accepts: the upstream is asked to switch.
    pub switch: bool,
}

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// The request's fields as the upstream gets them (the module's rules), into `sink`.
pub(crate) fn request(input: &HeaderMap, f: &Forwarding<'_>, sink: &mut impl Sink) {
    let named = connection_names(input.get_all(header::CONNECTION).iter().map(HeaderValue::as_bytes));
    let mut chain = String::new();
    let (mut kept_proto, mut kept_host) = (false, false);
    let mut client_host = None;
    let mut cookies: Vec<&[u8]> = Vec::new();
    for (name, value) in input {
        let n = name.as_str();
        if is_hop_by_hop(n) || named.iter().any(|m| m.eq_ignore_ascii_case(n)) {
            continue;
        }
        match n {
            "authorization" | "forwarded" => continue,
            "host" => {
                client_host.get_or_insert(value);
                continue;
            }
            "cookie" => {
                cookies.extend(value.as_bytes().split(|b| *b == b';').map(<[u8]>::trim_ascii).filter(|pair| {
                    let name = pair.split(|b| *b == b'=').next().unwrap_or_default();
                    !pair.is_empty() && !is_keyward_cookie(&String::from_utf8_lossy(name.trim_ascii()))
                }));
                continue;
            }
            "x-forwarded-for" => {
                if f.trusted
                    && let Ok(v) = value.to_str()
                    && !v.is_empty()
                {
                    if !chain.is_empty() {
                        chain.push_str(", ");
                    }
                    chain.push_str(v);
                }
                continue;
            }
            "x-forwarded-proto" | "x-forwarded-host" => {
                if f.trusted {
                    kept_proto |= n == "x-forwarded-proto";
                    kept_host |= n == "x-forwarded-host";
                    sink.field(name, value);
                }
                continue;
            }
            _ => {}
        }
        let folded = folded(name);
        let exact = matches!(folded, Cow::Borrowed(_));
        let dropped = OVERRIDES.contains(&&*folded)
            || (!exact && (WRITTEN.contains(&&*folded) || FRAMING.contains(&&*folded)))
            || CLIENT_ADDRESSES.contains(&&*folded)
            || (VOUCHED_ADDRESSES.contains(&&*folded) && !(f.trusted && exact))
            // `X-Keyward-…` and every look-alike: only Keyward writes the identity.
            || folded.starts_with("x-keyward-");
        if !dropped {
            sink.field(name, value);
        }
    }
    if !cookies.is_empty()
        && let Ok(v) = HeaderValue::from_bytes(&cookies.join(&b"; "[..]))
    {
        sink.field(&header::COOKIE, &v);
    }
    match (chain.is_empty(), f.peer) {
        (false, Some(ip)) => sink.text(&FORWARDED_FOR, format_args!("{chain}, {ip}")),
        (true, Some(ip)) => sink.text(&FORWARDED_FOR, format_args!("{ip}")),
        (_, None) => {}
    }
    if !kept_proto {
        sink.field(&FORWARDED_PROTO, &HeaderValue::from_static(if f.https { "https" } else { "http" }));
    }
    if !kept_host {
        match (f.public_host, client_host) {
            (Some(public), _) => sink.text(&FORWARDED_HOST, format_args!("{public}")),
            (None, Some(host)) => sink.field(&FORWARDED_HOST, host),
            (None, None) => {}
        }
    }
    sink.field(&header::HOST, f.upstream_host);
    identity::write(f.principal, sink);
    if f.switch {
        sink.field(&header::CONNECTION, &HeaderValue::from_static("upgrade"));
        sink.field(&header::UPGRADE, &HeaderValue::from_static("websocket"));
    }
}

/// Whether a field of the upstream's answer reaches the client: no hop-by-hop field (nor one the
/// answer's `Connection` names), and no attempt to set one of Keyward's console cookies.
pub(crate) struct AnswerRules {
    named: Vec<String>,
}

impl AnswerRules {
    /// The rules for an answer whose `Connection` fields are `connection`.
    pub(crate) fn new<'v>(connection: impl Iterator<Item = &'v [u8]>) -> AnswerRules {
        AnswerRules { named: connection_names(connection) }
    }

    /// `name` in any case.
    pub(crate) fn passes(&self, name: &str, value: &[u8]) -> bool {
        if is_hop_by_hop(name) || self.named.iter().any(|m| m.eq_ignore_ascii_case(name)) {
            return false;
        }
        // Conservative: any cookie whose name-value pair mentions `keyward_` goes, whether it names
        // one (`keyward_session=…`) or hides one in a nameless cookie (`=keyward_session=…`).
        !(name.eq_ignore_ascii_case("set-cookie") && {
            let pair = value.split(|b| *b == b';').next().unwrap_or_default();
            String::from_utf8_lossy(pair).to_ascii_lowercase().contains("keyward_")
        })
    }
}

/// The upstream's answer fields as the client gets them (hyper's path).
pub(crate) fn answer(headers: &mut HeaderMap) {
    let rules = AnswerRules::new(headers.get_all(header::CONNECTION).iter().map(HeaderValue::as_bytes));
    let all = std::mem::take(headers);
    let mut name = None;
    for (next, value) in all {
        name = next.or(name);
        if let Some(name) = &name
            && rules.passes(name.as_str(), value.as_bytes())
        {
            headers.append(name.clone(), value);
        }
    }
}

/// RFC 9110 section 7.6.1's fields of one connection; never forwarded either way. `name` in any case.
pub(crate) fn is_hop_by_hop(name: &str) -> bool {
    const HOP_BY_HOP: [&str; 10] = [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        // RFC 7540 section 3.2: h2c's, meaningful on one connection only (and never tunnelled).
        "http2-settings",
    ];
    HOP_BY_HOP.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// The names `Connection` lists (lowercase), less those a client could name to strip what the
/// upstream relies on: framing, `Host`, and the `X-Forwarded-*` Keyward writes.
fn connection_names<'v>(values: impl Iterator<Item = &'v [u8]>) -> Vec<String> {
    values
        // As `HeaderValue::to_str` reads them: a value with other than visible ASCII names nothing.
        .filter(|v| v.iter().all(|b| *b == b'\t' || (b' '..=b'~').contains(b)))
        .filter_map(|v| std::str::from_utf8(v).ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        // Hop-by-hop names (`keep-alive`, `close` and the like) go anyway: no need to keep them.
        .filter(|n| !is_hop_by_hop(n) && !n.eq_ignore_ascii_case("close"))
        .map(str::to_ascii_lowercase)
        .filter(|n| {
            !(n.is_empty()
                || n == "host"
                || n == "content-length"
                || n == "content-type"
                || n.starts_with("x-forwarded-"))
        })
        .collect()
}

/// Look-alikes of the headers Keyward writes or vouches for.
const WRITTEN: [&str; 4] = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded"];

/// Look-alikes of the fields that frame a request or route it (`Content_Length: 0` beside a body):
/// an upstream that reads them as the real ones would frame the request otherwise than Keyward.
const FRAMING: [&str; 4] = ["content-length", "transfer-encoding", "host", "connection"];

/// Headers in which some proxy or CDN names the client's address; none passes from anyone, since
/// a trusted proxy passes a client's copies of these on unchanged.
const CLIENT_ADDRESSES: [&str; 13] = [
    "true-client-ip",
    "cf-connecting-ip",
    "x-client-ip",
    "client-ip",
    "x-cluster-client-ip",
    "fastly-client-ip",
    "x-originating-ip",
    "x-remote-ip",
    "x-remote-addr",
    "x-forwarded",
    "forwarded-for",
    "x-original-forwarded-for",
    "x-envoy-external-address",
];

/// Address headers a trusted proxy writes itself, kept from it when spelled exactly.
const VOUCHED_ADDRESSES: [&str; 4] = ["x-real-ip", "x-forwarded-port", "x-forwarded-prefix", "x-forwarded-server"];

/// Headers that ask an upstream to act on another method or path than the one Keyward admitted
/// (`X-HTTP-Method-Override: DELETE` on a GET a reader may make), or that describe the request
/// as forward auth reads it.
const OVERRIDES: [&str; 9] = [
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "x-original-url",
    "x-rewrite-url",
    "x-original-uri",
    "x-original-method",
    "x-forwarded-uri",
    "x-forwarded-method",
];

/// A header name folded as CGI-style servers read it; borrowed when it is spelled so already
/// (nearly always), which is also how "spelled exactly" is told.
fn folded(name: &HeaderName) -> Cow<'_, str> {
    let name = name.as_str();
    if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Cow::Borrowed(name);
    }
    name.bytes().map(|b| if b.is_ascii_alphanumeric() { char::from(b) } else { '-' }).collect::<String>().into()
}

fn is_keyward_cookie(name: &str) -> bool {
    let name = name.strip_prefix("__Host-").or_else(|| name.strip_prefix("__Secure-")).unwrap_or(name);
    name.starts_with("keyward_")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use keyward_core::ids::{IssuerId, KeyId, TeamId};
    use keyward_core::key::KeyKind;
    use keyward_core::role::{Role, RoleSet};

    use super::*;
    use crate::gateway::sink::Wire;

    fn principal() -> Principal {
        Principal {
            key_id: KeyId::parse("ABCDEFGHIJ").unwrap(),
            kind: KeyKind::Team,
            team_id: TeamId::random(),
            issuer_id: IssuerId::random(),
            member_id: None,
            roles: [Role::Admin, Role::GenerateIndividualKeys].into_iter().collect::<RoleSet>(),
            visible_apps: None,
            scope: None,
            exp: 0,
            rate_limit_per_hour: None,
            key_end: None,
            key_manager: false,
        }
    }

    /// The fields `input` leaves as the upstream gets them, through both sinks, which must agree.
    fn forwarded(input: &HeaderMap, trusted: bool, public_host: Option<&str>) -> Vec<(String, String)> {
        let principal = principal();
        let upstream_host = HeaderValue::from_static("upstream:9000");
        let f = Forwarding {
            peer: Some("10.1.2.3".parse().unwrap()),
            trusted,
            https: false,
            public_host,
            upstream_host: &upstream_host,
            principal: &principal,
            switch: false,
        };
        let mut map = HeaderMap::new();
        request(input, &f, &mut map);
        let mut bytes = Vec::new();
        request(input, &f, &mut Wire(&mut bytes));
        bytes.extend_from_slice(b"\r\n");
        let mut fields = [httparse::EMPTY_HEADER; 64];
        let Ok(httparse::Status::Complete((_, parsed))) = httparse::parse_headers(&bytes, &mut fields) else {
            panic!("the fast path wrote fields that do not parse: {}", String::from_utf8_lossy(&bytes));
        };
        let wire: Vec<(String, String)> =
            parsed.iter().map(|f| (f.name.to_owned(), String::from_utf8_lossy(f.value).into_owned())).collect();
        let mapped: Vec<(String, String)> = map
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        assert_eq!(wire, mapped, "both transports forward the same fields");
        wire
    }

    fn names(fields: &[(String, String)]) -> Vec<&str> {
        let mut names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    fn value<'a>(fields: &'a [(String, String)], name: &str) -> Vec<&'a str> {
        fields.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }

    /// Keyward's own fields, always written.
    const WRITTEN: [&str; 7] = [
        "host",
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-keyward-issuer-id",
        "x-keyward-key-id",
        "x-keyward-key-kind",
        "x-keyward-roles",
    ];

    fn with_written(mut extra: Vec<&str>) -> Vec<&str> {
        extra.extend(WRITTEN);
        extra.sort_unstable();
        extra
    }

    #[test]
    fn g2_hop_by_hop_headers_and_those_connection_names_go() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, X-Secret-Hop, Content-Length"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("2"));
        headers.insert("x-secret-hop", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::PROXY_AUTHORIZATION, HeaderValue::from_static("Basic eA=="));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        headers.insert("http2-settings", HeaderValue::from_static("AAA"));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let out = forwarded(&headers, false, None);
        assert_eq!(names(&out), with_written(vec!["accept", "content-length"]));
    }

    #[test]
    fn g2_client_address_look_alikes_never_reach_the_upstream() {
        let planted = [
            "true-client-ip",
            "cf-connecting-ip",
            "x-client-ip",
            "x-cluster-client-ip",
            "true_client_ip",
            "x-real-ip",
            "x_real_ip",
            "x-forwarded-port",
            "client-ip",
            "x.client.ip",
            "forwarded",
        ];
        for trusted in [false, true] {
            let mut headers = HeaderMap::new();
            for name in planted {
                headers.insert(HeaderName::from_static(name), HeaderValue::from_static("6.6.6.6"));
            }
            headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
            let out = forwarded(&headers, trusted, None);
            let expected = if trusted { vec!["accept", "x-forwarded-port", "x-real-ip"] } else { vec!["accept"] };
            assert_eq!(names(&out), with_written(expected), "trusted: {trusted}");
        }
    }

    #[test]
    fn g2_look_alikes_of_forwarded_and_override_headers_go() {
        let mut headers = HeaderMap::new();
        for name in
            ["x_forwarded_for", "x_forwarded_host", "X.Forwarded.Proto", "x_http_method_override", "x_original_url"]
        {
            headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_static("6.6.6.6"));
        }
        headers.insert("x-http-method-override", HeaderValue::from_static("DELETE"));
        for name in ["content_length", "Transfer.Encoding", "x_host_", "ho_st"] {
            headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_static("0"));
        }
        headers.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        let out = forwarded(&headers, false, None);
        assert_eq!(names(&out), with_written(vec!["accept", "ho_st", "x_host_"]), "only look-alikes of framing go");
        assert_eq!(value(&out, "x-forwarded-for"), ["10.1.2.3"], "an untrusted client's chain is replaced");
        assert_eq!(value(&out, "x-forwarded-proto"), ["http"]);
        let out = forwarded(&headers, true, None);
        assert_eq!(value(&out, "x-forwarded-for"), ["10.0.0.1, 10.1.2.3"], "a trusted proxy's chain is extended");
        assert_eq!(value(&out, "x-forwarded-proto"), ["https"], "a trusted proxy's protocol is kept");
    }

    #[test]
    fn g2_the_forwarded_host_is_the_public_one_or_the_client_s() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("api.example.test"));
        headers.insert("x-forwarded-host", HeaderValue::from_static("evil.test"));
        let out = forwarded(&headers, false, None);
        assert_eq!(value(&out, "x-forwarded-host"), ["api.example.test"]);
        assert_eq!(value(&out, "host"), ["upstream:9000"]);
        let out = forwarded(&headers, false, Some("keys.example.test"));
        assert_eq!(value(&out, "x-forwarded-host"), ["keys.example.test"]);
        let out = forwarded(&headers, true, Some("keys.example.test"));
        assert_eq!(value(&out, "x-forwarded-host"), ["evil.test"], "a trusted proxy's host is kept");
    }

    #[test]
    fn g2_the_identity_is_keyward_s_alone() {
        let mut headers = HeaderMap::new();
        headers.append("X-Keyward-Key-Id", HeaderValue::from_static("FORGED"));
        headers.append("x-keyward-roles", HeaderValue::from_static("ACCOUNT_HOLDER"));
        headers.append("x_keyward_member_id", HeaderValue::from_static("forged"));
        headers.append("x.keyward.anything", HeaderValue::from_static("1"));
        headers.append("x-keyward-roles", HeaderValue::from_static("ADMIN"));
        headers.append("x-keyward-anything", HeaderValue::from_static("1"));
        headers.append("X-Keyward_Roles", HeaderValue::from_static("ADMIN"));
        headers.append("x.keyward.key-id", HeaderValue::from_static("FORGED"));
        headers.append("x-keywardish", HeaderValue::from_static("kept"));
        let out = forwarded(&headers, false, None);
        assert_eq!(names(&out), with_written(vec!["x-keywardish"]));
        assert_eq!(value(&out, "x-keyward-key-id"), ["ABCDEFGHIJ"]);
        assert_eq!(value(&out, "x-keyward-roles"), ["ADMIN"], "GENERATE_INDIVIDUAL_KEYS is Apple's, not a role");
        assert_eq!(value(&out, "x-keyward-key-kind"), ["team"]);
    }

    #[test]
    fn g2_keywards_cookies_stay_with_keyward() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("keyward_session=s3cret; theme=dark"));
        headers.append(header::COOKIE, HeaderValue::from_static("__Host-keyward_flash=x; app=1"));
        headers.append(header::COOKIE, HeaderValue::from_bytes(b"name=caf\xc3\xa9").unwrap());
        let out = forwarded(&headers, false, None);
        assert_eq!(value(&out, "cookie"), ["theme=dark; app=1; name=café"]);
        let mut map = HeaderMap::new();
        let principal = principal();
        let host = HeaderValue::from_static("u");
        let f = Forwarding {
            peer: None,
            trusted: false,
            https: true,
            public_host: None,
            upstream_host: &host,
            principal: &principal,
            switch: true,
        };
        request(&headers, &f, &mut map);
        assert_eq!(
            map.get(header::COOKIE).map(HeaderValue::as_bytes),
            Some(&b"theme=dark; app=1; name=caf\xc3\xa9"[..])
        );
        assert_eq!(map.get(header::UPGRADE).map(HeaderValue::as_bytes), Some(&b"websocket"[..]));
        assert!(!map.contains_key("x-forwarded-for"), "no peer, no address");

        let mut answer_fields = HeaderMap::new();
        answer_fields.append(header::SET_COOKIE, HeaderValue::from_static("keyward_session=planted; Path=/"));
        answer_fields.append(header::SET_COOKIE, HeaderValue::from_static("app=2; Path=/"));
        answer_fields.append(header::SET_COOKIE, HeaderValue::from_static("=keyward_session=planted; Path=/teams"));
        answer_fields.append(header::SET_COOKIE, HeaderValue::from_bytes(b"Keyward_Session=\xff; Path=/").unwrap());
        answer_fields.append(header::CONNECTION, HeaderValue::from_static("x-hop"));
        answer_fields.append("x-hop", HeaderValue::from_static("1"));
        answer(&mut answer_fields);
        assert_eq!(answer_fields.len(), 1, "{answer_fields:?}");
    }
}
