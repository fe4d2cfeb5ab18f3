//! The committed copy of Apple's document, and `$ref` lookups in it.

use std::io::Read;

use serde_json::Value;

/// Apple's OpenAPI document 4.4.1, minified and gzipped (130 kB; 2.8 MB as JSON).
const GZIPPED: &[u8] = include_bytes!("../document/app-store-connect-api-4.4.1.json.gz");

/// The parsed document.
#[derive(Debug)]
pub struct Document {
    root: Value,
}

impl Document {
    /// The committed document. It is part of the build: failing to read it is a bug, reported as
    /// an error so the server can refuse to start with a message rather than panic.
    pub fn embedded() -> Result<Document, String> {
        let mut json = Vec::with_capacity(3 << 20);
        flate2::read::GzDecoder::new(GZIPPED)
            .read_to_end(&mut json)
            .map_err(|e| format!("the embedded App Store Connect document does not decompress: {e}"))?;
        Document::from_slice(&json)
    }

    /// A document from JSON text (tests use small ones).
    pub fn from_slice(json: &[u8]) -> Result<Document, String> {
        let root = serde_json::from_slice(json).map_err(|e| format!("the OpenAPI document is not JSON: {e}"))?;
        Ok(Document { root })
    }

    /// The JSON text of the committed document, as `GET /openapi.json` serves it.
    pub fn gzipped() -> &'static [u8] {
        GZIPPED
    }

    pub fn root(&self) -> &Value {
        &self.root
    }

    pub fn version(&self) -> &str {
        self.root.pointer("/info/version").and_then(Value::as_str).unwrap_or("")
    }

    /// The schema a `$ref` (`#/components/schemas/Name`) names.
    pub fn schema(&self, reference: &str) -> Option<&Value> {
        let name = reference.strip_prefix("#/components/schemas/")?;
        self.root.get("components")?.get("schemas")?.get(name)
    }

    /// `value` itself, or what its `$ref` names (one level; schemas refer to schemas by name).
    pub fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(r) => self.schema(r).unwrap_or(value),
            None => value,
        }
    }
}

/// The name of the schema a `$ref` names.
pub(crate) fn ref_name(value: &Value) -> Option<&str> {
    value.get("$ref")?.as_str()?.strip_prefix("#/components/schemas/")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_committed_document_is_apples_4_4_1() {
        let doc = Document::embedded().unwrap();
        assert_eq!(doc.version(), "4.4.1");
        assert_eq!(doc.root()["paths"].as_object().unwrap().len(), 966);
        assert!(doc.schema("#/components/schemas/BetaGroup").is_some());
    }
}
