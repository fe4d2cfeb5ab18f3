//! The `ResourceStore`: every write of a generic resource in one transaction that locks its team
//! first (so writes to one resource, and the checks of its links, never interleave), checks its
//! links, writes the row through `resource_rows.rs` and appends the change (M1).

use keyward_core::change::Change;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::ids::TeamId;
use keyward_core::ports::ResourceStore;
use keyward_core::resource::{AlsoWrite, Guard, Link, Notice, Resource, ResourceUpdate, WriteRules};
use keyward_core::webhook;

use crate::error::backend_error;
use crate::sql::Dynamic;
use crate::tx::{self, lock_team};
use crate::{Store, resource_rows};

fn change(r: &Resource) -> Change {
    Change::Resource { team_id: r.team_id, resource_type: r.kind.clone(), id: r.id.clone() }
}

impl ResourceStore for Store {
    async fn create_resource(
        &self,
        resource: Resource,
        rules: WriteRules,
    ) -> Result<(Resource, Vec<Change>), StoreError> {
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, resource.team_id).await?;
        keep_guards(&mut tx, &resource, &rules.guards).await?;
        let team = resource.team_id;
        let created = insert_in(&mut tx, resource).await?;
        let also = also_write(&mut tx, team, &rules).await?;
        tx::commit(tx).await?;
        Ok((created, also))
    }

    async fn update_resource(
        &self,
        team: TeamId,
        kind: &str,
        id: &str,
        update: ResourceUpdate,
        rules: WriteRules,
    ) -> Result<(Resource, Vec<Change>), StoreError> {
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        let resource = update_in(&mut tx, team, kind, id, update, &rules.guards).await?;
        let mut changes = cascade(&mut tx, &resource, &rules).await?;
        changes.extend(also_write(&mut tx, team, &rules).await?);
        tx::commit(tx).await?;
        Ok((resource, changes))
    }

    async fn delete_resource(
        &self,
        team: TeamId,
        kind: &str,
        id: &str,
        rules: WriteRules,
    ) -> Result<Vec<Change>, StoreError> {
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        let found = resource_rows::in_tx(&mut tx, team, kind, id).await?;
        resource_rows::delete(&mut tx, team, kind, id).await?;
        let gone = Change::Resource { team_id: team, resource_type: kind.to_owned(), id: id.to_owned() };
        tx::change(&mut tx, &gone, resource_rows::now()).await?;
        let mut changes = cascade(&mut tx, &found, &rules).await?;
        changes.extend(also_write(&mut tx, team, &rules).await?);
        tx::commit(tx).await?;
        Ok(changes)
    }

    async fn all_resources(&self) -> Result<Vec<Resource>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{}ORDER BY kind, id", resource_rows::COLUMNS)))
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        rows.iter().map(resource_rows::read).collect()
    }

    async fn resources_after(&self, after: Option<(String, String)>, limit: u32) -> Result<Vec<Resource>, StoreError> {
        let mut q = Dynamic::new(resource_rows::COLUMNS);
        if let Some((kind, id)) = after {
            // (kind, id) > (after): spelled out, the same in both dialects.
            q.push("WHERE kind > ")
                .text(kind.clone())
                .push(" OR (kind = ")
                .text(kind)
                .push(" AND id > ")
                .text(id)
                .push(") ");
        }
        q.push("ORDER BY kind, id LIMIT ").int(i64::from(limit));
        let rows = q.query().fetch_all(&mut *self.conn().await?).await.map_err(backend_error)?;
        rows.iter().map(resource_rows::read).collect()
    }

    async fn resources(&self, keys: &[(String, String)]) -> Result<Vec<Resource>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        // A feed batch names at most 1,000; 200 pairs a query stays far below parameter limits.
        for chunk in keys.chunks(200) {
            let mut q = Dynamic::new(resource_rows::COLUMNS);
            q.push("WHERE ");
            for (i, (kind, id)) in chunk.iter().enumerate() {
                if i > 0 {
                    q.push(" OR ");
                }
                q.push("(kind = ").text(kind.clone()).push(" AND id = ").text(id.clone()).push(")");
            }
            let rows = q.query().fetch_all(&mut *self.conn().await?).await.map_err(backend_error)?;
            for row in &rows {
                found.push(resource_rows::read(row)?);
            }
        }
        Ok(found)
    }
}

/// The write's guards against the team's other resources of its type, in its transaction (after
/// the team's lock, so two racing creates see each other).
async fn keep_guards(tx: &mut tx::Tx, resource: &Resource, guards: &[Guard]) -> Result<(), StoreError> {
    // `Was` guards are about the resource itself (checked in `update_in`); only the others need
    // the team's resources of the type.
    if guards.iter().all(|g| matches!(g, Guard::Was { .. })) {
        return Ok(());
    }
    let same_kind = resource_rows::of_kind(tx, resource.team_id, &resource.kind).await?;
    let others = || same_kind.iter().filter(|r| r.id != resource.id);
    for guard in guards {
        let mut holds = guard.holds(others());
        if let Guard::LinkedNot { relationship, .. }
        | Guard::LinkedIs { relationship, .. }
        | Guard::LinkedVia { relationship, .. } = guard
        {
            for link in resource.link(relationship) {
                let linked = resource_rows::in_tx(tx, resource.team_id, &link.kind, &link.id).await?;
                holds &= guard.allows_linked(&linked);
            }
        }
        if !holds {
            let (pointer, detail) = guard.refusal();
            let capped = matches!(guard, Guard::AtMost { .. });
            return Err(DomainError::Refused { pointer, detail: detail.to_owned(), capped }.into());
        }
    }
    Ok(())
}

/// The write's cascades: each resource they reach changed and its change appended, in the
/// write's transaction. The changes, for the caller's own replica.
async fn cascade(tx: &mut tx::Tx, written: &Resource, rules: &WriteRules) -> Result<Vec<Change>, StoreError> {
    let target = Link { kind: written.kind.clone(), id: written.id.clone() };
    let mut changes = Vec::new();
    for cascade in &rules.cascades {
        for mut other in resource_rows::of_kind(tx, written.team_id, &cascade.kind).await? {
            if !cascade.reaches(&other, &target) {
                continue;
            }
            other.attributes.insert(cascade.attribute.clone(), cascade.value.clone());
            other.updated_at = resource_rows::now();
            resource_rows::update(tx, &other).await?;
            let c = change(&other);
            tx::change(tx, &c, other.updated_at).await?;
            changes.push(c);
        }
    }
    Ok(changes)
}

/// A new resource written in `tx` (its team locked): the team's cap, its links, its app (A4,
/// decided from the links as they are now, whatever the caller's copy said), the row and its
/// change.
pub(crate) async fn insert_in(tx: &mut tx::Tx, mut resource: Resource) -> Result<Resource, StoreError> {
    if resource_rows::count(tx, resource.team_id).await? >= resource_rows::MAX_PER_TEAM {
        return Err(DomainError::Conflict(format!(
            "a team keeps at most {} resources; delete some first",
            resource_rows::MAX_PER_TEAM
        ))
        .into());
    }
    let links: Vec<&Link> = resource.relationships.values().flatten().collect();
    resource_rows::ensure_links(tx, resource.team_id, &links).await?;
    resource.app = resource_rows::app_of(tx, resource.team_id, &resource.relationships).await?;
    resource_rows::insert(tx, &resource).await?.or_taken(|| {
        DomainError::Conflict(format!("a resource of type '{}' with id '{}' exists", resource.kind, resource.id)).into()
    })?;
    tx::change(tx, &change(&resource), resource.updated_at).await?;
    Ok(resource)
}

/// One resource changed in `tx`: attributes set, relationships changed (links added are checked,
/// at most `MAX_LINKS` each), its app decided again (A4), the guards kept, the row and its change.
pub(crate) async fn update_in(
    tx: &mut tx::Tx,
    team: TeamId,
    kind: &str,
    id: &str,
    update: ResourceUpdate,
    guards: &[Guard],
) -> Result<Resource, StoreError> {
    let mut resource = resource_rows::in_tx(tx, team, kind, id).await?;
    if let Some(guard) = guards.iter().find(|g| !g.allows_before(&resource)) {
        return Err(DomainError::Conflict(guard.refusal().1.to_owned()).into());
    }
    for (name, value) in update.attributes {
        resource.attributes.insert(name, value);
    }
    let mut added = Vec::new();
    for (name, links) in &update.relationships {
        let next = links.apply(resource.link(name));
        if next.len() > resource_rows::MAX_LINKS {
            return Err(DomainError::Conflict(format!(
                "the relationship {name} holds at most {} linkages",
                resource_rows::MAX_LINKS
            ))
            .into());
        }
        let current: std::collections::HashSet<&Link> = resource.link(name).iter().collect();
        added.extend(next.iter().filter(|l| !current.contains(l)).cloned());
        resource.relationships.insert(name.clone(), next);
    }
    resource_rows::ensure_links(tx, team, &added.iter().collect::<Vec<_>>()).await?;
    resource.app = resource_rows::app_of(tx, team, &resource.relationships).await?;
    resource.updated_at = resource_rows::now();
    keep_guards(tx, &resource, guards).await?;
    resource_rows::update(tx, &resource).await?;
    tx::change(tx, &change(&resource), resource.updated_at).await?;
    Ok(resource)
}

/// The writes carried along (`WriteRules::also`), in order; their changes.
async fn also_write(tx: &mut tx::Tx, team: TeamId, rules: &WriteRules) -> Result<Vec<Change>, StoreError> {
    let mut changes = Vec::new();
    for write in &rules.also {
        let written = match write {
            AlsoWrite::Create(resource) if resource.team_id == team => insert_in(tx, resource.clone()).await?,
            AlsoWrite::Create(_) => return Err(StoreError::Backend("a write carried into another team".into())),
            AlsoWrite::Update { kind, id, update, guards } => {
                update_in(tx, team, kind, id, update.clone(), guards).await?
            }
            AlsoWrite::DeleteLinking { kind, relationship, target, keep } => {
                for other in resource_rows::of_kind(tx, team, kind).await? {
                    if other.id != *keep
                        && other.link(relationship).contains(target)
                        && resource_rows::delete(tx, team, kind, &other.id).await?
                    {
                        let gone =
                            Change::Resource { team_id: team, resource_type: kind.clone(), id: other.id.clone() };
                        tx::change(tx, &gone, resource_rows::now()).await?;
                        changes.push(gone);
                    }
                }
                continue;
            }
            AlsoWrite::Ensure(resource) if resource.team_id == team => {
                match resource_rows::in_tx(tx, team, &resource.kind, &resource.id).await {
                    Ok(_) => continue,
                    Err(StoreError::Rule(DomainError::NoSuchResource { .. })) => {
                        insert_in(tx, resource.clone()).await?
                    }
                    Err(e) => return Err(e),
                }
            }
            AlsoWrite::Ensure(_) => return Err(StoreError::Backend("a write carried into another team".into())),
            AlsoWrite::Notify(notice) => {
                changes.extend(notify(tx, team, notice).await?);
                continue;
            }
            AlsoWrite::Delete { kind, id } => {
                if resource_rows::delete(tx, team, kind, id).await? {
                    let gone = Change::Resource { team_id: team, resource_type: kind.clone(), id: id.clone() };
                    tx::change(tx, &gone, resource_rows::now()).await?;
                    changes.push(gone);
                }
                continue;
            }
        };
        changes.push(change(&written));
    }
    Ok(changes)
}

/// The deliveries of `notice` to each webhook of the team that takes it (spec F5), written in
/// `tx`: the outbox row of every event is written with the change it reports.
pub(crate) async fn notify(tx: &mut tx::Tx, team: TeamId, notice: &Notice) -> Result<Vec<Change>, StoreError> {
    let (kind, id) = &notice.instance;
    let url = format!("{}/v1/{kind}/{id}", notice.base);
    let at = resource_rows::now();
    let mut written = Vec::new();
    for hook in resource_rows::of_kind(tx, team, "webhooks")
        .await?
        .iter()
        .filter(|h| webhook::takes(h, &notice.event, notice.app))
    {
        let event_id = uuid::Uuid::new_v4().to_string();
        let body = webhook::payload(&event_id, &notice.event, notice.attributes.clone(), Some((kind, id, url.clone())));
        let delivery = webhook::delivery(team, uuid::Uuid::new_v4().to_string(), hook, body, at, &notice.now, false);
        let made = insert_in(tx, delivery).await?;
        written.push(change(&made));
    }
    Ok(written)
}
