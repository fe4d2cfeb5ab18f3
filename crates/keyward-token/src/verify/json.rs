//! JSON objects that refuse duplicate member names (T2): `{"iss":"a","iss":"b"}` is ambiguous, and
//! parsers disagree on which value wins, so such a token is refused outright.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

pub(crate) struct StrictObject(pub Map<String, Value>);

pub(crate) enum ObjectError {
    NotObject,
    Duplicate(String),
}

pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ObjectError> {
    match serde_json::from_slice::<StrictObject>(bytes) {
        Ok(o) => Ok(o.0),
        Err(e) => {
            let msg = e.to_string();
            match msg.strip_prefix("duplicate member ") {
                Some(rest) => Err(ObjectError::Duplicate(
                    rest.split(" at line").next().unwrap_or(rest).trim_matches('"').to_owned(),
                )),
                None => Err(ObjectError::NotObject),
            }
        }
    }
}

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrictObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictObject, A::Error> {
                let mut map = Map::new();
                while let Some(key) = access.next_key::<String>()? {
                    if map.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!("duplicate member \"{key}\"")));
                    }
                    let value: Value = access.next_value()?;
                    map.insert(key, value);
                }
                Ok(StrictObject(map))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t2_duplicate_members_are_refused() {
        assert!(parse_object(br#"{"a":1,"b":2}"#).is_ok());
        assert!(matches!(parse_object(br#"{"a":1,"a":2}"#), Err(ObjectError::Duplicate(name)) if name == "a"));
        assert!(matches!(parse_object(b"[1]"), Err(ObjectError::NotObject)));
        assert!(matches!(parse_object(b"{\"a\":1} x"), Err(ObjectError::NotObject)));
    }
}
