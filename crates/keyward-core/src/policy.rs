//! Areas and the A-rules (spec section 5): which requests a key may make.

use std::fmt;

use crate::families::{Group, group_of};
use crate::key::KeyKind;
use crate::role::{Role, RoleSet};

/// A group of requests governed by one set of roles (A1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Area {
    AppsRead,
    AppsUpdate,
    UsersRead,
    UsersManage,
    Provisioning,
    SalesReports,
    FinanceReports,
    Notary,
    CustomerReviews,
    TestflightBuilds,
    /// A family of Apple's wider API in a group of its own (spec R6, `families.rs`), for reading
    /// (`false`) or writing (`true`).
    Family(Group, bool),
    /// Any other path (the gateway's default).
    Default,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::AppsRead => "apps (read)",
            Area::AppsUpdate => "apps (update)",
            Area::UsersRead => "users (read)",
            Area::UsersManage => "users (manage)",
            Area::Provisioning => "provisioning",
            Area::SalesReports | Area::FinanceReports => "sales_finance",
            Area::Notary => "notary",
            Area::CustomerReviews => "customer_reviews",
            Area::TestflightBuilds => "testflight_builds",
            Area::Family(group, write) => match (group, write) {
                (Group::AppMetadata, false) => "app_metadata (read)",
                (Group::AppMetadata, true) => "app_metadata (write)",
                (Group::Commerce, false) => "commerce (read)",
                (Group::Commerce, true) => "commerce (write)",
                (Group::GameCenter, false) => "game_center (read)",
                (Group::GameCenter, true) => "game_center (write)",
                (Group::XcodeCloud, _) => "xcode_cloud",
                (Group::Analytics, false) => "analytics (read)",
                (Group::Analytics, true) => "analytics (write)",
                (Group::Distribution, false) => "distribution (read)",
                (Group::Distribution, true) => "distribution (write)",
                _ => "default",
            },
            Area::Default => "default",
        }
    }

    /// The default policy table of spec section 5.
    pub fn allowed_roles(self) -> RoleSet {
        use Role::*;
        match self {
            Area::AppsRead => RoleSet::of(&Role::ALL),
            Area::AppsUpdate => RoleSet::of(&[Admin, AppManager]),
            Area::UsersRead => RoleSet::of(&[AccountHolder, Admin, AppManager]),
            Area::UsersManage => RoleSet::of(&[AccountHolder, Admin]),
            Area::Provisioning => RoleSet::of(&[Admin, AppManager, Developer]),
            Area::SalesReports => RoleSet::of(&[Admin, Finance, Sales, AccessToReports]),
            Area::FinanceReports => RoleSet::of(&[Admin, Finance]),
            Area::Notary => RoleSet::of(&[Admin, Developer]),
            Area::CustomerReviews => RoleSet::of(&[Admin, AppManager, CustomerSupport, Marketing]),
            Area::TestflightBuilds => RoleSet::of(&[Admin, AppManager, Developer, Marketing]),
            Area::Family(group, write) => match group.roles() {
                Some((read, write_roles)) => {
                    if write {
                        write_roles
                    } else {
                        read
                    }
                }
                None => RoleSet::of(&[Admin, AppManager]),
            },
            Area::Default => RoleSet::of(&[Admin, AppManager]),
        }
    }

    /// A3: areas individual keys never reach, whatever the member's roles.
    pub fn team_keys_only(self) -> bool {
        matches!(self, Area::Provisioning | Area::SalesReports | Area::FinanceReports | Area::Notary)
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn under(path: &str, prefix: &str) -> bool {
    path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

/// A1: the area of a request under the default policy; paths of no listed prefix are `Default`.
pub fn area_of(method: &str, path: &str) -> Area {
    let read = matches!(method, "GET" | "HEAD");
    let any = |prefixes: &[&str]| prefixes.iter().any(|p| under(path, p));
    if any(&["/v1/apps"]) {
        return if read { Area::AppsRead } else { Area::AppsUpdate };
    }
    if any(&["/v1/users", "/v1/userInvitations"]) {
        return if read { Area::UsersRead } else { Area::UsersManage };
    }
    if any(&["/v1/bundleIds", "/v1/bundleIdCapabilities", "/v1/certificates", "/v1/devices", "/v1/profiles"]) {
        return Area::Provisioning;
    }
    if any(&["/v1/financeReports"]) {
        return Area::FinanceReports;
    }
    if any(&["/v1/salesReports"]) {
        return Area::SalesReports;
    }
    if any(&["/notary/v2"]) {
        return Area::Notary;
    }
    if any(&["/v1/customerReviews", "/v1/customerReviewResponses"]) {
        return Area::CustomerReviews;
    }
    if any(&["/v1/builds", "/v1/betaGroups", "/v1/betaTesters", "/v1/preReleaseVersions"]) {
        return Area::TestflightBuilds;
    }
    // R6: the other families of Apple's API, by the table of `families.rs`.
    let mut segments = path.split('/').skip(1);
    let (Some(version), Some(family)) = (segments.next(), segments.next()) else { return Area::Default };
    if !matches!(version, "v1" | "v2" | "v3") {
        return Area::Default;
    }
    match group_of(family) {
        Some(Group::Provisioning) => Area::Provisioning,
        Some(Group::Testflight) => Area::TestflightBuilds,
        Some(Group::CustomerReviews) => Area::CustomerReviews,
        Some(Group::Users) => {
            if read {
                Area::UsersRead
            } else {
                Area::UsersManage
            }
        }
        Some(Group::SalesReports) => Area::SalesReports,
        Some(Group::FinanceReports) => Area::FinanceReports,
        Some(Group::Apps) => {
            if read {
                Area::AppsRead
            } else {
                Area::AppsUpdate
            }
        }
        Some(group) => Area::Family(group, !read),
        None => Area::Default,
    }
}

/// Why a request was refused (A5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forbidden {
    /// A3: individual keys never act here.
    TeamKeysOnly(Area),
    /// A2: none of the roles is allowed in the area.
    NoAllowedRole(Area),
}

impl fmt::Display for Forbidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Forbidden::TeamKeysOnly(a) => write!(f, "individual keys are never allowed in the {a} area"),
            Forbidden::NoAllowedRole(a) => write!(f, "none of the key's roles is allowed in the {a} area"),
        }
    }
}

/// A2 + A3: a team key acts with its roles, an individual key with its member's current roles.
pub fn authorize(kind: KeyKind, roles: RoleSet, area: Area) -> Result<(), Forbidden> {
    if kind == KeyKind::Individual && area.team_keys_only() {
        return Err(Forbidden::TeamKeysOnly(area));
    }
    if roles.intersects(area.allowed_roles()) { Ok(()) } else { Err(Forbidden::NoAllowedRole(area)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_requests_belong_to_areas() {
        assert_eq!(area_of("GET", "/v1/apps"), Area::AppsRead);
        assert_eq!(area_of("GET", "/v1/apps/123/builds"), Area::AppsRead);
        assert_eq!(area_of("PATCH", "/v1/apps/123"), Area::AppsUpdate);
        assert_eq!(area_of("GET", "/v1/userInvitations/x"), Area::UsersRead);
        assert_eq!(area_of("DELETE", "/v1/users/x"), Area::UsersManage);
        assert_eq!(area_of("GET", "/v1/appsx"), Area::Default, "prefixes match whole segments");
        assert_eq!(area_of("GET", "/v1/financeReports"), Area::FinanceReports);
        assert_eq!(area_of("POST", "/notary/v2/submissions"), Area::Notary);
        assert_eq!(area_of("GET", "/v1/somethingElse"), Area::Default);
    }

    #[test]
    fn a2_a_role_allowed_in_the_area_is_needed() {
        let dev = RoleSet::of(&[Role::Developer]);
        assert_eq!(authorize(KeyKind::Team, dev, Area::AppsRead), Ok(()));
        assert_eq!(authorize(KeyKind::Team, dev, Area::UsersRead), Err(Forbidden::NoAllowedRole(Area::UsersRead)));
        assert_eq!(authorize(KeyKind::Team, RoleSet::of(&[Role::AppManager]), Area::UsersRead), Ok(()));
        assert!(authorize(KeyKind::Team, RoleSet::of(&[Role::Sales]), Area::FinanceReports).is_err());
    }

    #[test]
    fn a3_individual_keys_never_reach_team_only_areas() {
        let admin = RoleSet::of(&[Role::Admin]);
        for area in [Area::Provisioning, Area::SalesReports, Area::FinanceReports, Area::Notary] {
            assert_eq!(authorize(KeyKind::Team, admin, area), Ok(()));
            assert_eq!(authorize(KeyKind::Individual, admin, area), Err(Forbidden::TeamKeysOnly(area)));
        }
        assert_eq!(authorize(KeyKind::Individual, admin, Area::UsersManage), Ok(()));
    }
}
