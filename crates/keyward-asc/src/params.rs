//! Query parameters as each operation of the document lists them (R3): anything else, a value
//! outside an enum, a `limit` above its maximum, a repeated parameter or a missing required one
//! is a [`ParamError`] naming the parameter, which the server answers 400
//! `PARAMETER_ERROR.INVALID`.

use std::collections::BTreeMap;

use crate::operation::{Operation, Param};

/// The most values one list parameter may carry (`filter[id]=a,b,…`).
pub const MAX_LIST_VALUES: usize = 100;
/// Apple's default page size, where the document gives none.
pub const DEFAULT_LIMIT: u64 = 50;

/// A sort key: `-name` is `name` descending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    pub field: String,
    pub descending: bool,
}

/// A request's query, checked against its operation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// `filter[field]=a,b`: the field and the values any of which matches.
    pub filters: Vec<(String, Vec<String>)>,
    /// `exists[field]=true|false`.
    pub exists: Vec<(String, bool)>,
    pub sort: Vec<Sort>,
    /// `fields[type]=a,b`.
    pub fields: BTreeMap<String, Vec<String>>,
    pub include: Vec<String>,
    /// The page size: `limit`, or the default for lists.
    pub limit: u64,
    /// `limit[relationship]`: how many of an included relationship.
    pub limits: BTreeMap<String, u64>,
    pub cursor: Option<String>,
    /// Operation-specific parameters (`granularity`, `groupBy`, `period`).
    pub other: BTreeMap<String, Vec<String>>,
}

/// A parameter the operation does not take, or a value it does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct ParamError {
    /// The parameter, for `source.parameter`.
    pub parameter: String,
    pub detail: String,
}

fn error(parameter: &str, detail: String) -> ParamError {
    ParamError { parameter: parameter.to_owned(), detail }
}

/// Percent-decoding of a query component (`+` is a space, as form encoding has it).
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%')
            .then(|| std::str::from_utf8(bytes.get(i + 1..i + 3).unwrap_or_default()).ok())
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (_, Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (b, None) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `name[inner]` → `(name, inner)`.
fn bracketed(name: &str) -> Option<(&str, &str)> {
    let (head, rest) = name.split_once('[')?;
    Some((head, rest.strip_suffix(']')?))
}

impl Query {
    /// Reads `query` for `operation`.
    pub fn parse(operation: &Operation, query: Option<&str>) -> Result<Query, ParamError> {
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(k);
            if seen.insert(name.clone(), decode(v)).is_some() {
                return Err(error(&name, format!("The parameter '{name}' was given more than once")));
            }
        }
        let mut q = Query { limit: DEFAULT_LIMIT, ..Query::default() };
        for param in operation.params.iter().filter(|p| p.required) {
            if !seen.contains_key(&param.name) {
                return Err(error(&param.name, format!("The parameter '{}' is required", param.name)));
            }
        }
        for (name, value) in seen {
            if name == "cursor" && operation.kind.is_list() {
                if value.is_empty() || value.len() > 512 {
                    return Err(error("cursor", format!("'{value}' is not a valid cursor for this request")));
                }
                q.cursor = Some(value);
                continue;
            }
            let Some(param) = operation.params.iter().find(|p| p.name == name) else {
                let detail = match bracketed(&name) {
                    Some(("filter", field)) => format!("'{field}' is not a valid filter type"),
                    _ => format!("The parameter '{name}' can not be used with this request"),
                };
                return Err(error(&name, detail));
            };
            q.take(param, &name, value)?;
        }
        Ok(q)
    }

    fn take(&mut self, param: &Param, name: &str, value: String) -> Result<(), ParamError> {
        let invalid = || error(name, format!("'{value}' is not a valid value for '{name}'"));
        if let Some(max) = param.maximum {
            let n = value.parse::<u64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                error(
                    name,
                    format!("'{value}' is not a valid value for '{name}'; it must be an integer between 1 and {max}"),
                )
            })?;
            match bracketed(name) {
                Some((_, rel)) => {
                    self.limits.insert(rel.to_owned(), n);
                }
                None => self.limit = n,
            }
            return Ok(());
        }
        if param.boolean {
            let b = match value.as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(invalid()),
            };
            if let Some(("exists", field)) = bracketed(name) {
                self.exists.push((field.to_owned(), b));
            }
            return Ok(());
        }
        let items: Vec<String> = if param.list {
            if value.split(',').count() > MAX_LIST_VALUES {
                return Err(error(name, format!("'{name}' takes at most {MAX_LIST_VALUES} comma-separated values")));
            }
            value.split(',').map(str::to_owned).collect()
        } else {
            vec![value.clone()]
        };
        if items.iter().any(String::is_empty) {
            return Err(invalid());
        }
        if let Some(allowed) = &param.values
            && let Some(bad) = items.iter().find(|i| !allowed.contains(i))
        {
            return Err(error(name, format!("'{bad}' is not a valid value for '{name}'")));
        }
        match (name, bracketed(name)) {
            ("sort", _) => {
                self.sort = items
                    .into_iter()
                    .map(|i| match i.strip_prefix('-') {
                        Some(f) => Sort { field: f.to_owned(), descending: true },
                        None => Sort { field: i, descending: false },
                    })
                    .collect();
            }
            ("include", _) => self.include = items,
            (_, Some(("filter", field))) => self.filters.push((field.to_owned(), items)),
            (_, Some(("fields", kind))) => {
                self.fields.insert(kind.to_owned(), items);
            }
            _ => {
                self.other.insert(name.to_owned(), items);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::operation::{Method, OpKind};

    fn op(kind: OpKind, params: Vec<Param>) -> Operation {
        Operation {
            id: "x".into(),
            method: Method::Get,
            path: "/v1/x".into(),
            kind,
            family: "x".into(),
            relationship: None,
            resource: None,
            response: None,
            request: None,
            params,
        }
    }

    fn param(name: &str, values: Option<&[&str]>, maximum: Option<u64>) -> Param {
        Param {
            name: name.into(),
            values: values.map(|v| v.iter().map(|s| (*s).to_owned()).collect()),
            maximum,
            required: false,
            boolean: name.starts_with("exists["),
            list: maximum.is_none() && !name.starts_with("exists["),
        }
    }

    #[test]
    fn r3_listed_parameters_are_read_and_everything_else_named() {
        let o = op(
            OpKind::GetCollection,
            vec![
                param("filter[name]", None, None),
                param("sort", Some(&["name", "-name"]), None),
                param("fields[betaGroups]", Some(&["name", "app"]), None),
                param("limit", None, Some(200)),
                param("exists[app]", None, None),
            ],
        );
        let q = Query::parse(
            &o,
            Some("filter%5Bname%5D=a,b&sort=-name&fields[betaGroups]=name&limit=5&cursor=abc&exists[app]=true"),
        )
        .unwrap();
        assert_eq!(q.filters, vec![("name".to_owned(), vec!["a".to_owned(), "b".to_owned()])]);
        assert_eq!(q.sort, vec![Sort { field: "name".into(), descending: true }]);
        assert_eq!(q.fields["betaGroups"], vec!["name".to_owned()]);
        assert_eq!((q.limit, q.cursor.as_deref()), (5, Some("abc")));
        assert_eq!(q.exists, vec![("app".to_owned(), true)]);
        assert_eq!(Query::parse(&o, None).unwrap().limit, DEFAULT_LIMIT);
        let refused = |query: &str| Query::parse(&o, Some(query)).unwrap_err();
        assert_eq!(refused("filter[emaill]=x").detail, "'emaill' is not a valid filter type");
        assert_eq!(refused("filter[emaill]=x").parameter, "filter[emaill]");
        assert_eq!(refused("sort=age").parameter, "sort");
        assert_eq!(refused("limit=201").parameter, "limit");
        assert_eq!(refused("limit=0").parameter, "limit");
        assert_eq!(refused("fields[betaGroups]=secret").parameter, "fields[betaGroups]");
        assert_eq!(refused("exists[app]=yes").parameter, "exists[app]");
        assert_eq!(refused("sort=name&sort=name").parameter, "sort");
        assert_eq!(refused("filter[name]=a,,b").parameter, "filter[name]");
        let instance = op(OpKind::GetInstance, vec![]);
        assert_eq!(Query::parse(&instance, Some("cursor=x")).unwrap_err().parameter, "cursor");
    }

    #[test]
    fn r3_a_required_parameter_must_be_given() {
        let mut required = param("filter[frequency]", Some(&["DAILY"]), None);
        required.required = true;
        let o = op(OpKind::GetCollection, vec![required]);
        assert_eq!(Query::parse(&o, None).unwrap_err().parameter, "filter[frequency]");
        assert!(Query::parse(&o, Some("filter[frequency]=DAILY")).is_ok());
    }
}
