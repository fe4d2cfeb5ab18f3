//! Seed files: a declared installation (teams, members, apps, invitations, keys with fixed Key IDs)
//! that a test suite applies to start from a known state. Parsing is the binary's job; this module
//! checks a parsed file against every rule before anything is written, and names the offending
//! entry by its path (`teams[0].keys[2].roles`).

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::Deserialize;

use crate::access::AccessState;
use crate::ids::{AppId, IssuerId, KeyId};
use crate::key::{ensure_team_key_capacity, validate_key_name, validate_team_key_roles};
use crate::member::{may_generate_individual_key, roles_for_new_member};
use crate::role::{Role, RoleSet};
use crate::team::{normalize_email, validate_team_name};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    #[serde(default)]
    pub teams: Vec<SeedTeam>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedTeam {
    pub name: String,
    /// Fixed Issuer ID (random when absent).
    pub issuer_id: Option<IssuerId>,
    /// Default `approved`: seeded teams are ready for tokens.
    pub api_access: Option<AccessState>,
    pub rate_limit_per_hour: Option<u32>,
    #[serde(default)]
    pub apps: Vec<SeedApp>,
    #[serde(default)]
    pub members: Vec<SeedMember>,
    #[serde(default)]
    pub invitations: Vec<SeedInvitation>,
    #[serde(default)]
    pub keys: Vec<SeedKey>,
    /// Resources of Apple's wider API (spec R2): builds, beta groups, versions, reviews, …
    #[serde(default)]
    pub resources: Vec<SeedResource>,
    /// Sales and finance reports (spec R7): data only Apple has, served in Apple's format.
    #[serde(default)]
    pub reports: Vec<SeedReport>,
    /// Metrics, diagnostic logs and one-time codes (spec R7), by the path that answers them.
    #[serde(default)]
    pub data: Vec<SeedData>,
}

/// The kind under which seeded [`SeedData`] is kept as a resource: no type of Apple's, so no
/// list of the API ever shows it.
pub const APPLE_DATA_KIND: &str = "appleData";

/// What one of Apple's data paths answers (`/v1/builds/{id}/perfPowerMetrics`,
/// `/v1/diagnosticSignatures/{id}/logs`, `/v1/apps/{id}/metrics/betaTesterUsages`,
/// `/v1/inAppPurchaseOfferCodeOneTimeUseCodes/{id}/values`): a JSON document or, for one-time
/// codes, CSV text. The binary checks the path and the JSON against Apple's document.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedData {
    /// The path with its IDs, as a client requests it.
    pub path: String,
    #[serde(default)]
    pub json: Option<serde_json::Value>,
    #[serde(default)]
    pub text: Option<String>,
}

/// A report as `GET /v1/salesReports` or `GET /v1/financeReports` answers it for the filters
/// given here: Apple's columns, then these rows (tab-separated, in Apple's column order).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedReport {
    /// `salesReports` or `financeReports`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The request's filters it answers (`reportType = "SALES"`, `frequency = "DAILY"`,
    /// `reportDate = "2026-12-01"`, …), without the `filter[…]` around their names.
    pub filters: std::collections::BTreeMap<String, String>,
    pub rows: Vec<String>,
}

/// A resource of any type of Apple's API, with a fixed ID. Its type, attributes and relationships
/// are checked against Apple's document by the binary before the seed is applied.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedResource {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// By relationship: one linkage or a list. An app may be named by its bundle ID.
    #[serde(default)]
    pub relationships: std::collections::BTreeMap<String, SeedLinks>,
}

/// One linkage (`{ type = "apps", id = "com.acme.fizz" }`) or a list of them.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum SeedLinks {
    One(crate::resource::Link),
    Many(Vec<crate::resource::Link>),
}

impl SeedLinks {
    pub fn links(&self) -> &[crate::resource::Link] {
        match self {
            SeedLinks::One(l) => std::slice::from_ref(l),
            SeedLinks::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedApp {
    /// Fixed numeric app ID (random when absent).
    pub id: Option<AppId>,
    pub name: String,
    pub bundle_id: String,
    pub sku: String,
    #[serde(default = "default_locale")]
    pub primary_locale: String,
}

fn default_locale() -> String {
    "en-US".into()
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedMember {
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub roles: Vec<String>,
    /// Exactly one member of a team is its Account Holder.
    #[serde(default)]
    pub account_holder: bool,
    /// Bundle IDs of the apps the member sees; absent: all apps.
    pub apps: Option<Vec<String>>,
    #[serde(default)]
    pub provisioning: bool,
    /// K6: the *Generate Individual API Keys* permission (default: granted).
    #[serde(default = "yes")]
    pub individual_keys: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedInvitation {
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    pub roles: Vec<String>,
    pub apps: Option<Vec<String>>,
    #[serde(default)]
    pub provisioning: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedKey {
    pub key_id: String,
    /// A team key: its name and roles.
    pub name: Option<String>,
    pub roles: Option<Vec<String>>,
    /// An individual key: its member's email.
    pub member: Option<String>,
    /// The public key (PEM `-----BEGIN PUBLIC KEY-----`): the test suite keeps the private half.
    pub public_key: Option<String>,
    /// Or: generate a key pair and write `AuthKey_<KEYID>.p8` into this folder.
    pub generate_into: Option<String>,
}

/// A refusal, naming where in the file it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn err(path: impl Into<String>, message: impl Into<String>) -> SeedError {
    SeedError { path: path.into(), message: message.into() }
}

fn roles(list: &[String], path: &str) -> Result<RoleSet, SeedError> {
    list.iter()
        .enumerate()
        .map(|(i, r)| r.parse::<Role>().map_err(|e| err(format!("{path}[{i}]"), e.to_string())))
        .collect()
}

/// The checked meaning of a team's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedKeyKind {
    Team { name: String, roles: RoleSet },
    Individual { member_email: String },
}

/// Checks every rule a seed can break, before anything is written. `max_active_team_keys` is K5's.
pub fn validate(file: &SeedFile, max_active_team_keys: u32) -> Result<(), SeedError> {
    let mut team_names = HashSet::new();
    let mut key_ids = HashSet::new();
    let mut bundle_ids = HashSet::new();
    let mut app_ids = HashSet::new();
    let mut seed_resource_ids = HashSet::new();
    for (t, team) in file.teams.iter().enumerate() {
        let tp = format!("teams[{t}]");
        let name = validate_team_name(&team.name).map_err(|e| err(format!("{tp}.name"), e.to_string()))?;
        if !team_names.insert(name) {
            return Err(err(format!("{tp}.name"), format!("a second team named '{}'", team.name)));
        }
        let mut team_bundles = HashSet::new();
        for (a, app) in team.apps.iter().enumerate() {
            let ap = format!("{tp}.apps[{a}]");
            crate::app::NewApp {
                name: app.name.clone(),
                bundle_id: app.bundle_id.clone(),
                sku: app.sku.clone(),
                primary_locale: app.primary_locale.clone(),
            }
            .validate()
            .map_err(|e| err(&ap, e.to_string()))?;
            if !bundle_ids.insert(app.bundle_id.clone()) {
                return Err(err(format!("{ap}.bundle_id"), format!("the bundle ID '{}' appears twice", app.bundle_id)));
            }
            if let Some(id) = app.id
                && (id.0 <= 0 || !app_ids.insert(id))
            {
                return Err(err(format!("{ap}.id"), format!("the app ID {id} is invalid or appears twice")));
            }
            team_bundles.insert(app.bundle_id.clone());
        }
        let check_apps = |apps: &Option<Vec<String>>, path: &str| -> Result<(), SeedError> {
            for (i, bundle) in apps.iter().flatten().enumerate() {
                if !team_bundles.contains(bundle) {
                    return Err(err(
                        format!("{path}[{i}]"),
                        format!("no app of this team has the bundle ID '{bundle}'"),
                    ));
                }
            }
            Ok(())
        };
        let mut members: HashMap<String, RoleSet> = HashMap::new();
        let mut holders = 0;
        for (m, member) in team.members.iter().enumerate() {
            let mp = format!("{tp}.members[{m}]");
            let email = normalize_email(&member.email).map_err(|e| err(format!("{mp}.email"), e.to_string()))?;
            let requested = roles(&member.roles, &format!("{mp}.roles"))?;
            let granted = if member.account_holder {
                holders += 1;
                crate::member::account_holder_roles().with(Role::Admin)
            } else {
                roles_for_new_member(requested, member.individual_keys)
                    .map_err(|e| err(format!("{mp}.roles"), e.to_string()))?
            };
            check_apps(&member.apps, &format!("{mp}.apps"))?;
            if members.insert(email.clone(), granted).is_some() {
                return Err(err(format!("{mp}.email"), format!("{email} appears twice in this team")));
            }
        }
        if holders != 1 {
            return Err(err(
                format!("{tp}.members"),
                format!("a team needs exactly one member with account_holder = true (found {holders})"),
            ));
        }
        for (i, inv) in team.invitations.iter().enumerate() {
            let ip = format!("{tp}.invitations[{i}]");
            let email = normalize_email(&inv.email).map_err(|e| err(format!("{ip}.email"), e.to_string()))?;
            if members.contains_key(&email) {
                return Err(err(format!("{ip}.email"), format!("{email} is already a member")));
            }
            crate::invitation::roles_for_invitation(roles(&inv.roles, &format!("{ip}.roles"))?)
                .map_err(|e| err(format!("{ip}.roles"), e.to_string()))?;
            check_apps(&inv.apps, &format!("{ip}.apps"))?;
        }
        let mut resources = HashSet::new();
        for (r, resource) in team.resources.iter().enumerate() {
            let rp = format!("{tp}.resources[{r}]");
            let shaped = |s: &str| !s.is_empty() && s.len() <= 200 && s.chars().all(|c| c.is_ascii_graphic());
            if !shaped(&resource.kind) {
                return Err(err(format!("{rp}.type"), "a resource needs its type, such as builds"));
            }
            if !shaped(&resource.id) || !seed_resource_ids.insert((resource.kind.clone(), resource.id.clone())) {
                return Err(err(format!("{rp}.id"), format!("the id of a {} must be given once", resource.kind)));
            }
            resources.insert((resource.kind.as_str(), resource.id.as_str()));
            for (rel, links) in &resource.relationships {
                for (i, link) in links.links().iter().enumerate() {
                    let at = format!("{rp}.relationships.{rel}[{i}]");
                    let declared = match link.kind.as_str() {
                        "apps" => {
                            team_bundles.contains(&link.id)
                                || team.apps.iter().any(|a| a.id.is_some_and(|id| id.to_string() == link.id))
                        }
                        kind => {
                            resources.contains(&(kind, link.id.as_str()))
                                || team.resources.iter().any(|o| o.kind == kind && o.id == link.id)
                        }
                    };
                    if !declared {
                        return Err(err(at, format!("no {} '{}' is declared in this team", link.kind, link.id)));
                    }
                }
            }
        }
        for (r, report) in team.reports.iter().enumerate() {
            let rp = format!("{tp}.reports[{r}]");
            if report.kind != "salesReports" && report.kind != "financeReports" {
                return Err(err(format!("{rp}.type"), "a report is of type salesReports or financeReports"));
            }
            if let Some(i) = report.rows.iter().position(|row| row.contains('\n')) {
                return Err(err(format!("{rp}.rows[{i}]"), "a row is one line, its columns separated by tabs"));
            }
        }
        let mut data_paths = HashSet::new();
        for (d, data) in team.data.iter().enumerate() {
            let dp = format!("{tp}.data[{d}]");
            if data.json.is_some() == data.text.is_some() {
                return Err(err(&dp, "give exactly one of json and text"));
            }
            if !data_paths.insert(data.path.as_str()) {
                return Err(err(format!("{dp}.path"), format!("{} appears twice", data.path)));
            }
        }
        let mut team_keys = 0u64;
        let mut individual_owners = HashSet::new();
        for (k, key) in team.keys.iter().enumerate() {
            let kp = format!("{tp}.keys[{k}]");
            kind_of(key, &kp, &members)?;
            KeyId::parse(&key.key_id).map_err(|e| err(format!("{kp}.key_id"), e.to_string()))?;
            if !key_ids.insert(key.key_id.clone()) {
                return Err(err(format!("{kp}.key_id"), format!("the Key ID {} appears twice", key.key_id)));
            }
            match (&key.public_key, &key.generate_into) {
                (Some(_), None) | (None, Some(_)) => {}
                _ => return Err(err(&kp, "give exactly one of public_key and generate_into")),
            }
            match kind_of(key, &kp, &members)? {
                SeedKeyKind::Team { .. } => {
                    ensure_team_key_capacity(team_keys, max_active_team_keys).map_err(|e| err(&kp, e.to_string()))?;
                    team_keys += 1;
                }
                SeedKeyKind::Individual { member_email } => {
                    if !individual_owners.insert(member_email.clone()) {
                        return Err(err(
                            format!("{kp}.member"),
                            format!("{member_email} already has an individual key in this file"),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// What a seeded key is: a team key (name, roles) or an individual key (of a member of the team).
pub fn kind_of(key: &SeedKey, path: &str, members: &HashMap<String, RoleSet>) -> Result<SeedKeyKind, SeedError> {
    match (&key.name, &key.roles, &key.member) {
        (Some(name), Some(list), None) => {
            let name = validate_key_name(name).map_err(|e| err(format!("{path}.name"), e.to_string()))?;
            let roles = validate_team_key_roles(roles(list, &format!("{path}.roles"))?)
                .map_err(|e| err(format!("{path}.roles"), e.to_string()))?;
            Ok(SeedKeyKind::Team { name, roles })
        }
        (None, None, Some(email)) => {
            let email = normalize_email(email).map_err(|e| err(format!("{path}.member"), e.to_string()))?;
            let member_roles = members
                .get(&email)
                .ok_or_else(|| err(format!("{path}.member"), format!("{email} is not a member of this team")))?;
            may_generate_individual_key(*member_roles).map_err(|e| err(format!("{path}.member"), e.to_string()))?;
            Ok(SeedKeyKind::Individual { member_email: email })
        }
        _ => Err(err(path, "a key is either a team key (name and roles) or an individual key (member)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team() -> SeedTeam {
        SeedTeam {
            name: "Acme".into(),
            issuer_id: None,
            api_access: None,
            rate_limit_per_hour: None,
            apps: vec![SeedApp {
                id: None,
                name: "Fizz".into(),
                bundle_id: "com.acme.fizz".into(),
                sku: "FIZZ".into(),
                primary_locale: "en-US".into(),
            }],
            members: vec![SeedMember {
                email: "ana@acme.test".into(),
                first_name: String::new(),
                last_name: String::new(),
                roles: vec![],
                account_holder: true,
                apps: None,
                provisioning: false,
                individual_keys: true,
            }],
            invitations: vec![],
            keys: vec![],
            resources: vec![],
            reports: vec![],
            data: vec![],
        }
    }

    fn key(id: &str, roles: &[&str]) -> SeedKey {
        SeedKey {
            key_id: id.into(),
            name: Some("CI".into()),
            roles: Some(roles.iter().map(|r| (*r).to_owned()).collect()),
            member: None,
            public_key: Some("PEM".into()),
            generate_into: None,
        }
    }

    #[test]
    fn k5_a_seed_with_too_many_team_keys_is_refused_naming_the_key() {
        let mut t = team();
        t.keys = (0..3).map(|i| key(&format!("KEY000000{i}"), &["DEVELOPER"])).collect();
        let file = SeedFile { teams: vec![t] };
        assert!(validate(&file, 3).is_ok());
        assert_eq!(validate(&file, 2).map_err(|e| e.path), Err("teams[0].keys[2]".into()));
    }

    #[test]
    fn unknown_roles_and_duplicate_key_ids_name_their_path() {
        let mut t = team();
        t.keys = vec![key("KEY0000001", &["DEVELOPER", "BOSS"])];
        assert_eq!(
            validate(&SeedFile { teams: vec![t.clone()] }, 50).map_err(|e| e.path),
            Err("teams[0].keys[0].roles[1]".into())
        );
        t.keys = vec![key("KEY0000001", &["DEVELOPER"]), key("KEY0000001", &["ADMIN"])];
        assert_eq!(
            validate(&SeedFile { teams: vec![t] }, 50).map_err(|e| e.path),
            Err("teams[0].keys[1].key_id".into())
        );
    }

    #[test]
    fn a_team_needs_one_account_holder_and_members_see_only_its_apps() {
        let mut t = team();
        t.members[0].account_holder = false;
        t.members[0].roles = vec!["ADMIN".into()];
        assert_eq!(
            validate(&SeedFile { teams: vec![t.clone()] }, 50).map_err(|e| e.path),
            Err("teams[0].members".into())
        );
        t.members[0].account_holder = true;
        t.members[0].apps = Some(vec!["com.other".into()]);
        assert_eq!(
            validate(&SeedFile { teams: vec![t] }, 50).map_err(|e| e.path),
            Err("teams[0].members[0].apps[0]".into())
        );
    }
}
