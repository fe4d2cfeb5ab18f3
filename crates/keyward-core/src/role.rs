//! Apple's `UserRole` values and a compact set of them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A name that is not one of Apple's `UserRole` values. Callers see it as
/// `DomainError::UnknownRole` (the conversion lives with `DomainError`, which names roles).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a role; roles are Apple's UserRole values such as ADMIN or DEVELOPER")]
pub struct UnknownRole(pub String);

/// A role, spelled as Apple's `UserRole` enum. `GenerateIndividualKeys` is the permission
/// *Generate Individual API Keys*, which Apple's REST API also carries inside `roles`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    AccountHolder,
    Admin,
    AppManager,
    Developer,
    Marketing,
    Sales,
    Finance,
    CustomerSupport,
    AccessToReports,
    CreateApps,
    CloudManagedAppDistribution,
    CloudManagedDeveloperId,
    GenerateIndividualKeys,
}

impl Role {
    /// Every role, in Apple's documented order.
    pub const ALL: [Role; 13] = [
        Role::AccountHolder,
        Role::Admin,
        Role::AppManager,
        Role::Developer,
        Role::Marketing,
        Role::Sales,
        Role::Finance,
        Role::CustomerSupport,
        Role::AccessToReports,
        Role::CreateApps,
        Role::CloudManagedAppDistribution,
        Role::CloudManagedDeveloperId,
        Role::GenerateIndividualKeys,
    ];

    /// App Store Connect's name of the role (`APP_MANAGER` → "App Manager"), spelled out because
    /// some are not the enum's words ("Access to Reports", "Generate Individual API Keys"). The
    /// console and invitation mail show it.
    pub fn title(self) -> &'static str {
        match self {
            Role::AccountHolder => "Account Holder",
            Role::Admin => "Admin",
            Role::AppManager => "App Manager",
            Role::Developer => "Developer",
            Role::Marketing => "Marketing",
            Role::Sales => "Sales",
            Role::Finance => "Finance",
            Role::CustomerSupport => "Customer Support",
            Role::AccessToReports => "Access to Reports",
            Role::CreateApps => "Create Apps",
            Role::CloudManagedAppDistribution => "Cloud Managed App Distribution",
            Role::CloudManagedDeveloperId => "Cloud Managed Developer ID",
            Role::GenerateIndividualKeys => "Generate Individual API Keys",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::AccountHolder => "ACCOUNT_HOLDER",
            Role::Admin => "ADMIN",
            Role::AppManager => "APP_MANAGER",
            Role::Developer => "DEVELOPER",
            Role::Marketing => "MARKETING",
            Role::Sales => "SALES",
            Role::Finance => "FINANCE",
            Role::CustomerSupport => "CUSTOMER_SUPPORT",
            Role::AccessToReports => "ACCESS_TO_REPORTS",
            Role::CreateApps => "CREATE_APPS",
            Role::CloudManagedAppDistribution => "CLOUD_MANAGED_APP_DISTRIBUTION",
            Role::CloudManagedDeveloperId => "CLOUD_MANAGED_DEVELOPER_ID",
            Role::GenerateIndividualKeys => "GENERATE_INDIVIDUAL_KEYS",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    /// Exact, case-sensitive: Apple's API refuses `admin` for `ADMIN`, and so do we.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// A set of roles, stored as a bit set and always listed in [`Role::ALL`] order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(into = "Vec<Role>", from = "Vec<Role>")]
pub struct RoleSet(u16);

impl RoleSet {
    pub const EMPTY: RoleSet = RoleSet(0);

    pub fn of(roles: &[Role]) -> Self {
        roles.iter().copied().collect()
    }

    /// Parses `ADMIN,DEVELOPER` (the CLI and storage form). Empty entries are refused.
    pub fn parse_list(s: &str) -> Result<Self, UnknownRole> {
        if s.trim().is_empty() {
            return Ok(Self::EMPTY);
        }
        s.split(',').map(|part| part.trim().parse::<Role>()).collect()
    }

    pub fn contains(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    pub fn insert(&mut self, role: Role) {
        self.0 |= role.bit();
    }

    pub fn remove(&mut self, role: Role) {
        self.0 &= !role.bit();
    }

    pub fn with(mut self, role: Role) -> Self {
        self.insert(role);
        self
    }

    pub fn without(mut self, role: Role) -> Self {
        self.remove(role);
        self
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn intersects(self, other: RoleSet) -> bool {
        self.0 & other.0 != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    pub fn to_vec(self) -> Vec<Role> {
        self.iter().collect()
    }

    /// The comma-separated form used on the command line and in storage.
    pub fn to_list(self) -> String {
        self.iter().map(Role::as_str).collect::<Vec<_>>().join(",")
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        let mut set = RoleSet::EMPTY;
        for role in iter {
            set.insert(role);
        }
        set
    }
}

impl From<Vec<Role>> for RoleSet {
    fn from(v: Vec<Role>) -> Self {
        v.into_iter().collect()
    }
}

impl From<RoleSet> for Vec<Role> {
    fn from(s: RoleSet) -> Self {
        s.to_vec()
    }
}

impl fmt::Debug for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_list())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_apple_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().ok(), Some(role));
            let json = serde_json::to_string(&role).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
    }

    #[test]
    fn role_names_are_case_sensitive() {
        assert!("admin".parse::<Role>().is_err());
        assert!("SUPERUSER".parse::<Role>().is_err());
    }

    #[test]
    fn role_set_parses_lists_and_keeps_apple_order() {
        let set = RoleSet::parse_list("DEVELOPER, ADMIN").expect("valid");
        assert_eq!(set.to_list(), "ADMIN,DEVELOPER");
        assert!(set.contains(Role::Admin) && !set.contains(Role::Sales));
        assert!(RoleSet::parse_list("ADMIN,,DEVELOPER").is_err());
        assert!(RoleSet::parse_list("").map(RoleSet::is_empty).unwrap_or(false));
    }
}
