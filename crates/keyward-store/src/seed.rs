//! Applying a seed file in one transaction (see `keyward_core::seed`): create what is missing,
//! align what exists, touch nothing that already matches.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use keyward_core::access::AccessState;
use keyward_core::actor::ActorContext;
use keyward_core::audit::AuditKind;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::ids::{AppId, InvitationId, IssuerId, KeyId, MemberId, TeamId};
use keyward_core::key::KeyKind;
use keyward_core::member::{account_holder_roles, roles_for_new_member};
use keyward_core::ports::{NewPerson, SeedOutcome, SeedStore};
use keyward_core::resource::{Link, Resource};
use keyward_core::role::{Role, RoleSet};
use keyward_core::seed::{SeedFile, SeedKeyKind, SeedTeam, kind_of};
use keyward_core::team::normalize_email;
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::backend_error;
use crate::tx::{self, Tx, now};
use crate::{Store, app_rows, invitation_rows, key_rows, member_rows, persons, resource_rows, team_rows};

/// Seeded rows get IDs derived from what names them (team name, email, bundle ID), so applying a
/// seed after a reset gives every team, member, person, app and invitation the same ID again and a
/// test suite can rely on them.
fn stable_uuid(parts: &[&str]) -> uuid::Uuid {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6b65_7977_6172_6473_6565_6473_0000_0001);
    uuid::Uuid::new_v5(&NAMESPACE, parts.join("\u{1f}").as_bytes())
}

/// The form of a secret's SHA-256 (64 hex digits), but the hash of no secret anyone holds: 244
/// random bits, so finding a secret that hashes to it is a SHA-256 preimage.
fn unknown_secret_hash() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

fn refused(path: String, message: String) -> StoreError {
    DomainError::Conflict(format!("{path}: {message}")).into()
}

fn role_set(list: &[String]) -> Result<RoleSet, StoreError> {
    list.iter().map(|r| r.parse::<Role>().map_err(StoreError::from)).collect()
}

/// The tables, children first, for a wipe. The change feed stays: tailers need its positions.
const TABLES: [&str; 17] = [
    "resources",
    "retired_public_keys",
    "budget_leases",
    "budget_minutes",
    "key_usage",
    "key_area_usage",
    "sessions",
    "member_apps",
    "invitation_apps",
    "invitations",
    "auth_failures",
    "api_keys",
    "members",
    "apps",
    "persons",
    "audit_events",
    "teams",
];

impl SeedStore for Store {
    async fn apply_seed(
        &self,
        seed: &SeedFile,
        public_keys: &HashMap<String, Vec<u8>>,
        wipe: bool,
    ) -> Result<SeedOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        // Many teams, each appending to the feed. Lock order everywhere is team, then feed: so the
        // seed locks every existing team first (each writer elsewhere holds at most one), then the
        // feed; teams it creates are its own.
        sqlx::query("UPDATE teams SET lock_version = lock_version + 1")
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        crate::backend::lock_feed(&mut tx).await?;
        let mut changes = 0;
        if wipe {
            for table in TABLES {
                let n = sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend_error)?;
                changes += n.rows_affected();
            }
        }
        for (t, team) in seed.teams.iter().enumerate() {
            changes += apply_team(&mut tx, t, team, public_keys).await?;
        }
        tx::commit(tx).await?;
        Ok(SeedOutcome { changes })
    }
}

/// What every step of applying one team shares: the team, its path in the seed file (for
/// refusals), the seed's audit actor and the time.
struct Ctx {
    team_id: TeamId,
    tp: String,
    actor: ActorContext,
    at: OffsetDateTime,
}

/// One team of the seed, aggregate by aggregate: the team row, its apps, members, invitations and
/// keys. Returns how many rows changed.
async fn apply_team(
    tx: &mut Tx,
    t: usize,
    team: &SeedTeam,
    public_keys: &HashMap<String, Vec<u8>>,
) -> Result<u64, StoreError> {
    let at = now();
    let actor = ActorContext { actor: keyward_core::actor::Actor::Operator, label: "seed".into(), ip: None };
    let tp = format!("teams[{t}]");
    let (team_id, mut changes) = apply_team_row(tx, team, &tp, &actor, at).await?;
    let c = Ctx { team_id, tp, actor, at };
    let (apps_by_bundle, n) = apply_apps(tx, team, &c).await?;
    changes += n;
    let (member_roles, member_ids, n) = apply_members(tx, team, &c, &apps_by_bundle).await?;
    changes += n;
    changes += apply_invitations(tx, team, &c, &apps_by_bundle).await?;
    changes += apply_keys(tx, team, &c, public_keys, &member_roles, &member_ids).await?;
    changes += apply_resources(tx, team, &c, &apps_by_bundle).await?;
    changes += apply_reports(tx, team, &c).await?;
    Ok(changes)
}

/// The team row: created with stable IDs, or its access state and rate limit brought in line.
async fn apply_team_row(
    tx: &mut Tx,
    team: &SeedTeam,
    tp: &str,
    actor: &ActorContext,
    at: OffsetDateTime,
) -> Result<(TeamId, u64), StoreError> {
    let mut changes = 0;
    let access = team.api_access.unwrap_or(AccessState::Approved);
    let rate = team.rate_limit_per_hour.map(i64::from);
    let existing = sqlx::query("SELECT id, issuer_id, access_state, rate_limit_per_hour FROM teams WHERE name = $1")
        .bind(team.name.trim().to_owned())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?;
    let team_id: TeamId = match existing {
        Some(row) => {
            let id: String = row.try_get("id").map_err(backend_error)?;
            let issuer: String = row.try_get("issuer_id").map_err(backend_error)?;
            if let Some(wanted) = team.issuer_id
                && wanted.to_string() != issuer
            {
                return Err(refused(format!("{tp}.issuer_id"), format!("the team exists with the Issuer ID {issuer}")));
            }
            let state: String = row.try_get("access_state").map_err(backend_error)?;
            let current_rate: Option<i64> = row.try_get("rate_limit_per_hour").map_err(backend_error)?;
            let id: TeamId = id.parse().map_err(|_| StoreError::Backend("stored team id is invalid".into()))?;
            if state != access.as_str() || current_rate != rate {
                team_rows::set_access(tx, id, access).await?;
                team_rows::set_rate_limit(tx, id, team.rate_limit_per_hour).await?;
                tx::change(tx, &Change::TeamAccess { team_id: id }, at).await?;
                changes += 1;
            }
            id
        }
        None => {
            let id = TeamId::from_uuid(stable_uuid(&["team", team.name.trim()]));
            let issuer =
                team.issuer_id.unwrap_or_else(|| IssuerId::from_uuid(stable_uuid(&["issuer", team.name.trim()])));
            let row = team_rows::NewRow {
                id,
                issuer,
                name: team.name.trim(),
                access,
                rate_limit_per_hour: team.rate_limit_per_hour,
            };
            // The team was looked up by name just above: a clash is on the Issuer ID.
            team_rows::insert(tx, row, at)
                .await?
                .or_taken(|| refused(format!("{tp}.issuer_id"), "another team has this Issuer ID".into()))?;
            tx::audit(tx, id, actor, AuditKind::TeamCreated, Some(&issuer.to_string()), "created from a seed file", at)
                .await?;
            tx::change(tx, &Change::TeamAccess { team_id: id }, at).await?;
            changes += 1;
            id
        }
    };
    Ok((team_id, changes))
}

/// The team's apps, by bundle ID: created with stable IDs, or their names brought in line.
async fn apply_apps(tx: &mut Tx, team: &SeedTeam, c: &Ctx) -> Result<(HashMap<String, AppId>, u64), StoreError> {
    let (team_id, at, actor, tp) = (c.team_id, c.at, &c.actor, &c.tp);
    let mut changes = 0;
    let mut apps_by_bundle: HashMap<String, AppId> = HashMap::new();
    for (a, app) in team.apps.iter().enumerate() {
        let row = sqlx::query("SELECT id, team_id, name, sku, primary_locale FROM apps WHERE bundle_id = $1")
            .bind(app.bundle_id.clone())
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend_error)?;
        let id = match row {
            Some(row) => {
                let owner: String = row.try_get("team_id").map_err(backend_error)?;
                let id = AppId(row.try_get("id").map_err(backend_error)?);
                if owner != team_id.to_string() || app.id.is_some_and(|wanted| wanted != id) {
                    return Err(refused(
                        format!("{tp}.apps[{a}]"),
                        format!("the bundle ID {} belongs to another app", app.bundle_id),
                    ));
                }
                let same = row.try_get::<String, _>("name").map_err(backend_error)? == app.name
                    && row.try_get::<String, _>("sku").map_err(backend_error)? == app.sku
                    && row.try_get::<String, _>("primary_locale").map_err(backend_error)? == app.primary_locale;
                if !same {
                    app_rows::align(tx, id, &app.name, &app.sku, &app.primary_locale).await?;
                    tx::change(tx, &Change::App { team_id, app_id: id }, at).await?;
                    changes += 1;
                }
                id
            }
            None => {
                let id = app.id.unwrap_or_else(|| {
                    let n = stable_uuid(&["app", &app.bundle_id]).as_u128() % 1_000_000_000;
                    AppId(1_000_000_000 + i64::try_from(n).unwrap_or(0))
                });
                let row = app_rows::NewRow {
                    id,
                    team: team_id,
                    name: &app.name,
                    bundle_id: &app.bundle_id,
                    sku: &app.sku,
                    primary_locale: &app.primary_locale,
                };
                app_rows::insert(tx, row, at)
                    .await?
                    .or_taken(|| refused(format!("{tp}.apps[{a}]"), "the app ID or SKU is taken".into()))?;
                tx::audit(
                    tx,
                    team_id,
                    actor,
                    AuditKind::AppCreated,
                    Some(&id.to_string()),
                    "created from a seed file",
                    at,
                )
                .await?;
                tx::change(tx, &Change::App { team_id, app_id: id }, at).await?;
                changes += 1;
                id
            }
        };
        apps_by_bundle.insert(app.bundle_id.clone(), id);
    }
    Ok((apps_by_bundle, changes))
}

/// The apps of a seed entry's bundle IDs.
fn app_ids(apps_by_bundle: &HashMap<String, AppId>, bundles: &Option<Vec<String>>) -> BTreeSet<i64> {
    bundles.iter().flatten().filter_map(|b| apps_by_bundle.get(b)).map(|a| a.0).collect()
}

/// The team's members: added through the one member insert, or their roles and apps brought in line.
async fn apply_members(
    tx: &mut Tx,
    team: &SeedTeam,
    c: &Ctx,
    apps_by_bundle: &HashMap<String, AppId>,
) -> Result<(HashMap<String, RoleSet>, HashMap<String, MemberId>, u64), StoreError> {
    let (team_id, at, actor) = (c.team_id, c.at, &c.actor);
    let mut changes = 0;
    let mut member_roles: HashMap<String, RoleSet> = HashMap::new();
    let mut member_ids: HashMap<String, MemberId> = HashMap::new();
    for (i, member) in team.members.iter().enumerate() {
        let email = normalize_email(&member.email)?;
        let roles = if member.account_holder {
            account_holder_roles()
        } else {
            roles_for_new_member(role_set(&member.roles)?, member.individual_keys)?
        };
        let person = NewPerson {
            email: email.clone(),
            first_name: member.first_name.clone(),
            last_name: member.last_name.clone(),
            password_hash: None,
        };
        let person_id = persons::find_or_create(tx, &person, false, at).await?;
        let all_apps = member.apps.is_none();
        let wanted_apps = app_ids(apps_by_bundle, &member.apps);
        let row = sqlx::query("SELECT id, roles, individual_keys_explicit, all_apps_visible, provisioning_allowed FROM members WHERE team_id = $1 AND person_id = $2")
            .bind(team_id.to_string())
            .bind(person_id.to_string())
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend_error)?;
        let id = match row {
            Some(row) => {
                let id: MemberId = row
                    .try_get::<String, _>("id")
                    .map_err(backend_error)?
                    .parse()
                    .map_err(|_| StoreError::Backend("stored member id is invalid".into()))?;
                let current_apps: BTreeSet<i64> = sqlx::query("SELECT app_id FROM member_apps WHERE member_id = $1")
                    .bind(id.to_string())
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(backend_error)?
                    .iter()
                    .filter_map(|r| r.try_get::<i64, _>("app_id").ok())
                    .collect();
                let same = row.try_get::<String, _>("roles").map_err(backend_error)? == roles.to_list()
                    && crate::convert::flag(&row, "all_apps_visible")? == all_apps
                    && crate::convert::flag(&row, "provisioning_allowed")? == member.provisioning
                    && current_apps == wanted_apps;
                if !same {
                    let explicit = crate::convert::flag(&row, "individual_keys_explicit")?;
                    member_rows::set_roles(tx, id, roles, explicit).await?;
                    member_rows::set_all_apps_visible(tx, id, all_apps).await?;
                    member_rows::set_provisioning_allowed(tx, id, member.provisioning).await?;
                    let visible_apps: Vec<AppId> = wanted_apps.iter().map(|a| AppId(*a)).collect();
                    member_rows::replace_apps(tx, id, &visible_apps).await?;
                    tx::change(tx, &Change::Member { team_id, member_id: id }, at).await?;
                    changes += 1;
                }
                id
            }
            None => {
                let id = MemberId::from_uuid(stable_uuid(&["member", team.name.trim(), &email]));
                let visible_apps: Vec<AppId> = wanted_apps.iter().map(|a| AppId(*a)).collect();
                let row = member_rows::NewRow {
                    id,
                    team: team_id,
                    person: person_id,
                    email: &email,
                    roles,
                    individual_keys_explicit: false,
                    all_apps_visible: all_apps,
                    provisioning_allowed: member.provisioning,
                    visible_apps: &visible_apps,
                };
                // (team, person) was looked up just above: a clash here is on the member ID the
                // seed derives from the team and email, so say where in the seed it comes from.
                member_rows::insert(tx, row, at).await.map_err(|e| match e {
                    StoreError::Rule(DomainError::Conflict(_)) => {
                        refused(format!("{}.members[{i}]", c.tp), format!("{email} clashes with an existing member"))
                    }
                    e => e,
                })?;
                tx::audit(
                    tx,
                    team_id,
                    actor,
                    AuditKind::MemberAdded,
                    Some(&email),
                    &format!("added from a seed file with roles {roles}"),
                    at,
                )
                .await?;
                tx::change(tx, &Change::Member { team_id, member_id: id }, at).await?;
                changes += 1;
                id
            }
        };
        member_roles.insert(email.clone(), roles);
        member_ids.insert(email, id);
    }
    Ok((member_roles, member_ids, changes))
}

/// The team's pending invitations, created once.
async fn apply_invitations(
    tx: &mut Tx,
    team: &SeedTeam,
    c: &Ctx,
    apps_by_bundle: &HashMap<String, AppId>,
) -> Result<u64, StoreError> {
    let (team_id, at) = (c.team_id, c.at);
    let mut changes = 0;
    for invitation in &team.invitations {
        let email = normalize_email(&invitation.email)?;
        let roles = role_set(&invitation.roles)?;
        // Pending, or accepted already (the invitee is a member): nothing to do.
        let exists = sqlx::query(
            "SELECT 1 AS one FROM invitations WHERE team_id = $1 AND email = $2 \
             UNION ALL SELECT 1 AS one FROM members m JOIN persons p ON p.id = m.person_id \
             WHERE m.team_id = $1 AND p.email = $2",
        )
        .bind(team_id.to_string())
        .bind(email.clone())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?;
        if exists.is_none() {
            let id = InvitationId::from_uuid(stable_uuid(&["invitation", team.name.trim(), &email]));
            let visible_apps: Vec<AppId> = app_ids(apps_by_bundle, &invitation.apps).into_iter().map(AppId).collect();
            // Like every invitation, it is accepted by a secret link. Nobody knows this one's
            // secret: the console's "new link" (or the API's renewal) hands out one that works.
            let secret = unknown_secret_hash();
            let row = invitation_rows::NewRow {
                id,
                team: team_id,
                email: &email,
                first_name: &invitation.first_name,
                last_name: &invitation.last_name,
                roles,
                individual_keys_by_default: true,
                all_apps_visible: invitation.apps.is_none(),
                provisioning_allowed: invitation.provisioning,
                visible_apps: &visible_apps,
                secret_hash: &secret,
                expires_at: at + keyward_core::invitation::VALIDITY,
            };
            invitation_rows::insert(tx, row, at).await?;
            changes += 1;
        }
    }
    Ok(changes)
}

/// The team's keys, with the public halves the caller read or generated; a key never changes (K4).
async fn apply_keys(
    tx: &mut Tx,
    team: &SeedTeam,
    c: &Ctx,
    public_keys: &HashMap<String, Vec<u8>>,
    member_roles: &HashMap<String, RoleSet>,
    member_ids: &HashMap<String, MemberId>,
) -> Result<u64, StoreError> {
    let (team_id, at, actor, tp) = (c.team_id, c.at, &c.actor, &c.tp);
    let mut changes = 0;
    for (k, key) in team.keys.iter().enumerate() {
        let kp = format!("{tp}.keys[{k}]");
        let kind = kind_of(key, &kp, member_roles).map_err(|e| refused(e.path, e.message))?;
        let public = public_keys.get(&key.key_id).ok_or_else(|| refused(kp.clone(), "no public key".into()))?;
        let (kind, name, roles, member) = match &kind {
            SeedKeyKind::Team { name, roles } => (KeyKind::Team, name.clone(), *roles, None),
            SeedKeyKind::Individual { member_email } => {
                (KeyKind::Individual, member_email.clone(), RoleSet::EMPTY, member_ids.get(member_email).copied())
            }
        };
        let row = sqlx::query(
            "SELECT team_id, kind, name, roles, member_id, public_key, revoked_at FROM api_keys WHERE id = $1",
        )
        .bind(key.key_id.clone())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?;
        if let Some(row) = row {
            let same = row.try_get::<String, _>("team_id").map_err(backend_error)? == team_id.to_string()
                && row.try_get::<String, _>("kind").map_err(backend_error)? == kind.as_str()
                && row.try_get::<String, _>("roles").map_err(backend_error)? == roles.to_list()
                && row.try_get::<Option<String>, _>("member_id").map_err(backend_error)?
                    == member.map(|m| m.to_string())
                && row.try_get::<Option<Vec<u8>>, _>("public_key").map_err(backend_error)?.as_deref()
                    == Some(public.as_slice())
                && row.try_get::<Option<i64>, _>("revoked_at").map_err(backend_error)?.is_none();
            if !same {
                return Err(refused(
                    format!("{kp}.key_id"),
                    format!("the key {} exists with other contents (keys never change, K4)", key.key_id),
                ));
            }
            continue;
        }
        let key_id = KeyId::parse(&key.key_id)?;
        let row = key_rows::NewRow {
            id: &key_id,
            team: team_id,
            kind,
            name: &name,
            roles,
            member,
            created_by_member: None,
            created_by_key: None,
            created_by_label: "seed",
            public_key: Some(public),
            expires_at: None,
            replaces: None,
            uploaded: false,
            key_manager: false,
        };
        key_rows::insert(tx, row, at)
            .await?
            .or_taken(|| refused(format!("{kp}.member"), "this member already has an active individual key".into()))?;
        tx::audit(tx, team_id, actor, AuditKind::KeyGenerated, Some(&key.key_id), "created from a seed file", at)
            .await?;
        tx::change(tx, &Change::KeyDownloaded { team_id, key_id }, at).await?;
        changes += 1;
    }
    Ok(changes)
}

/// The team's resources of Apple's wider API (spec R2), in the file's order: created with their
/// fixed IDs, or brought in line. Apps may be named by bundle ID; a resource belongs to the app it
/// links to, or to the app of a resource it links to that the file declared before it (A4).
async fn apply_resources(
    tx: &mut Tx,
    team: &SeedTeam,
    c: &Ctx,
    apps_by_bundle: &HashMap<String, AppId>,
) -> Result<u64, StoreError> {
    let (team_id, at, tp) = (c.team_id, c.at, &c.tp);
    let mut changes = 0;
    for (r, seeded) in team.resources.iter().enumerate() {
        let rp = format!("{tp}.resources[{r}]");
        let mut relationships: BTreeMap<String, Vec<Link>> = BTreeMap::new();
        for (rel, links) in &seeded.relationships {
            let resolved = links
                .links()
                .iter()
                .map(|l| match (l.kind.as_str(), apps_by_bundle.get(&l.id)) {
                    ("apps", Some(app)) => Link { kind: "apps".into(), id: app.to_string() },
                    _ => l.clone(),
                })
                .collect();
            relationships.insert(rel.clone(), resolved);
        }
        // A4, as every writer decides it: from the links, in this transaction (so a resource
        // linking to one declared later in the file gets its app from its own links only).
        let app = resource_rows::app_of(tx, team_id, &relationships).await?;
        let resource = Resource {
            team_id,
            kind: seeded.kind.clone(),
            id: seeded.id.clone(),
            app,
            attributes: seeded.attributes.clone(),
            relationships,
            created_at: at,
            updated_at: at,
        };
        let taken = || refused(format!("{rp}.id"), format!("another team has a {} with this id", seeded.kind));
        match resource_rows::in_tx(tx, team_id, &resource.kind, &resource.id).await {
            Ok(current) => {
                if current.attributes == resource.attributes
                    && current.relationships == resource.relationships
                    && current.app == resource.app
                {
                    continue;
                }
                resource_rows::update(tx, &resource).await?;
            }
            Err(StoreError::Rule(DomainError::NoSuchResource { .. })) => {
                resource_rows::insert(tx, &resource).await?.or_taken(taken)?;
            }
            Err(e) => return Err(e),
        }
        let change = Change::Resource { team_id, resource_type: resource.kind.clone(), id: resource.id.clone() };
        tx::change(tx, &change, at).await?;
        changes += 1;
    }
    Ok(changes)
}

/// The team's data only Apple has (spec R7), kept as resources: reports under their family's
/// name (`salesReports`) with the filters they answer and their rows; metrics, logs and one-time
/// codes under `APPLE_DATA_KIND` with the path that answers them and its body. Their IDs are
/// derived from what they answer, so a reset reproduces them.
async fn apply_reports(tx: &mut Tx, team: &SeedTeam, c: &Ctx) -> Result<u64, StoreError> {
    let mut items = Vec::new();
    for report in &team.reports {
        let key: Vec<String> = report.filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let id = stable_uuid(&["report", team.name.trim(), &report.kind, &key.join("&")]).to_string();
        let mut attributes = serde_json::Map::new();
        attributes.insert("filters".into(), serde_json::to_value(&report.filters).unwrap_or_default());
        attributes.insert("rows".into(), serde_json::to_value(&report.rows).unwrap_or_default());
        items.push((report.kind.clone(), id, attributes));
    }
    for data in &team.data {
        let id = stable_uuid(&["data", team.name.trim(), &data.path]).to_string();
        let mut attributes = serde_json::Map::new();
        attributes.insert("path".into(), data.path.clone().into());
        if let Some(json) = &data.json {
            attributes.insert("json".into(), json.clone());
        }
        if let Some(text) = &data.text {
            attributes.insert("text".into(), text.clone().into());
        }
        items.push((keyward_core::seed::APPLE_DATA_KIND.to_owned(), id, attributes));
    }
    let mut changes = 0;
    for (kind, id, attributes) in items {
        let resource = Resource {
            team_id: c.team_id,
            kind,
            id,
            app: None,
            attributes,
            relationships: BTreeMap::new(),
            created_at: c.at,
            updated_at: c.at,
        };
        match resource_rows::in_tx(tx, c.team_id, &resource.kind, &resource.id).await {
            Ok(current) if current.attributes == resource.attributes => continue,
            Ok(_) => resource_rows::update(tx, &resource).await?,
            Err(StoreError::Rule(DomainError::NoSuchResource { .. })) => {
                resource_rows::insert(tx, &resource)
                    .await?
                    .or_taken(|| refused(c.tp.clone(), "seeded data clashes".into()))?;
            }
            Err(e) => return Err(e),
        }
        let change =
            Change::Resource { team_id: c.team_id, resource_type: resource.kind.clone(), id: resource.id.clone() };
        tx::change(tx, &change, c.at).await?;
        changes += 1;
    }
    Ok(changes)
}
