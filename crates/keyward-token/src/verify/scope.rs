//! Token scopes (T11, T12): `"METHOD /path[?query]"` entries that pin a token to requests.

use std::collections::BTreeSet;

/// Resources whose GET-only scopes allow tokens of up to 180 days (T11, Apple's list).
pub const LONG_LIVED_RESOURCES: [&str; 14] = [
    "ciBuildActions",
    "ciBuildRuns",
    "ciIssues",
    "ciMacOsVersions",
    "ciProducts",
    "ciTestResults",
    "ciWorkflows",
    "ciXcodeVersions",
    "scmGitReferences",
    "scmProviders",
    "scmPullRequests",
    "scmRepositories",
    "perfPowerMetrics",
    "diagnosticSignatures",
];

/// One parsed scope entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeEntry {
    method: String,
    /// Decoded bytes: two paths compare equal exactly when they decode to the same bytes.
    path: Vec<u8>,
    query: BTreeSet<(String, String)>,
}

/// The request a token is presented with.
#[derive(Debug, Clone, Copy)]
pub struct RequestTarget<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
}

impl RequestTarget<'_> {
    pub fn describe(&self) -> String {
        match self.query {
            Some(q) if !q.is_empty() => format!("{} {}?{q}", self.method, self.path),
            _ => format!("{} {}", self.method, self.path),
        }
    }
}

/// Parameters ignored on both sides when matching (T12).
fn ignored(name: &str) -> bool {
    matches!(name, "limit" | "cursor" | "sort") || name.starts_with("fields[") || name.starts_with("limit[")
}

/// Percent-decodes; in a query `+` is a space, in a path it is itself (T12: paths an upstream tells
/// apart, `a+b` and `a b`, never compare equal).
fn percent_decode(s: &str, plus_is_space: bool) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(if plus_is_space && bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    out
}

/// Percent-decodes what clients encode in query names and values (brackets, commas, …).
fn decode(s: &str) -> String {
    String::from_utf8_lossy(&percent_decode(s, true)).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

pub(crate) fn query_set(query: Option<&str>) -> BTreeSet<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .filter(|(k, _)| !ignored(k))
        .collect()
}

impl ScopeEntry {
    pub fn parse(entry: &str) -> Result<ScopeEntry, String> {
        let (method, target) = entry.split_once(' ').ok_or_else(|| format!("'{entry}' is not \"METHOD /path\""))?;
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!("'{method}' is not an HTTP method"));
        }
        if !target.starts_with('/') || target.contains(' ') {
            return Err(format!("'{target}' is not a path"));
        }
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        Ok(ScopeEntry { method: method.to_owned(), path: percent_decode(path, false), query: query_set(query) })
    }

    pub fn matches(&self, target: &RequestTarget<'_>) -> bool {
        self.method == target.method
            && self.path == percent_decode(target.path, false)
            && self.query == query_set(target.query)
    }

    /// T11: a GET of a resource on Apple's long-lived list, under `/v1` (a gateway route's
    /// `/widgets/ciProducts` is no such resource).
    pub fn allows_long_lived(&self) -> bool {
        let path = std::str::from_utf8(&self.path).unwrap_or_default();
        let resource = path.strip_prefix("/v1/").and_then(|rest| rest.split('/').next()).unwrap_or_default();
        self.method == "GET" && LONG_LIVED_RESOURCES.contains(&resource)
    }
}

/// A token's scope: at least one entry must match the request (T12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope(pub Vec<ScopeEntry>);

impl Scope {
    /// Roughly the heap this scope holds, for the token cache's byte bound.
    pub fn approx_bytes(&self) -> usize {
        self.0
            .iter()
            .map(|e| {
                64 + e.method.len() + e.path.len() + e.query.iter().map(|(k, v)| 48 + k.len() + v.len()).sum::<usize>()
            })
            .sum()
    }
}

impl Scope {
    pub fn allows(&self, target: &RequestTarget<'_>) -> bool {
        self.0.iter().any(|e| e.matches(target))
    }

    /// T11: 180-day tokens only when every entry is a GET of a long-lived resource.
    pub fn allows_long_lived(&self) -> bool {
        !self.0.is_empty() && self.0.iter().all(ScopeEntry::allows_long_lived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t<'a>(method: &'a str, path: &'a str, query: Option<&'a str>) -> RequestTarget<'a> {
        RequestTarget { method, path, query }
    }

    #[test]
    fn t12_same_method_path_and_query_set() {
        let e = ScopeEntry::parse("GET /v1/apps?filter[bundleId]=com.a&include=builds").expect("valid");
        assert!(e.matches(&t("GET", "/v1/apps", Some("include=builds&filter%5BbundleId%5D=com.a"))));
        assert!(e.matches(&t(
            "GET",
            "/v1/apps",
            Some("include=builds&filter[bundleId]=com.a&limit=5&cursor=x&fields[apps]=name")
        )));
        assert!(!e.matches(&t("GET", "/v1/apps", Some("include=builds"))));
        assert!(!e.matches(&t("POST", "/v1/apps", Some("include=builds&filter[bundleId]=com.a"))));
        assert!(!e.matches(&t("GET", "/v1/apps/1", None)));
    }

    #[test]
    fn t12_malformed_entries_are_refused() {
        for bad in ["GET", "get /v1/apps", "GET v1/apps", "GET /v1/a b", ""] {
            assert!(ScopeEntry::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn t11_long_lived_only_for_gets_of_listed_resources() {
        let ok = Scope(vec![
            ScopeEntry::parse("GET /v1/ciProducts").expect("valid"),
            ScopeEntry::parse("GET /v1/scmRepositories/1").expect("valid"),
        ]);
        assert!(ok.allows_long_lived());
        let post = Scope(vec![ScopeEntry::parse("POST /v1/ciBuildRuns").expect("valid")]);
        assert!(!post.allows_long_lived());
        let apps = Scope(vec![ScopeEntry::parse("GET /v1/apps").expect("valid")]);
        assert!(!apps.allows_long_lived());
        let gateway = Scope(vec![ScopeEntry::parse("GET /widgets/ciProducts").expect("valid")]);
        assert!(!gateway.allows_long_lived(), "only Apple's resources, under /v1");
    }

    #[test]
    fn t12_paths_an_upstream_tells_apart_never_match() {
        let plus = ScopeEntry::parse("GET /files/a+b").expect("valid");
        assert!(plus.matches(&t("GET", "/files/a+b", None)));
        assert!(plus.matches(&t("GET", "/files/a%2Bb", None)), "the same path, encoded");
        assert!(!plus.matches(&t("GET", "/files/a%20b", None)), "+ is no space in a path");
        let binary = ScopeEntry::parse("GET /files/%FF").expect("valid");
        assert!(binary.matches(&t("GET", "/files/%FF", None)));
        assert!(!binary.matches(&t("GET", "/files/%FE", None)), "another byte");
        assert!(!binary.matches(&t("GET", "/files/%25FF", None)), "the text %FF is not the byte");
    }
}
