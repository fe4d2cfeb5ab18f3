//! Concurrency rules hold in the database (K5, K6, K9): ≥ 32 tasks race on each backend.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use crate::common::*;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::ports::*;
use time::OffsetDateTime;

const TASKS: usize = 32;

both_backends!(k5_sixty_racing_generations_leave_exactly_fifty_keys, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for worker in 0..TASKS {
        let (store, barrier, team) = (store.clone(), barrier.clone(), t.team.id);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut outcomes = Vec::new();
            // 60 generations in all, spread over the 32 tasks.
            for i in (worker..60).step_by(TASKS) {
                outcomes
                    .push(store.generate_key(team, new_key_id(), team_key(&format!("key {i}")), 50, &operator()).await);
            }
            outcomes
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for task in tasks {
        for outcome in task.await.unwrap() {
            match outcome {
                Ok(_) => ok += 1,
                Err(StoreError::Rule(DomainError::TeamKeyLimit { max: 50 })) => refused += 1,
                Err(other) => panic!("unexpected outcome: {other:?}"),
            }
        }
    }
    assert_eq!((ok, refused), (50, 10));
    let active = store.keys(t.team.id, OffsetDateTime::now_utc(), 30).await.unwrap();
    assert_eq!(active.iter().filter(|k| k.is_active()).count(), 50);
});

both_backends!(k6_racing_individual_key_generations_leave_exactly_one, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let dev = developer(&store, &t, "dev@acme.test").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (store, barrier, team) = (store.clone(), barrier.clone(), t.team.id);
            let me = member_actor(dev.id, "dev@acme.test");
            tokio::spawn(async move {
                barrier.wait().await;
                store.generate_key(team, new_key_id(), NewKey::Individual { member_id: dev.id }, 50, &me).await
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::Rule(DomainError::IndividualKeyExists)) => {}
            Err(other) => panic!("unexpected outcome: {other:?}"),
        }
    }
    assert_eq!(ok, 1);
    let keys = store.keys(t.team.id, OffsetDateTime::now_utc(), 30).await.unwrap();
    assert_eq!(keys.iter().filter(|k| k.member_id == Some(dev.id) && k.is_active()).count(), 1);
});

both_backends!(
    k9_racing_downloads_exactly_one_wins_and_its_key_is_stored,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let key = generate_team_key(&store, &t, "CI").await;
        let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let (store, barrier, team, id) = (store.clone(), barrier.clone(), t.team.id, key.id.clone());
                tokio::spawn(async move {
                    let pair = keyward_token::keypair::generate().unwrap();
                    barrier.wait().await;
                    store.record_download(team, &id, pair.public.spki_der(), &operator()).await.map(|_| pair)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(pair) => winners.push(pair),
                Err(StoreError::Rule(DomainError::AlreadyDownloaded(_))) => {}
                Err(other) => panic!("unexpected outcome: {other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "exactly one download succeeds");
        let winner = winners.pop().unwrap();
        let stored = store.public_key(&key.id).await.unwrap().unwrap();
        assert_eq!(stored, winner.public.spki_der(), "the stored public key is the winner's");
        let signature = keyward_token::sign::sign_raw(&winner.private, b"proof").unwrap();
        let stored = keyward_token::PublicKey::from_spki_der(&stored).unwrap();
        assert!(stored.verify(b"proof", &signature), "the winner's private half matches what is stored");
    }
);

// X5: racing adds of key webhooks leave exactly the cap, counted under the team's lock.
both_backends!(x5_racing_key_webhook_adds_stop_at_the_cap, |store: keyward_store::Store, _db| async move {
    use keyward_core::key_event;
    let t = approved_team(&store, "Acme").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let (store, barrier, team) = (store.clone(), barrier.clone(), t.team.id);
            tokio::spawn(async move {
                let url = format!("https://hooks{i}.example.com/key-events");
                let events = vec![key_event::REVOKED.to_owned()];
                let hook = key_event::webhook(
                    team,
                    format!("hook-{i}"),
                    &url,
                    "whsec_c2VjcmV0",
                    &events,
                    OffsetDateTime::now_utc(),
                );
                barrier.wait().await;
                store.add_key_webhook(hook, &operator()).await
            })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::Rule(DomainError::KeyWebhookLimit { max })) if max == key_event::MAX_WEBHOOKS => {
                refused += 1
            }
            Err(other) => panic!("unexpected outcome: {other:?}"),
        }
    }
    assert_eq!((ok, refused), (key_event::MAX_WEBHOOKS as usize, TASKS - key_event::MAX_WEBHOOKS as usize));
    assert_eq!(store.key_webhooks(t.team.id).await.unwrap().len(), key_event::MAX_WEBHOOKS as usize);
});
