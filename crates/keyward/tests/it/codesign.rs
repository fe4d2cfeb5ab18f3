//! Spec F6 for code signing (F1): codemagic-cli-tools, a real signing client from PyPI, runs
//! `app-store-connect fetch-signing-files --create` unchanged against `keyward serve --tls` (it
//! hard-codes Apple's host), and what it saves verifies against the CA `keyward signing ca` prints.
#![allow(clippy::unwrap_used)]

cli_test!(f6_codemagic_fetches_signing_files_unchanged, |kw: crate::common::Keyward| async move {
    kw.ok(&["tls", "init"]);
    let seed = crate::seeds::example(&kw);
    let server = kw.serve_with(&["--test-mode", "--seed", &seed, "--tls"], &[]);
    let port = server.base.rsplit(':').next().unwrap().trim_end_matches('/').to_owned();
    let work = kw.path("codemagic");
    std::fs::create_dir_all(&work).unwrap();
    let env = [
        ("KEYWARD_TLS_PORT", port),
        ("KEYWARD_CA", kw.path("keyward-data/tls/ca.pem").display().to_string()),
        ("KEY_ID", "ACMECI0001".to_owned()),
        ("ISSUER", "6a9d2c0e-1f3b-4c55-8e77-0123456789ab".to_owned()),
        ("KEY_P8", crate::seeds::example_key()),
        ("WORK", work.display().to_string()),
        ("PYTHONPATH", format!("{}/../../tests/python", env!("CARGO_MANIFEST_DIR"))),
    ];
    let script = format!("{}/../../tests/python/codemagic_signing.py", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(crate::common::codemagic_python()).arg(&script).envs(env).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}{stdout}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");

    // The profile codemagic saved is signed by the installation's CA, not merely decodable.
    let ca = kw.path("signing-ca.pem");
    kw.ok(&["signing", "ca", "--out", ca.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&ca).unwrap(), kw.ok(&["signing", "ca"]).stdout, "one CA");
    let profile = std::fs::read_dir(work.join("profiles")).unwrap().next().unwrap().unwrap().path();
    let verified = std::process::Command::new("openssl")
        .args(["cms", "-verify", "-inform", "der", "-purpose", "any", "-in"])
        .arg(&profile)
        .arg("-CAfile")
        .arg(&ca)
        .output()
        .unwrap();
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    let teams = kw.ok(&["admin", "team", "list", "--json"]).json_lines();
    let team_id = teams[0]["team_identifier"].as_str().unwrap().to_owned();
    assert!(String::from_utf8_lossy(&verified.stdout).contains(&format!("<string>{team_id}.com.acme.fizz</string>")));
});
