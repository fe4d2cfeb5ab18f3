//! D1 through the binary: `keyward admin backup` copies a SQLite installation while `serve` runs
//! and writes; `keyward admin restore` fills an empty data directory with the copy, and a server
//! on it accepts the keys downloaded before (old tokens), refuses the revoked ones, and serves the
//! same members and resources. A non-empty data directory, a file that is not Keyward's and an
//! existing backup file are refused, changing nothing.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;

use serde_json::json;

use crate::common::{Keyward, send};

const ISSUER: &str = "6a9d2c0e-1f3b-4c55-8e77-0123456789ab";

/// The example seed applied, then two team keys downloaded and the second revoked: tokens of the
/// kept key and of the revoked one, made now.
fn kept_and_revoked(kw: &Keyward) -> (String, String) {
    let seed = crate::seeds::example(kw);
    kw.ok(&["admin", "seed", &seed]);
    let (_, kept) = kw.team_key("Acme", "kept", "ADMIN");
    let (gone_id, gone) = kw.team_key("Acme", "gone", "DEVELOPER");
    let token_of = |file: &str| kw.ok(&["token", "--key-file", file, "--issuer-id", ISSUER]).stdout.trim().to_owned();
    let tokens = (token_of(&kept), token_of(&gone));
    kw.ok(&["admin", "key", "revoke", "--team", "Acme", &gone_id]);
    tokens
}

/// An installation whose SQLite database is `dir/keyward.db` (restored there).
fn in_dir(dir: &std::path::Path) -> Keyward {
    Keyward::on(keyward_store::DatabaseUrl::Sqlite(dir.join("keyward.db")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d1_a_backup_of_a_running_installation_restores_keys_members_and_resources() {
    let kw = Keyward::new(keyward_store::Backend::Sqlite).await;
    let (kept_token, gone_token) = kept_and_revoked(&kw);
    let server = kw.serve_with(&[], &[]);
    let base = server.base.clone();
    // Writes go on while the backup is taken: it starts once five have been answered.
    let (five, mut after_five) = tokio::sync::mpsc::channel::<()>(1);
    let writer = {
        let (base, token) = (base.clone(), kept_token.clone());
        tokio::spawn(async move {
            let mut made = Vec::new();
            for i in 0..40 {
                let body = json!({"data": {"type": "bundleIds", "attributes": {"identifier": format!("com.acme.backup{i}"),
                    "name": format!("Backup {i}"), "platform": "IOS"}}});
                let (status, made_one) =
                    send(reqwest::Method::POST, format!("{base}/v1/bundleIds"), &token, Some(body)).await;
                assert_eq!(status, 201, "{made_one}");
                made.push(made_one["data"]["id"].as_str().unwrap().to_owned());
                if made.len() == 5 {
                    let _ = five.send(()).await;
                }
            }
            made
        })
    };
    after_five.recv().await.unwrap();
    let file = kw.path("keyward-backup.db");
    let file_arg = file.display().to_string();
    let backup = kw.ok(&["admin", "backup", &file_arg, "--json"]).json();
    assert!(backup["bytes"].as_u64().unwrap() > 0, "{backup}");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "its owner's alone");
    let made = writer.await.unwrap();
    let before = std::fs::read(&file).unwrap();
    kw.refused(&["admin", "backup", &file_arg]);
    assert_eq!(std::fs::read(&file).unwrap(), before, "an existing file is never overwritten");
    let nowhere = kw.path("nowhere");
    let missing = in_dir(&nowhere).refused(&["admin", "backup", &kw.path("other.db").display().to_string()]);
    assert!(missing.stderr.contains("no database"), "a backup never creates an empty database: {missing:?}");
    assert!(!nowhere.exists() && !kw.path("other.db").exists());
    drop(server);

    // Restored into an empty data directory, a server on it knows what the copy held.
    let restored = tempfile::tempdir().unwrap();
    let dir = restored.path().join("data");
    let restored_kw = in_dir(&dir);
    let done = restored_kw.ok(&["admin", "restore", &file_arg, "--json"]).json();
    assert_eq!(done["schema_version"], done["backup_schema_version"], "{done}");
    let restored_db = dir.join("keyward.db");
    assert_eq!(std::fs::metadata(&restored_db).unwrap().permissions().mode() & 0o777, 0o600);
    let names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.starts_with(".restoring")), "nothing of the restore left: {names:?}");
    let before = std::fs::read(&restored_db).unwrap();
    restored_kw.refused(&["admin", "restore", &file_arg]);
    assert_eq!(std::fs::read(&restored_db).unwrap(), before, "a non-empty data directory is refused, untouched");
    // A backup of a newer Keyward is refused, and the directory left empty.
    let newer = kw.path("newer.db");
    std::fs::copy(&file, &newer).unwrap();
    {
        let store = keyward_store::Store::open(&keyward_store::DatabaseUrl::Sqlite(newer.clone())).await.unwrap();
        let row = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                   VALUES (9999, 'from the future', TRUE, X'00', 0)";
        store.debug_execute_for_tests(row).await.unwrap();
        store.close().await;
    }
    let later = restored.path().join("later");
    let refused = in_dir(&later).refused(&["admin", "restore", &newer.display().to_string()]);
    assert!(refused.stderr.contains("newer Keyward"), "{refused:?}");
    assert!(std::fs::read_dir(&later).unwrap().next().is_none(), "nothing left behind");
    let not_ours = kw.path("not-keyward.db");
    std::fs::write(&not_ours, b"SQLite format 3\0 but not really").unwrap();
    let empty = restored.path().join("empty");
    in_dir(&empty).refused(&["admin", "restore", &not_ours.display().to_string()]);
    assert!(std::fs::read_dir(&empty).map_or(true, |mut d| d.next().is_none()), "nothing left behind");

    let serving = restored_kw.serve_with(&[], &[]);
    let base = serving.base.clone();
    let (status, users) = send(reqwest::Method::GET, format!("{base}/v1/users"), &kept_token, None).await;
    assert_eq!(status, 200, "a token made before the backup still verifies: {users}");
    assert!(!users["data"].as_array().unwrap().is_empty());
    assert_eq!(send(reqwest::Method::GET, format!("{base}/v1/apps"), &gone_token, None).await.0, 401, "still revoked");
    let (_, ids) = send(reqwest::Method::GET, format!("{base}/v1/bundleIds?limit=200"), &kept_token, None).await;
    let listed: Vec<&str> = ids["data"].as_array().unwrap().iter().filter_map(|b| b["id"].as_str()).collect();
    // The copy is one snapshot: every bundle ID in it is whole, and it holds a prefix of the writes.
    let held = made.iter().take_while(|id| listed.contains(&id.as_str())).count();
    assert!(held >= 5, "the copy holds what was written before it began: {held}");
    assert!(made.iter().skip(held).all(|id| !listed.contains(&id.as_str())), "a prefix of the writes: {listed:?}");
    drop(serving);
}

// D1 on PostgreSQL, the documented way: pg_dump of a running installation's database, pg_restore
// into a new one, and a server on it accepts the old tokens and refuses the revoked key. (A
// throw-away cluster, so the server and the client programs are one version.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d1_postgres_is_backed_up_with_pg_dump_and_restored_with_pg_restore() {
    let cluster = keyward_store::testing::ThrowawayCluster::start_new();
    let keyward_store::DatabaseUrl::Postgres(admin) = cluster.url.clone() else { unreachable!() };
    let kw = Keyward::on(cluster.url.clone());
    let (kept_token, gone_token) = kept_and_revoked(&kw);
    assert_eq!(kw.run(&["admin", "backup", &kw.path("x.db").display().to_string()]).code, 1, "pg_dump's to do");
    let server = kw.serve_with(&[], &[]);
    let dump = kw.path("keyward.dump").display().to_string();
    let out = std::process::Command::new(crate::common::pg_program("pg_dump"))
        .args(["--format=custom", "--file", &dump, &admin])
        .output()
        .unwrap();
    assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
    drop(server);

    let restored_url = format!("{}/keyward_restored", admin.rsplit_once('/').unwrap().0);
    let out = std::process::Command::new(crate::common::pg_program("createdb"))
        .args(["--maintenance-db", &admin, "keyward_restored"])
        .output()
        .unwrap();
    assert!(out.status.success(), "createdb: {}", String::from_utf8_lossy(&out.stderr));
    let out = std::process::Command::new(crate::common::pg_program("pg_restore"))
        .args(["--no-owner", "--dbname", &restored_url, &dump])
        .output()
        .unwrap();
    assert!(out.status.success(), "pg_restore: {}", String::from_utf8_lossy(&out.stderr));
    let restored = Keyward::on(keyward_store::DatabaseUrl::Postgres(restored_url));
    let server = restored.serve_with(&[], &[]);
    let (status, users) = send(reqwest::Method::GET, format!("{}/v1/users", server.base), &kept_token, None).await;
    assert_eq!(status, 200, "a token made before the dump still verifies: {users}");
    assert!(!users["data"].as_array().unwrap().is_empty());
    let gone_status = send(reqwest::Method::GET, format!("{}/v1/apps", server.base), &gone_token, None).await.0;
    assert_eq!(gone_status, 401, "still revoked");
}
