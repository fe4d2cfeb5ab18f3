//! Spec section 10: a policy that gives Keyward's keys to any HTTP API. Routes map path prefixes to
//! areas, and areas to the roles that may read and write in them (G1), beside Keyward's own paths
//! (G4). This module holds the rules; reading the TOML file, with the line of every value, is the
//! binary's (`keyward/src/policy.rs`), which turns each [`Problem`]'s [`Place`] into a line.

use std::collections::BTreeMap;

use crate::key::KeyKind;
use crate::role::{Role, RoleSet};

/// The audience of tokens for the routes when the policy names none (T6).
pub const DEFAULT_AUDIENCE: &str = "appstoreconnect-v1";

/// Keyward's own paths, which no route may claim (G4). `/v1` is not among them: a route may claim
/// it, or a path under it, for an API of the same shape.
pub const KEYWARD_PATHS: [&str; 16] = [
    "/healthz",
    "/keyward",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/openapi",
    "/_keyward",
    "/login",
    "/logout",
    "/setup",
    "/activate",
    "/invitations",
    "/teams",
    "/operator",
    "/static",
    "/favicon.ico",
];

/// A policy as the file states it, before it is checked: roles and areas are names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub audience: Option<String>,
    pub upstream: Option<String>,
    pub routes: Vec<DraftRoute>,
    pub areas: Vec<DraftArea>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftRoute {
    pub prefix: String,
    pub area: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftArea {
    pub name: String,
    pub read: Vec<String>,
    pub write: Vec<String>,
    pub individual_keys: Option<bool>,
    pub websockets: Option<bool>,
}

/// A checked policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub audience: String,
    pub upstream: Option<String>,
    /// Longest prefix first, so the first match is the most specific (prefixes never overlap).
    pub routes: Vec<Route>,
    pub areas: BTreeMap<String, AreaRules>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub prefix: String,
    pub area: String,
}

/// Who may act in an area: `read` for GET, HEAD and OPTIONS, `write` for every other method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AreaRules {
    pub read: RoleSet,
    pub write: RoleSet,
    /// `false`: team keys only, as A3.
    pub individual_keys: bool,
    /// Whether a WebSocket handshake in the area is tunnelled (off unless the policy says so: an
    /// open tunnel carries traffic both ways past per-request admission, so an area opts in).
    pub websockets: bool,
}

/// Where in the file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Audience,
    Upstream,
    /// `routes[i].prefix`.
    RoutePrefix(usize),
    /// `routes[i].area`.
    RouteArea(usize),
    /// The `index`th role of `areas.<area>.<list>` (`read` or `write`).
    AreaRole {
        area: String,
        list: &'static str,
        index: usize,
    },
    /// `[areas.<area>]` itself.
    Area(String),
}

/// Why a policy is refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub place: Place,
    pub reason: String,
}

fn problem(place: Place, reason: impl Into<String>) -> Problem {
    Problem { place, reason: reason.into() }
}

/// Whether `path` is `prefix` or below it, on whole path segments (`/widgets`, `/widgets/1`,
/// never `/widgetsX`).
pub fn under(path: &str, prefix: &str) -> bool {
    path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

fn check_prefix(prefix: &str) -> Result<(), String> {
    let shape_ok = prefix.starts_with('/')
        && prefix.len() > 1
        && !prefix.ends_with('/')
        && !prefix.contains("//")
        && prefix.bytes().all(|b| b.is_ascii_graphic() && !b"?#%\\".contains(&b))
        && !prefix.split('/').any(|segment| segment == "." || segment == "..");
    if !shape_ok {
        return Err(format!(
            "'{prefix}' is not a path prefix: start with '/', no trailing '/', no '.' or '..' segments, query or fragment"
        ));
    }
    let own = KEYWARD_PATHS.iter().find(|own| under(own, prefix) || under(prefix, own));
    match own {
        Some(own) => Err(format!("'{prefix}' would take over Keyward's own path {own}")),
        None => Ok(()),
    }
}

/// An upstream is an absolute `http` or `https` URL with a host and nothing after its path.
pub fn check_upstream(url: &str) -> Result<(), String> {
    let bad = || format!("'{url}' is not an upstream URL such as http://127.0.0.1:9000");
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")).ok_or_else(bad)?;
    let host = rest.split('/').next().unwrap_or_default();
    let host_ok = !host.is_empty()
        && !host.contains('@')
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        && !host.starts_with(':');
    if !host_ok || url.contains(['?', '#', ' ']) {
        return Err(bad());
    }
    Ok(())
}

fn roles(area: &str, list: &'static str, names: &[String], problems: &mut Vec<Problem>) -> RoleSet {
    let mut set = RoleSet::EMPTY;
    for (index, name) in names.iter().enumerate() {
        match name.parse::<Role>() {
            Ok(Role::GenerateIndividualKeys) => problems.push(problem(
                Place::AreaRole { area: area.to_owned(), list, index },
                "GENERATE_INDIVIDUAL_KEYS is a permission, not a role an area can allow",
            )),
            Ok(role) => set = set.with(role),
            Err(_) => problems.push(problem(
                Place::AreaRole { area: area.to_owned(), list, index },
                format!("unknown role '{name}' (Apple's roles, such as ADMIN or DEVELOPER)"),
            )),
        }
    }
    set
}

impl Draft {
    /// G4: checks the whole policy and names every problem, not only the first.
    pub fn check(&self) -> Result<Policy, Vec<Problem>> {
        let mut problems = Vec::new();
        let audience = self.audience.clone().unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned());
        if audience.trim().is_empty() || audience.chars().any(char::is_control) {
            problems.push(problem(Place::Audience, "the audience must be a non-empty string"));
        }
        if let Some(url) = &self.upstream
            && let Err(reason) = check_upstream(url)
        {
            problems.push(problem(Place::Upstream, reason));
        }
        let mut areas = BTreeMap::new();
        for a in &self.areas {
            if areas.contains_key(&a.name) {
                problems.push(problem(Place::Area(a.name.clone()), format!("area '{}' is defined twice", a.name)));
            }
            let rules = AreaRules {
                read: roles(&a.name, "read", &a.read, &mut problems),
                write: roles(&a.name, "write", &a.write, &mut problems),
                individual_keys: a.individual_keys.unwrap_or(true),
                websockets: a.websockets.unwrap_or(false),
            };
            areas.insert(a.name.clone(), rules);
        }
        if self.routes.is_empty() {
            problems.push(problem(Place::RoutePrefix(0), "the policy has no [[routes]]"));
        }
        for (i, r) in self.routes.iter().enumerate() {
            if let Err(reason) = check_prefix(&r.prefix) {
                problems.push(problem(Place::RoutePrefix(i), reason));
            }
            if !areas.contains_key(&r.area) {
                problems.push(problem(
                    Place::RouteArea(i),
                    format!("unknown area '{}': define [areas.{}]", r.area, r.area),
                ));
            }
            for (j, other) in self.routes.iter().enumerate().take(i) {
                if under(&r.prefix, &other.prefix) || under(&other.prefix, &r.prefix) {
                    problems.push(problem(
                        Place::RoutePrefix(i),
                        format!("'{}' overlaps the prefix '{}' of routes[{j}]", r.prefix, other.prefix),
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut routes: Vec<Route> =
            self.routes.iter().map(|r| Route { prefix: r.prefix.clone(), area: r.area.clone() }).collect();
        routes.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        Ok(Policy { audience, upstream: self.upstream.clone(), routes, areas })
    }
}

/// Why the policy refuses a key (G1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `individual_keys = false` in the area.
    TeamKeysOnly { area: String },
    /// None of the roles may act so in the area.
    NoAllowedRole { area: String, write: bool },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::TeamKeysOnly { area } => write!(f, "individual keys are not allowed in the {area} area"),
            Refusal::NoAllowedRole { area, write: true } => {
                write!(f, "none of the key's roles may write in the {area} area")
            }
            Refusal::NoAllowedRole { area, .. } => write!(f, "none of the key's roles may read in the {area} area"),
        }
    }
}

/// Whether a request path is in a form every upstream reads as this code does. Refused: dot
/// segments (`/public/../widgets` matches `/public` here and may reach `/widgets` upstream), and
/// everything an upstream may decode into one or into a separator: encoded `/`, `\`, `.`, `;` and
/// `%` itself (double encoding), `%` without two hex digits (IIS's `%u002e`), percent-encodings
/// that are not UTF-8 (overlong `%c0%ae`), look-alikes of `.`, `/` and `\` that Unicode
/// normalisation folds into them, `..;` (path parameters, as servlet containers read them),
/// backslashes, NUL and whitespace. A route's area could otherwise be passed under another's name.
pub fn check_request_path(path: &str) -> Result<(), &'static str> {
    if !path.starts_with('/') {
        return Err("the path must start with '/'");
    }
    if path.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\') {
        return Err("the path holds whitespace, a control character or a backslash");
    }
    let bytes = path.as_bytes();
    let plain = !bytes.iter().any(|b| *b == b'%' || !b.is_ascii());
    let mut decoded = Vec::with_capacity(if plain { 0 } else { bytes.len() });
    let mut i = 0;
    while !plain && i < bytes.len() {
        if bytes[i] != b'%' {
            decoded.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
        let (Some(high), Some(low)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) else {
            return Err("the path holds a '%' that is not followed by two hex digits");
        };
        let byte = u8::try_from(high * 16 + low).unwrap_or(0);
        if matches!(byte, b'/' | b'\\' | b'.' | b';' | b'%') || byte < 0x20 || byte == 0x7f {
            return Err("the path holds an encoded '/', '\\', '.', ';', '%' or control character");
        }
        decoded.push(byte);
        i += 3;
    }
    let Ok(text) = std::str::from_utf8(if plain { bytes } else { &decoded }) else {
        return Err("the path's percent-encoding is not UTF-8");
    };
    // Look-alikes NFKC folds into '.', '/', '\', ';' or '%': the dot leaders, the small form and
    // fullwidth forms (whole blocks), the Greek question mark, the division and fraction slashes.
    let look_alike = |c: char| {
        matches!(c, '\u{2024}'..='\u{2026}' | '\u{FE50}'..='\u{FE6F}' | '\u{FF01}'..='\u{FF5E}')
            || matches!(c, '\u{037E}' | '\u{2044}' | '\u{2215}')
    };
    if text.chars().any(look_alike) {
        return Err("the path holds a character Unicode normalisation turns into '.', '/', '\\', ';' or '%'");
    }
    let dot_segment = path.split('/').any(|segment| {
        let name = segment.split(';').next().unwrap_or_default();
        name == "." || name == ".."
    });
    if dot_segment {
        return Err("the path holds a '.' or '..' segment");
    }
    Ok(())
}

/// How a forward-auth check describes the request it asks about (G3), convention by convention:
/// nginx `auth_request` (`X-Original-Method`, `X-Original-URI`), Traefik and Caddy
/// (`X-Forwarded-Method`, `X-Forwarded-Uri`), Envoy (the path after the check's prefix, with the
/// check's own method and query).
#[derive(Debug, Clone, Copy, Default)]
pub struct Descriptions<'a> {
    pub check_method: &'a str,
    /// Envoy: what follows the prefix in the check's path (empty: nothing).
    pub after_prefix: &'a str,
    pub check_query: Option<&'a str>,
    pub original_method: Option<&'a str>,
    pub original_uri: Option<&'a str>,
    pub forwarded_method: Option<&'a str>,
    pub forwarded_uri: Option<&'a str>,
}

/// The request a check is about: its method (as sent: methods are case-sensitive, and `get` is
/// not a read) and its URI (path and query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub method: String,
    pub uri: String,
}

impl Descriptions<'_> {
    /// G3: the request every description present names. A proxy also passes the client's own
    /// headers on (a client behind Traefik can add an `X-Original-URI` of its choosing), so two
    /// descriptions that disagree are refused, never resolved by a guess; and a convention whose
    /// check does not carry the original method (nginx, Traefik, Caddy) must name it.
    pub fn original(&self) -> Result<Described, &'static str> {
        let envoy_uri = (!self.after_prefix.is_empty()).then(|| match self.check_query {
            Some(q) => format!("{}?{q}", self.after_prefix),
            None => self.after_prefix.to_owned(),
        });
        let uris: Vec<&str> =
            [self.original_uri, self.forwarded_uri, envoy_uri.as_deref()].into_iter().flatten().collect();
        let Some(&uri) = uris.first() else {
            return Err(
                "the proxy did not say which request to authorize (X-Original-URI, X-Forwarded-Uri, or a path after /_keyward/authz)",
            );
        };
        let named: Vec<&str> = [self.original_method, self.forwarded_method].into_iter().flatten().collect();
        let method = match (named.first(), &envoy_uri) {
            (Some(m), _) => *m,
            (None, Some(_)) => self.check_method,
            (None, None) => {
                return Err("the proxy did not say the request's method (X-Original-Method or X-Forwarded-Method)");
            }
        };
        let agree = uris.iter().all(|u| *u == uri)
            && named.iter().all(|n| *n == method)
            && (envoy_uri.is_none() || method == self.check_method);
        if !agree {
            return Err("the proxy's descriptions of the request disagree");
        }
        Ok(Described { method: method.to_owned(), uri: uri.to_owned() })
    }
}

/// GET, HEAD and OPTIONS read; every other method writes.
pub fn is_read(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

impl Policy {
    /// The route `path` falls under, and its area's rules; `None` for a path under no route.
    pub fn route_for(&self, path: &str) -> Option<(&Route, &AreaRules)> {
        let route = self.routes.iter().find(|r| under(path, &r.prefix))?;
        Some((route, self.areas.get(&route.area)?))
    }

    /// G1 (A2 with the area's roles, A3 with `individual_keys`): whether a key of `kind` acting
    /// with `roles` may make a `method` request in `route`'s area.
    pub fn authorize(
        &self,
        route: &Route,
        rules: &AreaRules,
        kind: KeyKind,
        roles: RoleSet,
        method: &str,
    ) -> Result<(), Refusal> {
        if kind == KeyKind::Individual && !rules.individual_keys {
            return Err(Refusal::TeamKeysOnly { area: route.area.clone() });
        }
        let write = !is_read(method);
        let allowed = if write { rules.write } else { rules.read };
        if roles.intersects(allowed) { Ok(()) } else { Err(Refusal::NoAllowedRole { area: route.area.clone(), write }) }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn widgets() -> Draft {
        Draft {
            audience: Some("acme-api-v1".into()),
            upstream: Some("http://127.0.0.1:9000".into()),
            routes: vec![DraftRoute { prefix: "/widgets".into(), area: "widgets".into() }],
            areas: vec![DraftArea {
                name: "widgets".into(),
                read: vec!["ADMIN".into(), "APP_MANAGER".into(), "DEVELOPER".into()],
                write: vec!["ADMIN".into(), "APP_MANAGER".into()],
                individual_keys: Some(false),
                websockets: None,
            }],
        }
    }

    #[test]
    fn g1_a_route_takes_whole_segments_and_its_area_decides_by_method() {
        let policy = widgets().check().unwrap();
        assert_eq!(policy.audience, "acme-api-v1");
        let (route, rules) = policy.route_for("/widgets/1").unwrap();
        assert!(policy.route_for("/widgets").is_some());
        assert!(policy.route_for("/widgetsX").is_none(), "whole segments only");
        assert!(policy.route_for("/v1/apps").is_none());
        let dev = RoleSet::of(&[Role::Developer]);
        assert_eq!(policy.authorize(route, rules, KeyKind::Team, dev, "GET"), Ok(()));
        assert_eq!(policy.authorize(route, rules, KeyKind::Team, dev, "OPTIONS"), Ok(()));
        assert!(matches!(
            policy.authorize(route, rules, KeyKind::Team, dev, "DELETE"),
            Err(Refusal::NoAllowedRole { write: true, .. })
        ));
        let admin = RoleSet::of(&[Role::Admin]);
        assert_eq!(policy.authorize(route, rules, KeyKind::Team, admin, "POST"), Ok(()));
        assert!(matches!(
            policy.authorize(route, rules, KeyKind::Individual, admin, "GET"),
            Err(Refusal::TeamKeysOnly { .. })
        ));
    }

    #[test]
    fn g4_a_policy_is_checked_whole_and_every_problem_is_placed() {
        let mut draft = widgets();
        draft.upstream = Some("ftp://x".into());
        draft.areas[0].write.push("ADMINN".into());
        draft.areas[0].read.push("GENERATE_INDIVIDUAL_KEYS".into());
        draft.routes.push(DraftRoute { prefix: "/widgets/special".into(), area: "gadgets".into() });
        draft.routes.push(DraftRoute { prefix: "/teams/x".into(), area: "widgets".into() });
        draft.routes.push(DraftRoute { prefix: "/a/../b".into(), area: "widgets".into() });
        let problems = draft.check().unwrap_err();
        let places: Vec<&Place> = problems.iter().map(|p| &p.place).collect();
        assert!(places.contains(&&Place::Upstream), "{problems:?}");
        assert!(places.contains(&&Place::AreaRole { area: "widgets".into(), list: "write", index: 2 }));
        assert!(places.contains(&&Place::AreaRole { area: "widgets".into(), list: "read", index: 3 }), "a permission");
        assert!(places.contains(&&Place::RouteArea(1)), "unknown area");
        assert!(problems.iter().any(|p| p.place == Place::RoutePrefix(1) && p.reason.contains("overlaps")));
        assert!(
            problems.iter().any(|p| p.place == Place::RoutePrefix(2) && p.reason.contains("Keyward's own path /teams"))
        );
        assert!(problems.iter().any(|p| p.place == Place::RoutePrefix(3) && p.reason.contains("not a path prefix")));
    }

    #[test]
    fn g4_keywards_own_paths_stay_and_v1_may_be_claimed() {
        for own in ["/", "/healthz", "/_keyward", "/_keyward/authz", "/static/x", "/teams"] {
            let mut draft = widgets();
            draft.routes[0].prefix = own.into();
            assert!(draft.check().is_err(), "{own}");
        }
        let mut draft = widgets();
        draft.routes[0].prefix = "/v1/widgets".into();
        assert!(draft.check().is_ok(), "a path under /v1 may be routed");
        let mut draft = widgets();
        draft.upstream = None;
        draft.audience = None;
        assert_eq!(draft.check().unwrap().audience, DEFAULT_AUDIENCE, "forward auth alone, Apple's audience");
    }

    #[test]
    fn g1_paths_an_upstream_could_read_otherwise_are_refused() {
        for ok in
            ["/widgets", "/widgets/1", "/widgets/a.b", "/widgets/...", "/widgets/%20x", "/w;v=1/x", "/w/caf%C3%A9"]
        {
            assert_eq!(check_request_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "widgets",
            "/public/../widgets",
            "/public/./x",
            "/public/..;/widgets",
            "/public/%2e%2e/widgets",
            "/public/%2E./widgets",
            "/public%2fwidgets",
            "/public%5Cwidgets",
            "/public\\..\\widgets",
            "/a b",
            "/a%00",
            "/public/..",
            "/public/%u002e%u002e/widgets",
            "/public/%252e%252e/widgets",
            "/public/%c0%ae%c0%ae/widgets",
            "/public/..%3b/widgets",
            "/public/%EF%BC%8E%EF%BC%8E/widgets",
            "/public/\u{FF0E}\u{FF0E}/widgets",
            "/public/%",
            "/public/%4",
            "/public/\u{2025}/widgets",
            "/public/..\u{FE54}/widgets",
            "/public/\u{FF05}2e",
            "/public/%09",
            "/public/%7F",
        ] {
            assert!(check_request_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn g3_every_description_present_must_agree() {
        let nginx = Descriptions {
            check_method: "GET",
            original_method: Some("DELETE"),
            original_uri: Some("/widgets/1?x=1"),
            ..Descriptions::default()
        };
        assert_eq!(nginx.original(), Ok(Described { method: "DELETE".into(), uri: "/widgets/1?x=1".into() }));
        let envoy = Descriptions {
            check_method: "PUT",
            after_prefix: "/widgets/1",
            check_query: Some("a=b"),
            ..Descriptions::default()
        };
        assert_eq!(envoy.original(), Ok(Described { method: "PUT".into(), uri: "/widgets/1?a=b".into() }));
        let refused = [
            Descriptions { check_method: "GET", ..Descriptions::default() },
            Descriptions { check_method: "GET", original_uri: Some("/widgets/1"), ..Descriptions::default() },
            Descriptions { forwarded_uri: Some("/widgets/2"), forwarded_method: Some("GET"), ..nginx },
            Descriptions { forwarded_uri: Some("/widgets/1?x=1"), forwarded_method: Some("GET"), ..nginx },
            Descriptions { original_method: Some("GET"), ..envoy },
        ];
        for d in refused {
            assert!(d.original().is_err(), "{d:?}");
        }
    }

    #[test]
    fn routes_are_tried_longest_first() {
        let mut draft = widgets();
        draft.routes.push(DraftRoute { prefix: "/gadgets".into(), area: "widgets".into() });
        let policy = draft.check().unwrap();
        assert_eq!(policy.routes[0].prefix, "/widgets");
        assert_eq!(policy.route_for("/gadgets/7").unwrap().0.prefix, "/gadgets");
    }
}
