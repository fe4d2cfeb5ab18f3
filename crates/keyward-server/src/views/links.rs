//! Links written straight into a response from the request's base URL and a few pieces, escaped
//! as they are written: no string is built per link. An app carries 64 of them, and building each
//! as a `String` in a `serde_json::Value` map was half the cost of `GET /v1/apps` (#13).

use std::fmt::{self, Display};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::BaseUrl;

/// `base` followed by `pieces`.
pub(crate) struct Url<'a> {
    pub base: &'a BaseUrl,
    pub pieces: &'a [&'a dyn Display],
}

impl Display for Url<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base.0)?;
        self.pieces.iter().try_for_each(|p| p.fmt(f))
    }
}

impl Serialize for Url<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `{"self": url}`.
pub(crate) struct SelfLink<'a>(pub Url<'a>);

impl Serialize for SelfLink<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut links = s.serialize_map(Some(1))?;
        links.serialize_entry("self", &self.0)?;
        links.end()
    }
}

/// `{"links":{"related":…,"self":…}}`: a relationship that is listed but not included.
pub(crate) struct RelationshipLinks<'a> {
    pub base: &'a BaseUrl,
    /// The resource's own path, such as `/v1/apps/123`.
    pub path: &'a dyn Display,
    pub name: &'a str,
}

impl Serialize for RelationshipLinks<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut outer = s.serialize_map(Some(1))?;
        outer.serialize_entry("links", &Links(self))?;
        outer.end()
    }
}

struct Links<'a>(&'a RelationshipLinks<'a>);

impl Serialize for Links<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut links = s.serialize_map(Some(2))?;
        links.serialize_entry("related", &Url { base: r.base, pieces: &[r.path, &"/", &r.name] })?;
        links.serialize_entry("self", &Url { base: r.base, pieces: &[r.path, &"/relationships/", &r.name] })?;
        links.end()
    }
}
