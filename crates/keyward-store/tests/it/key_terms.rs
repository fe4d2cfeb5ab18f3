//! X2–X4 in storage: keys made from uploaded public keys, expiry and the team's cap, rotation and
//! the revocation at the end of its grace period, on both backends and under racing calls.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::key::{KeyKind, KeyState};
use keyward_core::ports::{KeyStore, KeyTerms, NewKey, TeamStore};
use time::{Duration, OffsetDateTime};

fn uploaded() -> KeyTerms {
    let pair = keyward_token::keypair::generate().unwrap();
    KeyTerms { public_key: Some(pair.public.spki_der().to_vec()), expires_at: None, ..KeyTerms::default() }
}

fn rule(e: StoreError) -> DomainError {
    match e {
        StoreError::Rule(r) => r,
        other => panic!("expected a rule, got {other:?}"),
    }
}

both_backends!(
    x2_an_uploaded_public_key_makes_a_working_key_once_and_never_again,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let other = approved_team(&store, "Other").await;
        let terms = uploaded();
        let key = store
            .generate_key_with(t.team.id, new_key_id(), team_key("Mine"), terms.clone(), 50, &operator())
            .await
            .unwrap();
        assert!(key.uploaded && key.downloaded_at.is_some(), "usable at once: {key:?}");
        assert_eq!(store.public_key(&key.id).await.unwrap(), terms.public_key);
        let download = store.record_download(t.team.id, &key.id, b"ignored", &operator()).await.unwrap_err();
        assert!(matches!(rule(download), DomainError::NoDownload(_)));
        for team in [t.team.id, other.team.id] {
            let again =
                store.generate_key_with(team, new_key_id(), team_key("Copy"), terms.clone(), 50, &operator()).await;
            assert_eq!(rule(again.unwrap_err()), DomainError::PublicKeyInUse, "in any team");
        }
        store.revoke_keys(t.team.id, std::slice::from_ref(&key.id), &operator()).await.unwrap();
        assert_eq!(store.purge_revoked(OffsetDateTime::now_utc() + Duration::seconds(1)).await.unwrap(), 1);
        let revived = store.generate_key_with(t.team.id, new_key_id(), team_key("Back"), terms, 50, &operator()).await;
        assert_eq!(rule(revived.unwrap_err()), DomainError::PublicKeyInUse, "a purged key's pair stays retired");
    }
);

both_backends!(
    x3_new_keys_expire_within_the_teams_cap_set_by_admins_only,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let dev = developer(&store, &t, "dev@acme.test").await;
        let refused = store.set_key_lifetime_cap(t.team.id, Some(30), &member_actor(dev.id, "dev")).await;
        assert!(matches!(rule(refused.unwrap_err()), DomainError::NotAllowed(_)));
        assert_eq!(
            store.set_key_lifetime_cap(t.team.id, Some(30), &operator()).await.unwrap().max_key_lifetime_days,
            Some(30)
        );
        let now = OffsetDateTime::now_utc();
        let capped = generate_team_key(&store, &t, "Capped").await;
        let expires = capped.expires_at.expect("the cap gives an expiry");
        assert!((expires - (now + Duration::days(30))).abs() < Duration::seconds(5), "{expires}");
        let too_long = KeyTerms { public_key: None, expires_at: Some(now + Duration::days(31)), ..KeyTerms::default() };
        let over = store.generate_key_with(t.team.id, new_key_id(), team_key("Long"), too_long, 50, &operator()).await;
        assert!(matches!(rule(over.unwrap_err()), DomainError::LifetimeOverCap { days: 30, .. }));
        let past = KeyTerms { public_key: None, expires_at: Some(now - Duration::seconds(1)), ..KeyTerms::default() };
        let gone = store.generate_key_with(t.team.id, new_key_id(), team_key("Past"), past, 50, &operator()).await;
        assert_eq!(rule(gone.unwrap_err()), DomainError::ExpiryNotInFuture);
        store.set_key_lifetime_cap(t.team.id, None, &operator()).await.unwrap();
        assert_eq!(generate_team_key(&store, &t, "Free").await.expires_at, None);
    }
);

both_backends!(
    x3_an_expired_key_holds_no_place_and_makes_way_for_a_new_individual_key,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let dev = developer(&store, &t, "dev@acme.test").await;
        let soon = KeyTerms {
            public_key: None,
            expires_at: Some(OffsetDateTime::now_utc() + Duration::seconds(1)),
            ..KeyTerms::default()
        };
        let mine = NewKey::Individual { member_id: dev.id };
        let first = store
            .generate_key_with(t.team.id, new_key_id(), mine.clone(), soon.clone(), 50, &operator())
            .await
            .unwrap();
        let team_key_soon =
            store.generate_key_with(t.team.id, new_key_id(), team_key("Soon"), soon, 1, &operator()).await.unwrap();
        let early = store.generate_key(t.team.id, new_key_id(), mine.clone(), 50, &operator()).await;
        assert_eq!(rule(early.unwrap_err()), DomainError::IndividualKeyExists);
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let now = OffsetDateTime::now_utc();
        assert_eq!(store.key(&first.id).await.unwrap().state(now), KeyState::Expired);
        let second = store.generate_key(t.team.id, new_key_id(), mine, 50, &operator()).await.unwrap();
        assert_eq!(store.key(&first.id).await.unwrap().state(now), KeyState::Revoked, "made way, audited");
        assert!(second.is_active());
        // K5 with a cap of 1: the expired team key holds no place.
        generate_team_key_max(&store, &t, "Next", 1).await;
        assert_eq!(store.key(&team_key_soon.id).await.unwrap().state(now), KeyState::Expired, "listed as expired");
    }
);

async fn generate_team_key_max(
    store: &keyward_store::Store,
    t: &keyward_core::ports::TeamCreated,
    name: &str,
    max: u32,
) {
    store.generate_key(t.team.id, new_key_id(), team_key(name), max, &operator()).await.unwrap();
}

both_backends!(
    x4_a_successor_inherits_the_key_and_the_predecessor_is_revoked_once_when_grace_ends,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let old = generate_team_key(&store, &t, "CI").await;
        // With room for one team key: the predecessor steps aside, so its successor fits.
        let grace = Duration::hours(1);
        let rotated = store
            .rotate_key(t.team.id, &old.id, new_key_id(), grace, KeyTerms::default(), 1, &operator())
            .await
            .unwrap();
        let (pred, succ) = (&rotated.predecessor, &rotated.successor);
        assert_eq!((succ.name.as_str(), succ.roles, succ.kind), (old.name.as_str(), old.roles, KeyKind::Team));
        assert_eq!(succ.replaces.as_ref(), Some(&old.id));
        let now = OffsetDateTime::now_utc();
        assert!(pred.revoke_at.is_some_and(|at| (at - (now + grace)).abs() < Duration::seconds(5)));
        assert_eq!(pred.state(now), KeyState::Active, "working through its grace period");
        let twice =
            store.rotate_key(t.team.id, &old.id, new_key_id(), grace, KeyTerms::default(), 50, &operator()).await;
        assert!(matches!(rule(twice.unwrap_err()), DomainError::AlreadyRotating(_)));
        assert!(store.revoke_rotated_out(now).await.unwrap().is_empty(), "not before its time");
        let later = now + Duration::hours(2);
        let (first, second) = tokio::join!(store.revoke_rotated_out(later), store.revoke_rotated_out(later));
        let revoked: Vec<_> = first.unwrap().into_iter().chain(second.unwrap()).collect();
        assert_eq!(revoked.len(), 1, "two sweeps, one revocation");
        let gone = store.key(&old.id).await.unwrap();
        assert_eq!(gone.revoked_at, gone.revoke_at, "revoked as of the end of its grace period");
        // At once: the predecessor is revoked in the rotation's own transaction.
        let at_once = store
            .rotate_key(t.team.id, &succ.id, new_key_id(), Duration::ZERO, KeyTerms::default(), 50, &operator())
            .await
            .unwrap();
        assert!(at_once.predecessor.revoked_at.is_some());
    }
);

both_backends!(
    x4_an_individual_key_rotates_with_grace_beside_its_successor_and_racing_rotations_make_one,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let dev = developer(&store, &t, "dev@acme.test").await;
        let me = member_actor(dev.id, "dev@acme.test");
        let old = store
            .generate_key(t.team.id, new_key_id(), NewKey::Individual { member_id: dev.id }, 50, &me)
            .await
            .unwrap();
        let other = developer(&store, &t, "eve@acme.test").await;
        let eve = member_actor(other.id, "eve@acme.test");
        let stolen =
            store.rotate_key(t.team.id, &old.id, new_key_id(), Duration::hours(1), KeyTerms::default(), 50, &eve).await;
        assert!(stolen.is_err(), "K6: nobody rotates someone else's individual key");
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (store, me, id, team) = (store.clone(), me.clone(), old.id.clone(), t.team.id);
                tokio::spawn(async move {
                    store.rotate_key(team, &id, new_key_id(), Duration::hours(1), KeyTerms::default(), 50, &me).await
                })
            })
            .collect();
        let mut successors = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(r) => successors.push(r.successor),
                Err(e) => assert!(matches!(rule(e), DomainError::AlreadyRotating(_)), "the losers are told why"),
            }
        }
        assert_eq!(successors.len(), 1, "one rotation wins");
        assert_eq!(successors[0].member_id, Some(dev.id));
        let keys = store.keys(t.team.id, OffsetDateTime::now_utc(), 30).await.unwrap();
        assert_eq!(
            keys.iter().filter(|k| k.kind == KeyKind::Individual && k.is_active()).count(),
            2,
            "both work during grace"
        );
        // One hand-over at a time: the successor cannot be rotated while its predecessor works, so
        // no chain of keys in grace can outgrow K6 (or K5).
        let chained = store
            .rotate_key(t.team.id, &successors[0].id, new_key_id(), Duration::hours(1), KeyTerms::default(), 50, &me)
            .await;
        assert!(matches!(rule(chained.unwrap_err()), DomainError::PredecessorInGrace { .. }));
        store.revoke_keys(t.team.id, std::slice::from_ref(&old.id), &me).await.unwrap();
        store
            .rotate_key(t.team.id, &successors[0].id, new_key_id(), Duration::hours(1), KeyTerms::default(), 50, &me)
            .await
            .unwrap();
    }
);

// The holder of a stolen API key, even an Admin one: it cannot rotate a key (its successor would
// outlive the revocation of what was stolen) nor lift the team's cap on key lifetimes.
both_backends!(
    x4_x3_an_api_key_neither_rotates_keys_nor_changes_the_key_policy,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let stolen = generate_team_key(&store, &t, "Stolen").await;
        let as_key = keyward_core::actor::ActorContext {
            actor: keyward_core::actor::Actor::TeamKey {
                key_id: stolen.id.clone(),
                roles: keyward_core::role::RoleSet::of(&[keyward_core::role::Role::Admin]),
            },
            label: format!("key {}", stolen.id),
            ip: None,
        };
        let rotate = store
            .rotate_key(t.team.id, &stolen.id, new_key_id(), Duration::ZERO, KeyTerms::default(), 50, &as_key)
            .await;
        assert!(matches!(rule(rotate.unwrap_err()), DomainError::NotAllowed(_)));
        let policy = store.set_key_lifetime_cap(t.team.id, Some(3650), &as_key).await;
        assert!(matches!(rule(policy.unwrap_err()), DomainError::NotAllowed(_)));
        assert!(store.key(&stolen.id).await.unwrap().revoke_at.is_none(), "nothing changed");
        assert_eq!(store.team_by_id(t.team.id).await.unwrap().max_key_lifetime_days, None);
    }
);
