//! K9: the downloaded `.p8` is what Apple's clients expect, and its private half is stored nowhere.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use keyward_core::ids::KeyId;
use keyward_core::ports::KeyStore;
use keyward_store::{DatabaseUrl, Store};

use crate::common::python;

fn repo_file(rel: &str) -> String {
    format!("{}/../../{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// Creates a team key with `--out` and returns (key id, path of the .p8).
fn downloaded_key(kw: &crate::common::Keyward) -> (String, std::path::PathBuf) {
    kw.approved_team("Acme", "ana@acme.test");
    let key = kw
        .ok(&[
            "admin",
            "key",
            "create",
            "--team",
            "Acme",
            "--name",
            "CI",
            "--roles",
            "APP_MANAGER",
            "--out",
            "keys",
            "--json",
        ])
        .json();
    (key["key_id"].as_str().unwrap().to_owned(), key["file"].as_str().map(|f| kw.path(f)).unwrap())
}

async fn stored_public_key(url: &DatabaseUrl, key_id: &str) -> keyward_token::PublicKey {
    let store = Store::open(url).await.unwrap();
    let der = store.public_key(&KeyId::parse(key_id).unwrap()).await.unwrap().expect("downloaded key has a public key");
    store.close().await;
    keyward_token::PublicKey::from_spki_der(&der).unwrap()
}

cli_test!(k9_p8_loads_in_openssl_and_python_and_signs_for_the_stored_key, |kw: crate::common::Keyward| async move {
    let (key_id, file) = downloaded_key(&kw);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n") && text.ends_with("-----END PRIVATE KEY-----\n"));
    assert_eq!(crate::common::p8_der(&file).len(), 138, "PKCS#8 v1 with the public key inside");

    let openssl = Command::new("openssl").args(["pkey", "-in"]).arg(&file).args(["-noout", "-text"]).output().unwrap();
    assert!(openssl.status.success(), "openssl: {}", String::from_utf8_lossy(&openssl.stderr));
    let described = String::from_utf8_lossy(&openssl.stdout);
    assert!(described.contains("prime256v1") || described.contains("P-256"), "{described}");
    assert!(described.contains("pub:"), "the public key is inside the PKCS#8: {described}");

    let signed = Command::new(python())
        .arg(repo_file("tests/python/sign_with_p8.py"))
        .arg(&file)
        .arg("hello keyward")
        .output()
        .unwrap();
    assert!(signed.status.success(), "python: {}", String::from_utf8_lossy(&signed.stderr));
    let hex = String::from_utf8_lossy(&signed.stdout).trim().to_owned();
    let signature: Vec<u8> =
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    assert_eq!(signature.len(), 64);
    let stored = stored_public_key(&kw.db.url, &key_id).await;
    assert!(stored.verify(b"hello keyward", &signature), "Python's signature verifies with the stored public key");
    assert!(!stored.verify(b"hello keyword", &signature));
});

cli_test!(k9_no_private_key_reaches_storage, |kw: crate::common::Keyward| async move {
    let (key_id, file) = downloaded_key(&kw);
    let der = crate::common::p8_der(&file);
    let scalar = crate::common::private_scalar(&der);
    let pem_body: String =
        std::fs::read_to_string(&file).unwrap().lines().filter(|l| !l.starts_with("-----")).collect();
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();

    let public = stored_public_key(&kw.db.url, &key_id).await;
    match &kw.db.url {
        DatabaseUrl::Sqlite(path) => {
            // The database file and its write-ahead log, exactly as they are on disk.
            let mut bytes = std::fs::read(path).unwrap();
            bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
            assert!(
                crate::common::contains(&bytes, public.spki_der()),
                "the scan sees stored keys (it can find what is there)"
            );
            for (what, needle) in
                [("PKCS#8", der.as_slice()), ("private scalar", scalar.as_slice()), ("PEM text", pem_body.as_bytes())]
            {
                assert!(!crate::common::contains(&bytes, needle), "the SQLite file holds the {what}");
            }
        }
        DatabaseUrl::Postgres(_) => {
            let store = Store::open(&kw.db.url).await.unwrap();
            let rows = store
                .debug_fetch_bytes_for_tests(
                    "SELECT convert_to(row_to_json(t)::text, 'UTF8') FROM api_keys t \
                     UNION ALL SELECT convert_to(row_to_json(a)::text, 'UTF8') FROM audit_events a \
                     UNION ALL SELECT convert_to(row_to_json(c)::text, 'UTF8') FROM changes c \
                     UNION ALL SELECT public_key FROM api_keys",
                )
                .await
                .unwrap();
            assert!(
                rows.iter().any(|r| r == public.spki_der()),
                "the scan sees stored keys (it can find what is there)"
            );
            for row in rows {
                for needle in [
                    der.clone(),
                    scalar.clone(),
                    hex(&scalar).into_bytes(),
                    hex(&der).into_bytes(),
                    pem_body.clone().into_bytes(),
                ] {
                    assert!(!crate::common::contains(&row, &needle), "a PostgreSQL row holds private key material");
                }
            }
            store.close().await;
        }
    }
    // And the key that is stored is the public half of the downloaded one.
    let stored = stored_public_key(&kw.db.url, &key_id).await;
    let downloaded = keyward_token::PrivateKeyPem::from_pem(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(downloaded.public_key().unwrap(), stored);
});
