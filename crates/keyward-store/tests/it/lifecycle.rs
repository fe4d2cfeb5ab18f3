//! The key lifecycle of spec section 3 against real databases (K1–K16).
#![allow(clippy::unwrap_used, clippy::cloned_ref_to_slice_refs)]

use crate::common::*;
use keyward_core::access::AccessState;
use keyward_core::audit::AuditKind;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::key::KeyKind;
use keyward_core::ports::*;
use keyward_core::role::{Role, RoleSet};
use time::{Duration, OffsetDateTime};

fn rule(e: StoreError) -> DomainError {
    match e {
        StoreError::Rule(r) => r,
        other => panic!("expected a rule refusal, got a database failure: {other}"),
    }
}

both_backends!(k1_no_key_before_access_is_approved, |store: keyward_store::Store, _db| async move {
    let t = team(&store, "Acme").await;
    let err = store.generate_key(t.team.id, new_key_id(), team_key("CI"), 50, &operator()).await.unwrap_err();
    assert_eq!(rule(err), DomainError::AccessNotApproved);
    let holder = member_actor(t.member_id, "holder");
    assert_eq!(store.request_access(t.team.id, &holder, false).await.unwrap(), AccessState::Requested);
    let err = store.generate_key(t.team.id, new_key_id(), team_key("CI"), 50, &operator()).await.unwrap_err();
    assert_eq!(rule(err), DomainError::AccessNotApproved);
    assert!(store.keys(t.team.id, OffsetDateTime::now_utc(), 30).await.unwrap().is_empty());
});

both_backends!(k1_only_the_account_holder_requests_access, |store: keyward_store::Store, _db| async move {
    let t = team(&store, "Acme").await;
    let dev = developer(&store, &t, "dev@acme.test").await;
    let err = store.request_access(t.team.id, &member_actor(dev.id, "dev"), false).await.unwrap_err();
    assert_eq!(rule(err), DomainError::NotAccountHolder);
    assert_eq!(store.team(&TeamRef::Name("Acme".into())).await.unwrap().access, AccessState::NotRequested);
});

both_backends!(k2_operator_reviews_and_rejection_allows_a_new_request, |store: keyward_store::Store, _db| async move {
    let t = team(&store, "Acme").await;
    let holder = member_actor(t.member_id, "holder");
    assert!(store.review_access(t.team.id, true, &operator()).await.is_err(), "nothing to review yet");
    store.request_access(t.team.id, &holder, false).await.unwrap();
    assert_eq!(store.review_access(t.team.id, false, &operator()).await.unwrap(), AccessState::Rejected);
    assert_eq!(store.request_access(t.team.id, &holder, false).await.unwrap(), AccessState::Requested);
    assert_eq!(store.review_access(t.team.id, true, &operator()).await.unwrap(), AccessState::Approved);
    let other = team(&store, "Other").await;
    let auto = store.request_access(other.team.id, &member_actor(other.member_id, "h"), true).await.unwrap();
    assert_eq!(auto, AccessState::Approved, "auto_approve_api_access approves at once");
});

both_backends!(
    k3_team_keys_by_holder_or_admin_with_valid_name_and_roles,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let holder = member_actor(t.member_id, "holder");
        let key = store.generate_key(t.team.id, new_key_id(), team_key("  Xcode Cloud "), 50, &holder).await.unwrap();
        assert_eq!((key.kind, key.name.as_str()), (KeyKind::Team, "Xcode Cloud"));
        assert_eq!(key.roles, RoleSet::of(&[Role::AppManager]));
        assert!(key.downloaded_at.is_none());
        let dev = developer(&store, &t, "dev@acme.test").await;
        let err = store
            .generate_key(t.team.id, new_key_id(), team_key("x"), 50, &member_actor(dev.id, "dev"))
            .await
            .unwrap_err();
        assert_eq!(rule(err), DomainError::CannotGenerateTeamKey);
        let bad_roles = NewKey::Team { name: "x".into(), roles: RoleSet::of(&[Role::AccountHolder]) };
        assert!(store.generate_key(t.team.id, new_key_id(), bad_roles, 50, &operator()).await.is_err());
        let bad_name = NewKey::Team { name: "k".repeat(65), roles: RoleSet::of(&[Role::Admin]) };
        assert_eq!(
            rule(store.generate_key(t.team.id, new_key_id(), bad_name, 50, &operator()).await.unwrap_err()),
            DomainError::InvalidKeyName
        );
        assert_eq!(
            store.keys(t.team.id, OffsetDateTime::now_utc(), 30).await.unwrap().len(),
            1,
            "refusals created nothing"
        );
    }
);

both_backends!(k4_the_database_refuses_to_change_a_keys_name_or_roles, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let key = generate_team_key(&store, &t, "CI").await;
    let err =
        store.debug_execute_for_tests(&format!("UPDATE api_keys SET roles = 'ADMIN' WHERE id = '{}'", key.id)).await;
    assert!(err.is_err(), "K4 trigger must refuse");
    let err =
        store.debug_execute_for_tests(&format!("UPDATE api_keys SET name = 'other' WHERE id = '{}'", key.id)).await;
    assert!(err.is_err(), "K4 trigger must refuse");
    assert_eq!(store.key(&key.id).await.unwrap().name, "CI");
});

both_backends!(k5_the_51st_team_key_is_refused, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    for i in 0..3 {
        generate_team_key(&store, &t, &format!("k{i}")).await;
    }
    let err = store.generate_key(t.team.id, new_key_id(), team_key("k4"), 3, &operator()).await.unwrap_err();
    assert_eq!(rule(err), DomainError::TeamKeyLimit { max: 3 });
    let keys = store.keys(t.team.id, OffsetDateTime::now_utc(), 30).await.unwrap();
    store.revoke_keys(t.team.id, &[keys[0].id.clone()], &operator()).await.unwrap();
    store.generate_key(t.team.id, new_key_id(), team_key("k4"), 3, &operator()).await.unwrap();
});

both_backends!(k6_one_active_individual_key_with_permission_and_role, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let dev = developer(&store, &t, "dev@acme.test").await;
    let me = member_actor(dev.id, "dev@acme.test");
    let key =
        store.generate_key(t.team.id, new_key_id(), NewKey::Individual { member_id: dev.id }, 50, &me).await.unwrap();
    assert_eq!((key.kind, key.member_id), (KeyKind::Individual, Some(dev.id)));
    let again = store.generate_key(t.team.id, new_key_id(), NewKey::Individual { member_id: dev.id }, 50, &me).await;
    assert_eq!(rule(again.unwrap_err()), DomainError::IndividualKeyExists);
    let finance = store
        .add_member(
            t.team.id,
            NewMember {
                person: person("fin@acme.test"),
                roles: RoleSet::of(&[Role::Finance]),
                individual_keys: true,
                all_apps_visible: true,
                visible_apps: vec![],
                provisioning_allowed: false,
            },
            &operator(),
        )
        .await
        .unwrap();
    let refused = store
        .generate_key(t.team.id, new_key_id(), NewKey::Individual { member_id: finance.id }, 50, &operator())
        .await;
    assert_eq!(rule(refused.unwrap_err()), DomainError::NoIndividualKeyRole);
    let other = developer(&store, &t, "other@acme.test").await;
    let for_other =
        store.generate_key(t.team.id, new_key_id(), NewKey::Individual { member_id: other.id }, 50, &me).await;
    assert!(for_other.is_err(), "a member generates only their own individual key");
});

both_backends!(k7_removing_the_permission_keeps_the_existing_key, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let dev = developer(&store, &t, "dev@acme.test").await;
    let key = store
        .generate_key(t.team.id, new_key_id(), NewKey::Individual { member_id: dev.id }, 50, &operator())
        .await
        .unwrap();
    store.set_member_roles(t.team.id, dev.id, RoleSet::of(&[Role::Developer]), &operator()).await.unwrap();
    assert!(store.key(&key.id).await.unwrap().is_active(), "K7: not revoked");
    store.revoke_keys(t.team.id, &[key.id.clone()], &operator()).await.unwrap();
    let err = store
        .generate_key(t.team.id, new_key_id(), NewKey::Individual { member_id: dev.id }, 50, &operator())
        .await
        .unwrap_err();
    assert_eq!(rule(err), DomainError::NoIndividualKeyPermission);
});

both_backends!(k9_k10_single_download_by_the_creator, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let holder = member_actor(t.member_id, "holder");
    let key = store.generate_key(t.team.id, new_key_id(), team_key("CI"), 50, &holder).await.unwrap();
    assert_eq!(store.public_key(&key.id).await.unwrap(), None, "no key pair before the download");
    let pair = keyward_token::keypair::generate().unwrap();
    let dev = developer(&store, &t, "dev@acme.test").await;
    let err = store
        .record_download(t.team.id, &key.id, pair.public.spki_der(), &member_actor(dev.id, "dev"))
        .await
        .unwrap_err();
    assert_eq!(rule(err), DomainError::NotKeyCreator);
    let downloaded = store.record_download(t.team.id, &key.id, pair.public.spki_der(), &holder).await.unwrap();
    assert!(downloaded.downloaded_at.is_some());
    assert_eq!(store.public_key(&key.id).await.unwrap().as_deref(), Some(pair.public.spki_der()));
    let second = keyward_token::keypair::generate().unwrap();
    let err = store.record_download(t.team.id, &key.id, second.public.spki_der(), &holder).await.unwrap_err();
    assert!(matches!(rule(err), DomainError::AlreadyDownloaded(_)));
    assert_eq!(store.public_key(&key.id).await.unwrap().as_deref(), Some(pair.public.spki_der()), "first key kept");
    let feed = store.changes_since(0).await.unwrap();
    assert!(feed.iter().any(|e| e.change == Change::KeyDownloaded { team_id: t.team.id, key_id: key.id.clone() }));
});

both_backends!(k11_revocation_is_one_transaction_and_irreversible, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let a = generate_team_key(&store, &t, "a").await;
    let b = generate_team_key(&store, &t, "b").await;
    let unknown = new_key_id();
    let err = store.revoke_keys(t.team.id, &[a.id.clone(), unknown], &operator()).await.unwrap_err();
    assert!(matches!(rule(err), DomainError::NotFound { .. }));
    assert!(store.key(&a.id).await.unwrap().is_active(), "all or nothing");
    let before = store.last_change().await.unwrap();
    let revoked = store.revoke_keys(t.team.id, &[a.id.clone(), b.id.clone()], &operator()).await.unwrap();
    assert_eq!(revoked.len(), 2);
    assert!(revoked.iter().all(|k| k.revoked_by_label.as_deref() == Some("operator (cli)")));
    let feed = store.changes_since(before).await.unwrap();
    assert_eq!(feed.iter().filter(|e| matches!(e.change, Change::KeyRevoked { .. })).count(), 2);
    assert!(matches!(
        rule(store.revoke_keys(t.team.id, &[a.id.clone()], &operator()).await.unwrap_err()),
        DomainError::KeyRevoked(_)
    ));
    let undo =
        store.debug_execute_for_tests(&format!("UPDATE api_keys SET revoked_at = NULL WHERE id = '{}'", a.id)).await;
    assert!(undo.is_err(), "K11: the database refuses un-revoking");
});

both_backends!(k11_keys_of_another_team_are_not_found, |store: keyward_store::Store, _db| async move {
    let a = approved_team(&store, "Acme").await;
    let b = approved_team(&store, "Bolt").await;
    let key = generate_team_key(&store, &a, "a").await;
    let err = store.revoke_keys(b.team.id, &[key.id.clone()], &operator()).await.unwrap_err();
    assert!(matches!(rule(err), DomainError::NotFound { .. }));
    let pair = keyward_token::keypair::generate().unwrap();
    assert!(store.record_download(b.team.id, &key.id, pair.public.spki_der(), &operator()).await.is_err());
    assert!(store.key(&key.id).await.unwrap().is_downloadable());
});

both_backends!(k12_who_revokes, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let dev = developer(&store, &t, "dev@acme.test").await;
    let other = developer(&store, &t, "other@acme.test").await;
    let team_key = generate_team_key(&store, &t, "CI").await;
    let own = store
        .generate_key(t.team.id, new_key_id(), NewKey::Individual { member_id: dev.id }, 50, &operator())
        .await
        .unwrap();
    let err = store.revoke_keys(t.team.id, &[team_key.id.clone()], &member_actor(dev.id, "dev")).await.unwrap_err();
    assert_eq!(rule(err), DomainError::CannotRevoke);
    let err = store.revoke_keys(t.team.id, &[own.id.clone()], &member_actor(other.id, "other")).await.unwrap_err();
    assert_eq!(rule(err), DomainError::CannotRevoke);
    store.revoke_keys(t.team.id, &[own.id.clone()], &member_actor(dev.id, "dev")).await.unwrap();
    store.revoke_keys(t.team.id, &[team_key.id.clone()], &member_actor(t.member_id, "holder")).await.unwrap();
});

both_backends!(k13_revoked_keys_listed_for_retention_then_purged, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let active = generate_team_key(&store, &t, "active").await;
    let gone = generate_team_key(&store, &t, "gone").await;
    store.revoke_keys(t.team.id, &[gone.id.clone()], &operator()).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let listed = store.keys(t.team.id, now, 30).await.unwrap();
    assert_eq!(
        listed.iter().map(|k| k.id.clone()).collect::<Vec<_>>(),
        vec![active.id.clone(), gone.id.clone()],
        "active first"
    );
    let later = now + Duration::days(31);
    assert_eq!(store.keys(t.team.id, later, 30).await.unwrap().len(), 1);
    assert_eq!(store.purge_revoked(now - Duration::days(30)).await.unwrap(), 0, "within retention: kept");
    assert_eq!(store.purge_revoked(later - Duration::days(30)).await.unwrap(), 1);
    assert!(store.key(&gone.id).await.is_err());
    let audit = store.audit(t.team.id).await.unwrap();
    assert!(
        audit.iter().any(|e| e.event == AuditKind::KeyRevoked && e.subject.as_deref() == Some(gone.id.as_str())),
        "audit remains"
    );
});

both_backends!(k14_removing_a_member_revokes_their_individual_key, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let dev = developer(&store, &t, "dev@acme.test").await;
    let key = store
        .generate_key(t.team.id, new_key_id(), NewKey::Individual { member_id: dev.id }, 50, &operator())
        .await
        .unwrap();
    let before = store.last_change().await.unwrap();
    store.remove_member(t.team.id, dev.id, &operator()).await.unwrap();
    let after = store.key(&key.id).await.unwrap();
    assert!(!after.is_active());
    let feed = store.changes_since(before).await.unwrap();
    assert!(feed.iter().any(|e| e.change == Change::KeyRevoked { team_id: t.team.id, key_id: key.id.clone() }));
    assert!(feed.iter().any(|e| e.change == Change::Member { team_id: t.team.id, member_id: dev.id }));
    let holder_removal = store.remove_member(t.team.id, t.member_id, &operator()).await.unwrap_err();
    assert_eq!(rule(holder_removal), DomainError::AccountHolderImmutable);
});

both_backends!(k15_key_events_are_audited_with_actor_and_ip, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let holder = member_actor(t.member_id, "holder@acme.test");
    let key = store.generate_key(t.team.id, new_key_id(), team_key("CI"), 50, &holder).await.unwrap();
    let pair = keyward_token::keypair::generate().unwrap();
    store.record_download(t.team.id, &key.id, pair.public.spki_der(), &holder).await.unwrap();
    store.revoke_keys(t.team.id, &[key.id.clone()], &holder).await.unwrap();
    let events: Vec<_> = store.audit(t.team.id).await.unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.event).collect();
    for k in [
        AuditKind::TeamCreated,
        AuditKind::AccessRequested,
        AuditKind::AccessApproved,
        AuditKind::KeyGenerated,
        AuditKind::KeyDownloaded,
        AuditKind::KeyRevoked,
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let revoke = events.iter().find(|e| e.event == AuditKind::KeyRevoked).unwrap();
    assert_eq!((revoke.actor.as_str(), revoke.actor_ip.as_deref()), ("holder@acme.test", Some("127.0.0.1")));
});

both_backends!(members_roles_and_account_holder_rules, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let dev = developer(&store, &t, "Dev@Acme.test").await;
    assert_eq!(dev.email, "dev@acme.test");
    assert!(dev.roles.contains(Role::GenerateIndividualKeys), "K6: granted by default");
    let dup = store
        .add_member(
            t.team.id,
            NewMember {
                person: person("dev@acme.test"),
                roles: RoleSet::of(&[Role::Sales]),
                individual_keys: true,
                all_apps_visible: true,
                visible_apps: vec![],
                provisioning_allowed: false,
            },
            &operator(),
        )
        .await;
    assert!(matches!(rule(dup.unwrap_err()), DomainError::Conflict(_)));
    let demote = store.set_member_roles(t.team.id, t.member_id, RoleSet::of(&[Role::Admin]), &operator()).await;
    assert_eq!(rule(demote.unwrap_err()), DomainError::AccountHolderImmutable);
    let promote = store.set_member_roles(t.team.id, dev.id, RoleSet::of(&[Role::AccountHolder]), &operator()).await;
    assert_eq!(rule(promote.unwrap_err()), DomainError::CannotGrantAccountHolder);
    let holder = store.account_holder(t.team.id).await.unwrap();
    assert_eq!(holder.id, t.member_id);
    assert_eq!(store.members(t.team.id).await.unwrap().len(), 2);
});

both_backends!(
    k16_last_used_is_kept_to_the_minute_and_never_goes_back,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let key = generate_team_key(&store, &t, "CI").await;
        assert_eq!(key.last_used_at, None);
        let used = time::macros::datetime!(2026-11-26 09:30:42 UTC);
        store.record_last_used(&[(key.id.clone(), used)]).await.unwrap();
        let earlier = time::macros::datetime!(2026-11-26 09:10:00 UTC);
        store.record_last_used(&[(key.id.clone(), earlier)]).await.unwrap();
        assert_eq!(store.key(&key.id).await.unwrap().last_used_at, Some(time::macros::datetime!(2026-11-26 09:30 UTC)));
    }
);

// K8: a drawn Key ID already in use, in this team or another, is refused as taken (the caller draws
// again) and nothing is written.
both_backends!(k8_a_key_id_in_use_is_refused_as_taken, |store: keyward_store::Store, _db| async move {
    let a = approved_team(&store, "Acme").await;
    let b = approved_team(&store, "Bolt").await;
    let existing = generate_team_key(&store, &a, "a").await;
    for team in [&a, &b] {
        let err = store
            .generate_key(team.team.id, existing.id.clone(), team_key("again"), 50, &operator())
            .await
            .unwrap_err();
        assert_eq!(rule(err), DomainError::KeyIdTaken(existing.id.to_string()));
    }
    assert_eq!(store.key(&existing.id).await.unwrap().name, "a", "nothing written");
});
