//! Durability: a write that returned survives the process being killed (SIGKILL) right after.
//!
//! The test re-executes this test binary as a child that makes the write, prints that it returned,
//! then waits to be killed; the parent kills it with SIGKILL and reopens the database.
#![allow(clippy::unwrap_used, clippy::cloned_ref_to_slice_refs)]
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::*;
use keyward_core::ports::*;
use keyward_store::testing::TestDatabase;
use keyward_store::{Backend, DatabaseUrl, Store};

const CHILD_ENV: &str = "KEYWARD_DURABILITY_CHILD_URL";

/// The child's half: generate a key, download it, revoke it; report each step as it returns.
/// Run only by `killed_after_revoke_*` (it is ignored in a normal run).
#[tokio::test]
#[ignore = "child process of the durability tests"]
async fn durability_child() {
    let url: DatabaseUrl = std::env::var(CHILD_ENV).unwrap().parse().unwrap();
    let store = Store::open(&url).await.unwrap();
    let t = approved_team(&store, "Acme").await;
    let kept = generate_team_key(&store, &t, "kept").await;
    println!("GENERATED {}", kept.id);
    let gone = generate_team_key(&store, &t, "gone").await;
    let pair = keyward_token::keypair::generate().unwrap();
    store.record_download(t.team.id, &gone.id, pair.public.spki_der(), &operator()).await.unwrap();
    // A failing transaction: one unknown key makes the whole revocation fail, nothing partial.
    assert!(store.revoke_keys(t.team.id, &[kept.id.clone(), new_key_id()], &operator()).await.is_err());
    store.revoke_keys(t.team.id, &[gone.id.clone()], &operator()).await.unwrap();
    println!("REVOKED {}", gone.id);
    tokio::time::sleep(std::time::Duration::from_secs(120)).await;
}

async fn killed_after_revoke(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    Store::open_and_migrate(&db.url).await.unwrap().close().await;
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "durability::durability_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, db.url_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut generated = None;
    let mut revoked = None;
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        // libtest prints "test durability_child ... " on the same line before the child's output.
        if let Some(id) = line.split("GENERATED ").nth(1) {
            generated = Some(id.to_owned());
        }
        if let Some(id) = line.split("REVOKED ").nth(1) {
            revoked = Some(id.to_owned());
            break;
        }
    }
    // SIGKILL at once: no destructor, no checkpoint, no orderly close.
    child.kill().unwrap();
    child.wait().unwrap();
    let (generated, revoked) = (
        generated.unwrap_or_else(|| panic!("child did not generate a key: {seen:?}")),
        revoked.unwrap_or_else(|| panic!("child did not revoke a key: {seen:?}")),
    );

    let store = Store::open_and_migrate(&db.url).await.unwrap();
    let kept = store.key(&generated.parse().unwrap()).await.unwrap();
    assert!(kept.is_active(), "the generated key survived, and the failed revocation left it active");
    let gone = store.key(&revoked.parse().unwrap()).await.unwrap();
    assert!(!gone.is_active(), "K11: the revocation survived SIGKILL");
    assert!(gone.downloaded_at.is_some());
    assert_eq!(store.public_key(&gone.id).await.unwrap(), None, "a revoked key yields no public key");
    store.close().await;
}

#[tokio::test]
async fn k11_revocation_survives_sigkill_sqlite() {
    killed_after_revoke(Backend::Sqlite).await;
}

#[tokio::test]
async fn k11_revocation_survives_sigkill_postgres() {
    killed_after_revoke(Backend::Postgres).await;
}
