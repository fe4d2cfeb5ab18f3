//! Identifiers. Each is its own type so a member ID can never be passed where a team ID is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::DomainError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random (v4) identifier.
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }

            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            /// Lowercase hyphenated form, as Apple prints Issuer IDs and user IDs.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0.as_hyphenated())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.as_hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = DomainError;

            /// Accepts only the hyphenated `8-4-4-4-12` form, in either case.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if s.len() != 36 {
                    return Err(DomainError::InvalidId { kind: stringify!($name), value: s.to_owned() });
                }
                Uuid::try_parse(s)
                    .map(Self)
                    .map_err(|_| DomainError::InvalidId { kind: stringify!($name), value: s.to_owned() })
            }
        }
    };
}

uuid_id!(
    /// Internal identifier of a team.
    TeamId
);
uuid_id!(
    /// A team's Issuer ID: the `iss` claim of its team-key tokens.
    IssuerId
);
uuid_id!(
    /// A login identity; one person may be a member of several teams.
    PersonId
);
uuid_id!(
    /// A person's membership of one team; Apple's `users` resource ID.
    MemberId
);
uuid_id!(
    /// A pending invitation to join a team; Apple's `userInvitations` resource ID.
    InvitationId
);

/// An app's ID: numeric, served as a string as Apple does (`"1234567890"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppId(pub i64);

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for AppId {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || DomainError::InvalidId { kind: "AppId", value: s.to_owned() };
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        s.parse::<i64>().ok().filter(|n| *n > 0).map(AppId).ok_or_else(invalid)
    }
}

/// K8: a Key ID is 10 characters from `A-Z0-9`. Generation (randomness) lives in `keyward-token`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(String);

impl KeyId {
    pub const LEN: usize = 10;
    pub const ALPHABET: &'static [u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// K8: validates the shape of a Key ID.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        if s.len() == Self::LEN && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(DomainError::InvalidId { kind: "KeyId", value: s.to_owned() })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The file name Apple uses for the single download (K9).
    pub fn file_name(&self) -> String {
        format!("AuthKey_{}.p8", self.0)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

impl FromStr for KeyId {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for KeyId {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<KeyId> for String {
    fn from(k: KeyId) -> String {
        k.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k8_key_id_accepts_ten_uppercase_alphanumerics() {
        assert!(KeyId::parse("2X9R4HXF34").is_ok());
        assert_eq!(KeyId::parse("2X9R4HXF34").map(|k| k.file_name()).ok(), Some("AuthKey_2X9R4HXF34.p8".into()));
    }

    #[test]
    fn k8_key_id_rejects_other_shapes() {
        for bad in ["", "2X9R4HXF3", "2X9R4HXF345", "2x9r4hxf34", "2X9R4HXF3-", "ÄX9R4HXF34"] {
            assert!(KeyId::parse(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn issuer_id_prints_lowercase_and_parses_either_case() {
        let id: IssuerId = "57246542-96FE-1A63-E053-0824D011072A".parse().expect("valid");
        assert_eq!(id.to_string(), "57246542-96fe-1a63-e053-0824d011072a");
        assert!("5724654296fe1a63e0530824d011072a".parse::<IssuerId>().is_err());
    }

    #[test]
    fn app_id_is_a_positive_number() {
        assert_eq!("1234567890".parse::<AppId>().ok(), Some(AppId(1234567890)));
        for bad in ["", "0", "-1", "12a", "99999999999999999999"] {
            assert!(bad.parse::<AppId>().is_err(), "{bad:?} must be refused");
        }
    }
}
