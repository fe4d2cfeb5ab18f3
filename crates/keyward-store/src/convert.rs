//! Rows to domain types. Stored values were written by us, so a value that does not parse is a
//! storage fault, not a client error.

use keyward_core::access::AccessState;
use keyward_core::actor::Actor;
use keyward_core::app::App;
use keyward_core::audit::{AuditEvent, AuditKind};
use keyward_core::error::StoreError;
use keyward_core::ids::{AppId, KeyId, MemberId, PersonId, TeamId};
use keyward_core::key::{ApiKey, KeyKind};
use keyward_core::member::Member;
use keyward_core::role::RoleSet;
use keyward_core::team::Team;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::error::{backend_error, corrupt};

pub(crate) fn get<'r, T>(row: &'r AnyRow, col: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(col).map_err(backend_error)
}

/// A column holding an ID (or any value) as text.
pub(crate) fn parsed<T: std::str::FromStr>(row: &AnyRow, col: &str) -> Result<T, StoreError> {
    let s: String = get(row, col)?;
    s.parse().map_err(|_| StoreError::Backend(format!("stored {col} '{s}' is invalid")))
}

/// Booleans are BOOLEAN on PostgreSQL and INTEGER 0/1 on SQLite.
pub(crate) fn flag(row: &AnyRow, col: &str) -> Result<bool, StoreError> {
    match row.try_get::<bool, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => row.try_get::<i64, _>(col).map(|n| n != 0).map_err(backend_error),
    }
}

fn opt_flag(row: &AnyRow, col: &str) -> Result<Option<bool>, StoreError> {
    match row.try_get::<Option<bool>, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => row.try_get::<Option<i64>, _>(col).map(|n| n.map(|n| n != 0)).map_err(backend_error),
    }
}

pub(crate) fn time(secs: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(secs).map_err(|_| corrupt("time", secs))
}

fn opt_time(secs: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    secs.map(time).transpose()
}

pub(crate) fn roles(list: &str) -> Result<RoleSet, StoreError> {
    RoleSet::parse_list(list).map_err(|_| corrupt("roles", list))
}

fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, StoreError> {
    s.parse().map_err(|_| corrupt(what, s))
}

pub(crate) fn team(row: &AnyRow) -> Result<Team, StoreError> {
    Ok(Team {
        id: parse::<TeamId>("team id", &get::<String>(row, "id")?)?,
        issuer_id: parse("issuer id", &get::<String>(row, "issuer_id")?)?,
        name: get(row, "name")?,
        access: parse::<AccessState>("access state", &get::<String>(row, "access_state")?)?,
        rate_limit_per_hour: get::<Option<i64>>(row, "rate_limit_per_hour")?.and_then(|n| u32::try_from(n).ok()),
        max_key_lifetime_days: get::<Option<i64>>(row, "max_key_lifetime_days")?.and_then(|n| u32::try_from(n).ok()),
        created_at: time(get(row, "created_at")?)?,
    })
}

/// Expects the member columns plus `email`, `first_name`, `last_name` of the person; visible apps
/// are filled in by the caller.
pub(crate) fn member(row: &AnyRow) -> Result<Member, StoreError> {
    Ok(Member {
        id: parse::<MemberId>("member id", &get::<String>(row, "id")?)?,
        team_id: parse("team id", &get::<String>(row, "team_id")?)?,
        person_id: parse::<PersonId>("person id", &get::<String>(row, "person_id")?)?,
        email: get(row, "email")?,
        first_name: get(row, "first_name")?,
        last_name: get(row, "last_name")?,
        roles: roles(&get::<String>(row, "roles")?)?,
        individual_keys_explicit: flag(row, "individual_keys_explicit")?,
        all_apps_visible: flag(row, "all_apps_visible")?,
        provisioning_allowed: flag(row, "provisioning_allowed")?,
        visible_apps: Vec::new(),
        created_at: time(get(row, "created_at")?)?,
    })
}

pub(crate) fn app(row: &AnyRow) -> Result<App, StoreError> {
    Ok(App {
        id: AppId(get(row, "id")?),
        team_id: Some(parse("team id", &get::<String>(row, "team_id")?)?),
        name: get(row, "name")?,
        bundle_id: get(row, "bundle_id")?,
        sku: get(row, "sku")?,
        primary_locale: get(row, "primary_locale")?,
        is_or_ever_was_made_for_kids: flag(row, "is_or_ever_was_made_for_kids")?,
        subscription_status_url: get(row, "subscription_status_url")?,
        subscription_status_url_version: get(row, "subscription_status_url_version")?,
        subscription_status_url_for_sandbox: get(row, "subscription_status_url_for_sandbox")?,
        subscription_status_url_version_for_sandbox: get(row, "subscription_status_url_version_for_sandbox")?,
        available_in_new_territories: opt_flag(row, "available_in_new_territories")?,
        content_rights_declaration: get(row, "content_rights_declaration")?,
        streamlined_purchasing_enabled: opt_flag(row, "streamlined_purchasing_enabled")?,
        created_at: Some(time(get(row, "created_at")?)?),
    })
}

pub(crate) fn key(row: &AnyRow) -> Result<ApiKey, StoreError> {
    let created_by =
        match (get::<Option<String>>(row, "created_by_member")?, get::<Option<String>>(row, "created_by_key")?) {
            (Some(m), _) => Actor::Member(parse("member id", &m)?),
            (None, Some(k)) => Actor::KeyManager { key_id: KeyId::parse(&k).map_err(|e| corrupt("key id", e))? },
            (None, None) => Actor::Operator,
        };
    Ok(ApiKey {
        id: KeyId::parse(&get::<String>(row, "id")?).map_err(|e| corrupt("key id", e))?,
        team_id: parse("team id", &get::<String>(row, "team_id")?)?,
        kind: parse::<KeyKind>("key kind", &get::<String>(row, "kind")?)?,
        name: get(row, "name")?,
        roles: roles(&get::<String>(row, "roles")?)?,
        member_id: get::<Option<String>>(row, "member_id")?.map(|m| parse("member id", &m)).transpose()?,
        created_by,
        created_by_label: get(row, "created_by_label")?,
        created_at: time(get(row, "created_at")?)?,
        downloaded_at: opt_time(get(row, "downloaded_at")?)?,
        revoked_at: opt_time(get(row, "revoked_at")?)?,
        revoked_by_label: get(row, "revoked_by_label")?,
        last_used_at: opt_time(get(row, "last_used_at")?)?,
        expires_at: opt_time(get(row, "expires_at")?)?,
        revoke_at: opt_time(get(row, "revoke_at")?)?,
        replaces: get::<Option<String>>(row, "replaces")?
            .map(|k| KeyId::parse(&k).map_err(|e| corrupt("key id", e)))
            .transpose()?,
        uploaded: flag(row, "uploaded")?,
        key_manager: flag(row, "key_manager")?,
    })
}

pub(crate) fn audit_event(row: &AnyRow) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        seq: get(row, "seq")?,
        team_id: Some(parse("team id", &get::<String>(row, "team_id")?)?),
        at: time(get(row, "at")?)?,
        event: parse::<AuditKind>("audit event", &get::<String>(row, "event")?)?,
        actor: get(row, "actor")?,
        actor_ip: get(row, "actor_ip")?,
        subject: get(row, "subject")?,
        detail: get(row, "detail")?,
    })
}
