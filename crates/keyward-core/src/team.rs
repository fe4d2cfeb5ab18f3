//! Teams (Apple: an organization's account) and the people in them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::DomainError;
use crate::access::AccessState;
use crate::ids::{IssuerId, PersonId, TeamId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub issuer_id: IssuerId,
    pub name: String,
    pub access: AccessState,
    /// L1: per-team override of the hourly request budget.
    pub rate_limit_per_hour: Option<u32>,
    /// X3: new keys live at most this many days (`None`: no cap).
    #[serde(default)]
    pub max_key_lifetime_days: Option<u32>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A login identity. The password hash is not part of this type: it never leaves storage except
/// to be verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_operator: bool,
}

/// The team's 10-character Team ID (spec F1), as Apple prints it in certificates, profiles and
/// bundle IDs' `seedId`: upper-case letters and digits, derived from the team's ID so that it
/// never changes and needs no column.
pub fn team_identifier(team: TeamId) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut n = team.as_uuid().as_u128();
    (0..10)
        .map(|_| {
            let c = ALPHABET[(n % 36) as usize] as char;
            n /= 36;
            c
        })
        .collect()
}

/// Team names are how operators and the CLI address teams, so they must be printable and unique.
pub fn validate_team_name(name: &str) -> Result<String, DomainError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(DomainError::InvalidInput("a team name must be 1 to 100 printable characters".into()));
    }
    Ok(name.to_owned())
}

/// Emails are logins: trimmed, lowercased, one `@` with text on both sides.
pub fn normalize_email(email: &str) -> Result<String, DomainError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if valid { Ok(email) } else { Err(DomainError::InvalidInput(format!("'{email}' is not an email address"))) }
}

/// First and last names: up to 100 printable characters, may be empty.
pub fn validate_person_name(name: &str) -> Result<String, DomainError> {
    let name = name.trim();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(DomainError::InvalidInput("a name must be at most 100 printable characters".into()));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod team_id_tests {
    use super::*;

    #[test]
    fn f1_a_team_id_is_ten_letters_and_digits_and_stable() {
        let team = TeamId::random();
        let id = team_identifier(team);
        assert_eq!(id.len(), 10);
        assert!(id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()), "{id}");
        assert_eq!(id, team_identifier(team));
        assert_ne!(id, team_identifier(TeamId::random()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(normalize_email(" Ana@Example.COM ").ok().as_deref(), Some("ana@example.com"));
        for bad in ["", "ana", "@example.com", "ana@", "a b@example.com", "a@b@c"] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn team_names_are_printable_and_bounded() {
        assert_eq!(validate_team_name("  Acme ").ok().as_deref(), Some("Acme"));
        assert!(validate_team_name("   ").is_err());
        assert!(validate_team_name("a\nb").is_err());
        assert!(validate_team_name(&"x".repeat(101)).is_err());
    }
}
