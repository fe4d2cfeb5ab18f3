//! Every change to a member (roles, apps they see, provisioning): `PATCH /v1/users/{id}`, the
//! `visibleApps` relationship, the console's Edit and the CLI's `set-roles`, in one transaction
//! with one audit entry (`member_updated`).

use std::collections::BTreeSet;

use keyward_core::actor::ActorContext;
use keyward_core::audit::AuditKind;
use keyward_core::change::Change;
use keyward_core::error::StoreError;
use keyward_core::ids::{AppId, MemberId, TeamId};
use keyward_core::member::{self, Member};
use keyward_core::ports::{MemberUpdate, VisibleAppsChange};

use crate::tx::{self, lock_team, now};
use crate::{Store, apps, member_rows};

pub(crate) async fn update(
    store: &Store,
    team: TeamId,
    id: MemberId,
    update: MemberUpdate,
    actor: &ActorContext,
) -> Result<Member, StoreError> {
    let at = now();
    let mut tx = store.begin_write().await?;
    lock_team(&mut tx, team).await?;
    member::may_manage_members(tx::actor_roles(&mut tx, team, &actor.actor).await?)?;
    let current = member_rows::in_tx(&mut tx, team, id).await?;
    let mut changes = Vec::new();
    if let Some(roles) = update.roles {
        let (requested, explicit) =
            member::next_grant(current.roles, current.individual_keys_explicit, roles, update.roles_as);
        let next = member::change_roles(current.roles, requested)?;
        if next != current.roles {
            changes.push(format!("roles {} → {next}", current.roles));
        } else if explicit != current.individual_keys_explicit {
            let how = if explicit { "explicitly" } else { "by default" };
            changes.push(format!("Generate Individual API Keys now held {how}"));
        }
        member_rows::set_roles(&mut tx, id, next, explicit).await?;
    }
    if let Some(all) = update.all_apps_visible {
        if all != current.all_apps_visible {
            changes.push(format!("all apps visible: {all}"));
        }
        member_rows::set_all_apps_visible(&mut tx, id, all).await?;
    }
    if let Some(allowed) = update.provisioning_allowed {
        if allowed != current.provisioning_allowed {
            changes.push(format!("provisioning allowed: {allowed}"));
        }
        member_rows::set_provisioning_allowed(&mut tx, id, allowed).await?;
    }
    if let Some(change) = update.visible_apps {
        let mut apps: BTreeSet<AppId> = current.visible_apps.iter().copied().collect();
        match &change {
            VisibleAppsChange::Replace(new) => {
                apps::ensure_team_apps(&mut tx, team, new).await?;
                apps = new.iter().copied().collect();
            }
            VisibleAppsChange::Add(new) => {
                apps::ensure_team_apps(&mut tx, team, new).await?;
                apps.extend(new.iter().copied());
            }
            VisibleAppsChange::Remove(gone) => {
                apps::ensure_team_apps(&mut tx, team, gone).await?;
                for g in gone {
                    apps.remove(g);
                }
            }
        }
        member_rows::replace_apps(&mut tx, id, &apps.iter().copied().collect::<Vec<_>>()).await?;
        let listed: Vec<String> = apps.iter().map(ToString::to_string).collect();
        changes.push(format!("visible apps: [{}]", listed.join(", ")));
    }
    let detail = if changes.is_empty() { "no change".to_owned() } else { changes.join("; ") };
    tx::audit(&mut tx, team, actor, AuditKind::MemberUpdated, Some(&current.email), &detail, at).await?;
    tx::change(&mut tx, &Change::Member { team_id: team, member_id: id }, at).await?;
    let updated = member_rows::in_tx(&mut tx, team, id).await?;
    tx::commit(tx).await?;
    Ok(updated)
}
