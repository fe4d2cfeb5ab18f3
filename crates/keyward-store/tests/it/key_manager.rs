//! X1 in storage: who grants `KEY_MANAGER` and what may hold it; a key manager's standing read in
//! each write's own transaction, so a revocation, a withdrawn grant or an expiry that committed
//! first wins; a successor keeps the capability only when a person rotated.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::actor::{Actor, ActorContext};
use keyward_core::capability::Capability;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::key::ApiKey;
use keyward_core::ports::{AuditStore, KeyStore, KeyTerms, NewKey};
use keyward_core::role::{Role, RoleSet};
use time::Duration;

fn rule(e: StoreError) -> DomainError {
    match e {
        StoreError::Rule(r) => r,
        other => panic!("expected a rule, got {other:?}"),
    }
}

fn as_manager(key: &ApiKey) -> ActorContext {
    ActorContext {
        actor: Actor::KeyManager { key_id: key.id.clone() },
        label: format!("key manager {}", key.id),
        ip: None,
    }
}

fn admin_key(name: &str) -> NewKey {
    NewKey::Team { name: name.into(), roles: RoleSet::of(&[Role::Admin]) }
}

both_backends!(
    x1_only_people_grant_key_manager_and_only_to_working_admin_team_keys,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let manager =
            store.generate_key(t.team.id, new_key_id(), admin_key("Automation"), 50, &operator()).await.unwrap();
        let app_manager = generate_team_key(&store, &t, "Builds").await;
        let dev = developer(&store, &t, "dev@acme.test").await;
        let km = Capability::KeyManager;

        let refused = store.set_key_capability(t.team.id, &app_manager.id, km, true, &operator()).await;
        assert_eq!(rule(refused.unwrap_err()), DomainError::NotForKeyManager);
        let by_developer =
            store.set_key_capability(t.team.id, &manager.id, km, true, &member_actor(dev.id, "dev")).await;
        assert_eq!(rule(by_developer.unwrap_err()), DomainError::CannotGrantCapability);
        let holder = member_actor(t.member_id, "holder");
        let granted = store.set_key_capability(t.team.id, &manager.id, km, true, &holder).await.unwrap();
        assert!(granted.key_manager);
        // A key manager cannot widen what keys may do: no grant by a key, to itself or another.
        let other = store.generate_key(t.team.id, new_key_id(), admin_key("Other"), 50, &operator()).await.unwrap();
        let by_key = store.set_key_capability(t.team.id, &other.id, km, true, &as_manager(&manager)).await;
        assert_eq!(rule(by_key.unwrap_err()), DomainError::CannotGrantCapability);
        // Another team's Admin, or operator acting on the wrong team, finds no such key.
        let elsewhere = approved_team(&store, "Other").await;
        let wrong_team = store.set_key_capability(elsewhere.team.id, &manager.id, km, false, &operator()).await;
        assert!(matches!(rule(wrong_team.unwrap_err()), DomainError::NotFound { .. }));
        assert!(store.key(&manager.id).await.unwrap().key_manager, "nothing changed");
        // Idempotent: granting again writes nothing.
        let audit_before = store.audit(t.team.id).await.unwrap().len();
        store.set_key_capability(t.team.id, &manager.id, km, true, &holder).await.unwrap();
        assert_eq!(store.audit(t.team.id).await.unwrap().len(), audit_before);
    }
);

both_backends!(
    x1_a_key_manager_acts_only_while_it_holds_the_grant_and_works,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let km = Capability::KeyManager;
        let manager =
            store.generate_key(t.team.id, new_key_id(), admin_key("Automation"), 50, &operator()).await.unwrap();
        // Not yet granted: refused like any API key.
        let before = store.generate_key(t.team.id, new_key_id(), team_key("CI"), 50, &as_manager(&manager)).await;
        assert_eq!(rule(before.unwrap_err()), DomainError::NotKeyManager);
        store.set_key_capability(t.team.id, &manager.id, km, true, &operator()).await.unwrap();
        let made =
            store.generate_key(t.team.id, new_key_id(), team_key("CI"), 50, &as_manager(&manager)).await.unwrap();
        assert_eq!(made.created_by, Actor::KeyManager { key_id: manager.id.clone() });
        // K10: the key that made a team key downloads it; nobody else.
        let pair = keyward_token::keypair::generate().unwrap();
        let other = store.record_download(t.team.id, &made.id, pair.public.spki_der(), &operator()).await;
        assert_eq!(rule(other.unwrap_err()), DomainError::NotKeyCreator);
        store.record_download(t.team.id, &made.id, pair.public.spki_der(), &as_manager(&manager)).await.unwrap();
        // Withdrawn: the next write is refused, whatever the caller's cache says.
        store.set_key_capability(t.team.id, &manager.id, km, false, &operator()).await.unwrap();
        let withdrawn = store.revoke_keys(t.team.id, std::slice::from_ref(&made.id), &as_manager(&manager)).await;
        assert_eq!(rule(withdrawn.unwrap_err()), DomainError::NotKeyManager);
        // Granted again, then revoked: refused, and so is a key of another team it names.
        store.set_key_capability(t.team.id, &manager.id, km, true, &operator()).await.unwrap();
        let elsewhere = approved_team(&store, "Other").await;
        let theirs = generate_team_key(&store, &elsewhere, "Theirs").await;
        let across =
            store.revoke_keys(elsewhere.team.id, std::slice::from_ref(&theirs.id), &as_manager(&manager)).await;
        assert_eq!(rule(across.unwrap_err()), DomainError::NotKeyManager, "its grant is in its own team only");
        store.revoke_keys(t.team.id, std::slice::from_ref(&manager.id), &operator()).await.unwrap();
        let after = store.generate_key(t.team.id, new_key_id(), team_key("Late"), 50, &as_manager(&manager)).await;
        assert_eq!(rule(after.unwrap_err()), DomainError::NotKeyManager);
        assert!(store.key(&theirs.id).await.unwrap().revoked_at.is_none());
    }
);

both_backends!(
    x1_x4_a_successor_keeps_key_manager_only_when_a_person_rotates,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let km = Capability::KeyManager;
        let manager =
            store.generate_key(t.team.id, new_key_id(), admin_key("Automation"), 50, &operator()).await.unwrap();
        store.set_key_capability(t.team.id, &manager.id, km, true, &operator()).await.unwrap();
        let by_person = store
            .rotate_key(t.team.id, &manager.id, new_key_id(), Duration::ZERO, KeyTerms::default(), 50, &operator())
            .await
            .unwrap();
        assert!(by_person.successor.key_manager, "an Admin's rotation keeps the automation working");
        let successor = by_person.successor;
        let by_itself = store
            .rotate_key(
                t.team.id,
                &successor.id,
                new_key_id(),
                Duration::hours(1),
                KeyTerms::default(),
                50,
                &as_manager(&successor),
            )
            .await
            .unwrap();
        assert!(!by_itself.successor.key_manager, "a key hands on name, roles and kind, never the grant");
        // During the grace period the rotated-out manager still works, as any rotated-out key does.
        let during = store.generate_key(t.team.id, new_key_id(), team_key("CI"), 50, &as_manager(&successor)).await;
        assert!(during.is_ok(), "{during:?}");
    }
);

// A key manager makes a member's individual key, but never its pair: neither an upload nor a pair
// handed over, nor the download, which stays the member's (K10).
both_backends!(x1_a_key_manager_never_holds_a_members_individual_key, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let manager = store.generate_key(t.team.id, new_key_id(), admin_key("Automation"), 50, &operator()).await.unwrap();
    store.set_key_capability(t.team.id, &manager.id, Capability::KeyManager, true, &operator()).await.unwrap();
    let dev = developer(&store, &t, "dev@acme.test").await;
    let pair = keyward_token::keypair::generate().unwrap();
    let individual = NewKey::Individual { member_id: dev.id };
    let with_pair = KeyTerms { public_key: Some(pair.public.spki_der().to_vec()), ..KeyTerms::default() };
    let uploaded = store
        .generate_key_with(t.team.id, new_key_id(), individual.clone(), with_pair.clone(), 50, &as_manager(&manager))
        .await;
    assert!(matches!(rule(uploaded.unwrap_err()), DomainError::NotAllowed(_)));
    let handed = KeyTerms { handed_over: true, ..with_pair };
    let handed =
        store.generate_key_with(t.team.id, new_key_id(), individual.clone(), handed, 50, &as_manager(&manager)).await;
    assert!(matches!(rule(handed.unwrap_err()), DomainError::NotAllowed(_)));
    let made = store.generate_key(t.team.id, new_key_id(), individual, 50, &as_manager(&manager)).await.unwrap();
    let download = store.record_download(t.team.id, &made.id, pair.public.spki_der(), &as_manager(&manager)).await;
    assert_eq!(rule(download.unwrap_err()), DomainError::NotKeyOwner);
    store.record_download(t.team.id, &made.id, pair.public.spki_der(), &member_actor(dev.id, "dev")).await.unwrap();
    // A team key's pair handed over in its creation: downloaded at once, audited as such.
    let team_pair = keyward_token::keypair::generate().unwrap();
    let handed =
        KeyTerms { public_key: Some(team_pair.public.spki_der().to_vec()), handed_over: true, ..KeyTerms::default() };
    let ci = store
        .generate_key_with(t.team.id, new_key_id(), team_key("CI"), handed, 50, &as_manager(&manager))
        .await
        .unwrap();
    assert!(ci.downloaded_at.is_some() && !ci.uploaded && !ci.is_downloadable());
    let audit = store.audit(t.team.id).await.unwrap();
    assert!(
        audit.iter().any(|e| e.event == keyward_core::audit::AuditKind::KeyDownloaded
            && e.subject.as_deref() == Some(ci.id.as_str()))
    );
});
