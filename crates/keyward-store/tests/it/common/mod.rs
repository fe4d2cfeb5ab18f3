//! Shared fixtures for the storage suites. Every suite runs on SQLite and on PostgreSQL.
#![allow(dead_code, clippy::unwrap_used)]

use keyward_core::actor::{Actor, ActorContext};
use keyward_core::ids::KeyId;
use keyward_core::ports::{KeyStore, MemberStore, NewKey, NewMember, NewPerson, NewTeam, TeamCreated, TeamStore};
use keyward_core::role::{Role, RoleSet};
use keyward_store::Store;

/// Declares one test per backend: `both_backends!(name, |store| async move { … });`
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = keyward_store::testing::TestDatabase::new(keyward_store::Backend::Sqlite).await;
                let store = keyward_store::Store::open_and_migrate(&db.url).await.expect("open");
                ($body)(store.clone(), db.url.clone()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let db = keyward_store::testing::TestDatabase::new(keyward_store::Backend::Postgres).await;
                let store = keyward_store::Store::open_and_migrate(&db.url).await.expect("open");
                ($body)(store.clone(), db.url.clone()).await;
                store.close().await;
            }
        }
    };
}

pub fn operator() -> ActorContext {
    ActorContext::operator_cli()
}

pub fn member_actor(id: keyward_core::ids::MemberId, label: &str) -> ActorContext {
    ActorContext { actor: Actor::Member(id), label: label.into(), ip: Some("127.0.0.1".into()) }
}

pub fn person(email: &str) -> NewPerson {
    NewPerson { email: email.into(), first_name: "Ana".into(), last_name: "Lopez".into(), password_hash: None }
}

pub async fn team(store: &Store, name: &str) -> TeamCreated {
    store
        .create_team(
            NewTeam {
                name: name.into(),
                account_holder: person(&format!("holder@{}.test", name.to_lowercase())),
                holder_is_operator: false,
            },
            &operator(),
        )
        .await
        .unwrap()
}

/// A team whose API access was requested by its Account Holder and approved by the operator.
pub async fn approved_team(store: &Store, name: &str) -> TeamCreated {
    let t = team(store, name).await;
    let holder = member_actor(t.member_id, "holder");
    store.request_access(t.team.id, &holder, false).await.unwrap();
    store.review_access(t.team.id, true, &operator()).await.unwrap();
    t
}

pub async fn developer(store: &Store, t: &TeamCreated, email: &str) -> keyward_core::member::Member {
    store
        .add_member(
            t.team.id,
            NewMember {
                person: person(email),
                roles: RoleSet::of(&[Role::Developer]),
                individual_keys: true,
                all_apps_visible: true,
                visible_apps: vec![],
                provisioning_allowed: false,
            },
            &operator(),
        )
        .await
        .unwrap()
}

pub fn new_key_id() -> KeyId {
    keyward_token::key_id::generate_key_id().unwrap()
}

pub fn team_key(name: &str) -> NewKey {
    NewKey::Team { name: name.into(), roles: RoleSet::of(&[Role::AppManager]) }
}

pub async fn generate_team_key(store: &Store, t: &TeamCreated, name: &str) -> keyward_core::key::ApiKey {
    store.generate_key(t.team.id, new_key_id(), team_key(name), 50, &operator()).await.unwrap()
}
