//! Reading a gateway policy file (spec section 10): TOML into `keyward_core::gateway::Draft`,
//! keeping where every value stands, so that each problem the rules find is reported with the line
//! it is on (G4: refused at start, whole, naming the line and the reason).

use std::collections::BTreeMap;
use std::ops::Range;

use keyward_core::gateway::{Draft, DraftArea, DraftRoute, Place, Policy};
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    audience: Option<Spanned<String>>,
    upstream: Option<Spanned<String>>,
    #[serde(default)]
    routes: Vec<RawRoute>,
    #[serde(default)]
    areas: BTreeMap<String, Spanned<RawArea>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    prefix: Spanned<String>,
    area: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    #[serde(default)]
    read: Vec<Spanned<String>>,
    #[serde(default)]
    write: Vec<Spanned<String>>,
    individual_keys: Option<bool>,
    websockets: Option<bool>,
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |before| before.matches('\n').count() + 1)
}

impl RawPolicy {
    /// Where a problem's place stands in the file.
    fn span(&self, place: &Place) -> Option<Range<usize>> {
        match place {
            Place::Audience => self.audience.as_ref().map(Spanned::span),
            Place::Upstream => self.upstream.as_ref().map(Spanned::span),
            Place::RoutePrefix(i) => self.routes.get(*i).map(|r| r.prefix.span()),
            Place::RouteArea(i) => self.routes.get(*i).map(|r| r.area.span()),
            Place::Area(name) => self.areas.get(name).map(Spanned::span),
            Place::AreaRole { area, list, index } => {
                let a = self.areas.get(area)?.get_ref();
                let roles = if *list == "read" { &a.read } else { &a.write };
                roles.get(*index).map(Spanned::span)
            }
        }
    }

    fn draft(&self) -> Draft {
        Draft {
            audience: self.audience.as_ref().map(|a| a.get_ref().clone()),
            upstream: self.upstream.as_ref().map(|u| u.get_ref().clone()),
            routes: self
                .routes
                .iter()
                .map(|r| DraftRoute { prefix: r.prefix.get_ref().clone(), area: r.area.get_ref().clone() })
                .collect(),
            areas: self
                .areas
                .iter()
                .map(|(name, a)| {
                    let a = a.get_ref();
                    let names = |v: &[Spanned<String>]| v.iter().map(|s| s.get_ref().clone()).collect();
                    DraftArea {
                        name: name.clone(),
                        read: names(&a.read),
                        write: names(&a.write),
                        individual_keys: a.individual_keys,
                        websockets: a.websockets,
                    }
                })
                .collect(),
        }
    }
}

/// Reads and checks the policy in `text` (from `file`). On refusal, one line per problem:
/// `policy.toml:12: unknown role 'ADMINN' …`.
pub fn parse(file: &str, text: &str) -> Result<Policy, String> {
    let raw: RawPolicy = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        format!("{file}:{line}: {}", e.message().trim())
    })?;
    raw.draft().check().map_err(|problems| {
        problems
            .iter()
            .map(|p| {
                let line = raw.span(&p.place).map_or(1, |s| line_of(text, s.start));
                format!("{file}:{line}: {}", p.reason)
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// `serve --policy FILE [--upstream URL]`: the policy read and checked at start (G4), with
/// `upstream` (the flag or setting) in place of the file's own, checked by the same rule.
pub fn load(path: &std::path::Path, upstream: Option<&str>) -> Result<Policy, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the policy {name}: {e}"))?;
    let mut policy = parse(&name, &text)?;
    if let Some(url) = upstream {
        keyward_core::gateway::check_upstream(url).map_err(|reason| format!("upstream: {reason}"))?;
        policy.upstream = Some(url.to_owned());
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str = r#"audience = "acme-api-v1"              # T6 for these routes
upstream = "http://127.0.0.1:9000"    # optional; --upstream overrides

[[routes]]
prefix = "/widgets"
area = "widgets"

[areas.widgets]
read = ["ADMIN", "APP_MANAGER", "DEVELOPER"]   # GET, HEAD, OPTIONS
write = ["ADMIN", "APP_MANAGER"]               # every other method
individual_keys = true
"#;

    #[test]
    fn g4_the_spec_example_is_a_policy() {
        let policy = parse("policy.toml", SPEC_EXAMPLE).expect("valid");
        assert_eq!(policy.audience, "acme-api-v1");
        assert_eq!(policy.upstream.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(policy.route_for("/widgets/1").is_some());
    }

    #[test]
    fn g4_every_problem_is_named_with_its_line() {
        let text =
            SPEC_EXAMPLE.replace(r#"write = ["ADMIN", "APP_MANAGER"]"#, r#"write = ["ADMIN", "APP_MANAGR"]"#).replace(
                r#"area = "widgets""#,
                "area = \"widgets\"\n\n[[routes]]\nprefix = \"/healthz\"\narea = \"gizmos\"",
            );
        let err = parse("policy.toml", &text).expect_err("refused");
        let lines: Vec<&str> = err.lines().collect();
        assert!(
            lines.contains(&"policy.toml:14: unknown role 'APP_MANAGR' (Apple's roles, such as ADMIN or DEVELOPER)"),
            "{err}"
        );
        assert!(lines.iter().any(|l| l.starts_with("policy.toml:9: '/healthz' would take over")), "{err}");
        assert!(lines.iter().any(|l| l.starts_with("policy.toml:10: unknown area 'gizmos'")), "{err}");
    }

    #[test]
    fn g4_unknown_keys_and_bad_toml_are_named_with_their_line() {
        let err = parse("p.toml", &SPEC_EXAMPLE.replace("individual_keys = true", "individual_key = true"))
            .expect_err("refused");
        assert!(err.starts_with("p.toml:") && err.contains("individual_key"), "{err}");
        let err = parse("p.toml", "audience = \"a\"\n[[routes]\n").expect_err("refused");
        assert!(err.starts_with("p.toml:2:"), "{err}");
    }
}
