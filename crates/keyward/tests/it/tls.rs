//! `keyward tls init` + `serve --tls`: clients that hard-code https://api.appstoreconnect.apple.com
//! reach Keyward with a hosts-file override and the local CA; without the CA they are refused.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn tls_serves_apples_host_to_clients_that_trust_the_local_ca() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let keyward = |args: &[&str]| {
        let mut c = Command::new(crate::common::binary());
        c.env_remove("KEYWARD_DATABASE_URL").arg("--data-dir").arg(&data).args(args);
        c
    };
    let init = keyward(&["tls", "init"]).output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let printed = String::from_utf8_lossy(&init.stdout);
    for hint in [
        "127.0.0.1 api.appstoreconnect.apple.com",
        "REQUESTS_CA_BUNDLE=",
        "SSL_CERT_FILE=",
        "NODE_EXTRA_CA_CERTS=",
        "--cacert",
        "update-ca-certificates",
    ] {
        assert!(printed.contains(hint), "{hint} missing from:\n{printed}");
    }
    assert_eq!(keyward(&["tls", "init"]).output().unwrap().status.code(), Some(1), "existing certificates are kept");

    let mut child = keyward(&["serve", "--demo", "--tls", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.path().join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.contains(" api --base-url ");
        lines.push(line);
        if done {
            break;
        }
    }
    let port = lines
        .iter()
        .find_map(|l| l.split("https://127.0.0.1:").nth(1))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let env: Vec<(String, String)> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("export "))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let ca = data.join("tls/ca.pem");
    let token = {
        let get = |k: &str| env.iter().find(|(n, _)| n == k).unwrap().1.clone();
        let out = keyward(&["token", "--key-file", &get("ASC_KEY_PATH"), "--issuer-id", &get("ASC_ISSUER_ID")])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let url = format!("https://api.appstoreconnect.apple.com:{port}/v1/apps");
    let resolve = format!("api.appstoreconnect.apple.com:{port}:127.0.0.1");
    let curl = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--resolve", &resolve, "--cacert"])
        .arg(&ca)
        .args(["-H", &format!("Authorization: Bearer {token}"), &url])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&curl.stdout),
        "200",
        "curl with the local CA: {}",
        String::from_utf8_lossy(&curl.stderr)
    );
    let untrusted = Command::new("curl").args(["-s", "-o", "/dev/null", "--resolve", &resolve, &url]).status().unwrap();
    assert_eq!(untrusted.code(), Some(60), "without the CA, certificate verification fails");

    // keyward api itself, trusting the CA with --cacert, on Apple's host name (resolved by curl's
    // --resolve equivalent is not available to it, so it uses localhost, which the certificate covers).
    let get = |k: &str| env.iter().find(|(n, _)| n == k).unwrap().1.clone();
    let api = keyward(&[
        "api",
        "--base-url",
        &format!("https://localhost:{port}"),
        "GET",
        "/v1/apps",
        "--key-file",
        &get("ASC_KEY_PATH"),
        "--issuer-id",
        &get("ASC_ISSUER_ID"),
        "--cacert",
    ])
    .arg(&ca)
    .output()
    .unwrap();
    assert!(api.status.success(), "keyward api over https: {}", String::from_utf8_lossy(&api.stderr));
    let refused = keyward(&[
        "api",
        "--base-url",
        &format!("https://localhost:{port}"),
        "GET",
        "/v1/apps",
        "--key-file",
        &get("ASC_KEY_PATH"),
        "--issuer-id",
        &get("ASC_ISSUER_ID"),
    ])
    .env_remove("SSL_CERT_FILE")
    .output()
    .unwrap();
    assert_eq!(refused.status.code(), Some(1), "without the CA keyward api refuses the certificate");

    let python = |ca: Option<&std::path::Path>| {
        let mut c = Command::new(crate::common::python());
        c.arg(format!("{}/../../tests/python/tls_client.py", env!("CARGO_MANIFEST_DIR")))
            .arg(&port)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        match ca {
            Some(ca) => c.env("REQUESTS_CA_BUNDLE", ca),
            None => c.env_remove("REQUESTS_CA_BUNDLE"),
        };
        c.output().unwrap()
    };
    let out = python(Some(&ca));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let log = || std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
    assert!(out.status.success(), "python: {stdout}{}\nserver log:\n{}", String::from_utf8_lossy(&out.stderr), log());
    assert!(stdout.starts_with("200\n"), "{stdout}");
    assert!(
        stdout.contains(&format!("https://api.appstoreconnect.apple.com:{port}/v1/apps")),
        "links use the host the client asked for: {stdout}"
    );
    assert_eq!(python(None).status.code(), Some(3), "python without the CA fails verification");

    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}
