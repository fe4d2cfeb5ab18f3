//! Query parameters. Each endpoint lists what it accepts; an unknown parameter, filter or value is
//! a 400 `PARAMETER_ERROR.INVALID` whose `source.parameter` names it.

use std::collections::BTreeMap;

use keyward_core::ids::AppId;
use keyward_core::paging::Keyset;
use keyward_core::role::Role;

use super::cursor;
use crate::error::ApiError;

/// Percent-decoding of query components (`+` is a space, as form encoding has it).
pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3).unwrap_or_default())
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encoding for links we build.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The most values one list parameter (`filter[id]`, `filter[visibleApps]`, `fields[…]`, …) may
/// carry. Beyond it the answer is a 400 naming the parameter: queries stay far below the
/// database's parameter limits, and no single request runs a query of unbounded size.
pub(crate) const MAX_LIST_VALUES: usize = 100;

#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    values: BTreeMap<String, String>,
}

impl Params {
    /// Parses `query`, refusing names outside `allowed` and repeated names.
    pub fn parse(query: Option<&str>, allowed: &[&str]) -> Result<Params, ApiError> {
        let mut values = BTreeMap::new();
        for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, value) = (decode(k), decode(v));
            if !allowed.contains(&name.as_str()) {
                let detail = match name.strip_prefix("filter[").and_then(|n| n.strip_suffix(']')) {
                    Some(filter) => format!("'{filter}' is not a valid filter type"),
                    None => format!("The parameter '{name}' can not be used with this request"),
                };
                return Err(ApiError::parameter(&name, detail));
            }
            if values.insert(name.clone(), value).is_some() {
                return Err(ApiError::parameter(&name, format!("The parameter '{name}' was given more than once")));
            }
        }
        Ok(Params { values })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A comma-separated list; an empty entry is refused.
    /// A comma-separated list of at most [`MAX_LIST_VALUES`] values.
    pub fn list(&self, name: &str) -> Result<Vec<String>, ApiError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(v) => {
                if v.split(',').count() > MAX_LIST_VALUES {
                    return Err(ApiError::parameter(
                        name,
                        format!("'{name}' takes at most {MAX_LIST_VALUES} comma-separated values"),
                    ));
                }
                let items: Vec<String> = v.split(',').map(|s| s.trim().to_owned()).collect();
                if items.iter().any(String::is_empty) {
                    return Err(ApiError::parameter(name, format!("'{v}' is not a valid value for '{name}'")));
                }
                Ok(items)
            }
        }
    }

    /// `limit` (or `limit[rel]`): 1..=max, `default` when absent.
    pub fn limit(&self, name: &str, default: u32, max: u32) -> Result<u32, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse::<u32>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                ApiError::parameter(
                    name,
                    format!("'{v}' is not a valid value for '{name}'; it must be an integer between 1 and {max}"),
                )
            }),
        }
    }

    pub fn cursor(&self) -> Result<Option<Keyset>, ApiError> {
        self.get("cursor").map(cursor::decode).transpose()
    }

    /// `sort`: one of `allowed`, optionally prefixed with `-` (descending).
    pub fn sort<'a>(&self, allowed: &[&'a str]) -> Result<Option<(&'a str, bool)>, ApiError> {
        let Some(v) = self.get("sort") else { return Ok(None) };
        let (descending, key) = match v.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, v),
        };
        allowed.iter().find(|a| **a == key).map(|a| Some((*a, descending))).ok_or_else(|| {
            ApiError::parameter("sort", format!("'{v}' is not a valid sort; use one of {}", allowed.join(", ")))
        })
    }

    pub fn roles(&self, name: &str) -> Result<Vec<Role>, ApiError> {
        self.list(name)?
            .iter()
            .map(|r| {
                r.parse::<Role>()
                    .map_err(|_| ApiError::parameter(name, format!("'{r}' is not a valid value for '{name}'")))
            })
            .collect()
    }

    pub fn app_ids(&self, name: &str) -> Result<Vec<AppId>, ApiError> {
        self.list(name)?
            .iter()
            .map(|a| {
                a.parse::<AppId>()
                    .map_err(|_| ApiError::parameter(name, format!("'{a}' is not a valid value for '{name}'")))
            })
            .collect()
    }

    /// `fields[type]`: each name must be one of `allowed`. `None` when absent (all fields).
    pub fn fields(&self, name: &str, allowed: &[&str]) -> Result<Option<Vec<String>>, ApiError> {
        if self.get(name).is_none() {
            return Ok(None);
        }
        let items = self.list(name)?;
        for f in &items {
            if !allowed.contains(&f.as_str()) {
                return Err(ApiError::parameter(name, format!("'{f}' is not a valid field name for '{name}'")));
            }
        }
        Ok(Some(items))
    }

    /// The query string for a link: every parameter but `cursor`, then the cursor if given.
    pub fn link_query(&self, cursor: Option<&str>) -> String {
        let mut parts: Vec<String> = self
            .values
            .iter()
            .filter(|(k, _)| k.as_str() != "cursor")
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", encode(c)));
        }
        parts.join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_parameters_and_filters_are_named() {
        let e = Params::parse(Some("filter[emaill]=x"), &["filter[email]"]).err().map(|e| e.detail);
        assert_eq!(e.flatten().as_deref(), Some("'emaill' is not a valid filter type"));
        assert!(Params::parse(Some("limit=5&limit=6"), &["limit"]).is_err());
        let p =
            Params::parse(Some("filter%5Bemail%5D=a%40b.test&limit=5"), &["filter[email]", "limit"]).expect("valid");
        assert_eq!(p.get("filter[email]"), Some("a@b.test"));
        assert_eq!(p.limit("limit", 50, 200).ok(), Some(5));
        assert!(Params::parse(Some("limit=201"), &["limit"]).and_then(|p| p.limit("limit", 50, 200)).is_err());
    }

    #[test]
    fn sort_and_fields_are_checked() {
        let p = Params::parse(Some("sort=-lastName&fields[users]=username,bogus"), &["sort", "fields[users]"])
            .expect("valid");
        assert_eq!(p.sort(&["username", "lastName"]).ok().flatten(), Some(("lastName", true)));
        assert!(p.fields("fields[users]", &["username"]).is_err());
    }
}
