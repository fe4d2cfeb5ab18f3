//! D2 through the binary: a database made by Keyward 0.1.0 (schema 11, before Apple's whole API),
//! committed under `tests/fixtures/v0.1.0/`, opens and migrates with this binary on both backends
//! and serves what it held: the seeded key's tokens verify, the key revoked then stays refused,
//! and the resources of section 12 (which 0.1.0 did not have) can be written. A database newer
//! than the binary is refused with a clear message, unchanged.
#![allow(clippy::unwrap_used)]

use serde_json::json;

use crate::common::{Keyward, send};

/// The fixture directory of `backend`.
fn fixtures(backend: keyward_store::Backend) -> std::path::PathBuf {
    let dir = if backend == keyward_store::Backend::Sqlite { "sqlite" } else { "postgres" };
    std::path::PathBuf::from(format!("{}/../../tests/fixtures/v0.1.0/{dir}", env!("CARGO_MANIFEST_DIR")))
}

/// The key 0.1.0 revoked in `backend`'s fixture: its Key ID and private key file.
fn revoked_key(backend: keyward_store::Backend) -> (String, String) {
    let file = std::fs::read_dir(fixtures(backend))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "p8"))
        .unwrap();
    let name = file.file_stem().unwrap().to_string_lossy().into_owned();
    (name.trim_start_matches("AuthKey_").to_owned(), file.display().to_string())
}

/// The installation of the fixture on `backend`, not yet opened by this binary.
async fn from_fixture(backend: keyward_store::Backend) -> Keyward {
    let kw = Keyward::new(backend).await;
    match &kw.db.url {
        keyward_store::DatabaseUrl::Sqlite(path) => {
            std::fs::copy(fixtures(backend).join("keyward.db"), path).unwrap();
        }
        keyward_store::DatabaseUrl::Postgres(url) => {
            let out = std::process::Command::new(crate::common::pg_program("psql"))
                .args(["-v", "ON_ERROR_STOP=1", "-q", "-f"])
                .arg(fixtures(backend).join("keyward.sql"))
                .arg(url)
                .output()
                .unwrap();
            assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    kw
}

cli_test!(d2_a_database_of_0_1_0_migrates_and_serves_what_it_held, |kw: Keyward| async move {
    let kw = from_fixture(kw.backend()).await;
    let before = keyward_store::Store::open(&kw.db.url).await.unwrap();
    assert_eq!(before.schema_version().await.unwrap(), Some(11), "the fixture is 0.1.0's schema");
    before.close().await;
    let teams = kw.ok(&["admin", "team", "list", "--json"]).json_lines();
    assert!(teams.iter().any(|t| t["name"] == "Acme"), "{teams:?}");
    let server = kw.serve_with(&[], &[]);
    let base = server.base.clone();
    let token = crate::seeds::token(&kw);
    let (status, users) = send(reqwest::Method::GET, format!("{base}/v1/users"), &token, None).await;
    assert_eq!(status, 200, "the seeded key of 0.1.0 still signs valid tokens: {users}");
    let (key_id, file) = revoked_key(kw.backend());
    let issuer = "6a9d2c0e-1f3b-4c55-8e77-0123456789ab";
    let revoked = kw.ok(&["token", "--key-file", &file, "--issuer-id", issuer, "--key-id", &key_id]).stdout;
    let revoked = revoked.trim();
    assert_eq!(send(reqwest::Method::GET, format!("{base}/v1/apps"), revoked, None).await.0, 401, "still revoked");
    let body = json!({"data": {"type": "bundleIds", "attributes": {"identifier": "com.acme.upgraded",
        "name": "Upgraded", "platform": "IOS"}}});
    let (status, made) = send(reqwest::Method::POST, format!("{base}/v1/bundleIds"), &token, Some(body)).await;
    assert_eq!(status, 201, "section 12 works on an upgraded database: {made}");
});

cli_test!(d2_a_database_newer_than_the_binary_is_refused_unchanged, |kw: Keyward| async move {
    kw.ok(&["admin", "team", "list"]);
    let store = keyward_store::Store::open(&kw.db.url).await.unwrap();
    let newer = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (9999, 'from the future', TRUE, X'00', 0)";
    let newer = if kw.backend() == keyward_store::Backend::Postgres {
        newer.replace("X'00'", "'\\x00'::bytea")
    } else {
        newer.to_owned()
    };
    store.debug_execute_for_tests(&newer).await.unwrap();
    let refused = kw.refused(&["admin", "team", "list"]);
    assert!(refused.stderr.contains("newer Keyward"), "{}", refused.stderr);
    assert!(refused.stderr.contains("9999"), "{}", refused.stderr);
    assert_eq!(store.schema_version().await.unwrap(), Some(9999), "left as it was");
});
