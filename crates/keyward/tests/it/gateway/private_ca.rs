//! #24, gateway gaps: an https upstream behind a private certificate authority. nginx serves TLS
//! with a certificate OpenSSL signed with a CA made for the test; the gateway reaches it with
//! `--upstream-ca` naming that CA, and refuses it (502) with the public web's roots or another CA.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use keyward_store::Backend;

use super::{AUDIENCE, Acme, serve, write_policy};
use crate::common::{Keyward, Nginx};

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("openssl").current_dir(dir).args(args).output().unwrap();
    assert!(out.status.success(), "openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

/// A CA (`NAME-ca.pem`) and, when `server` is set, a certificate for 127.0.0.1 it signed.
fn make_ca(dir: &std::path::Path, name: &str, server: bool) {
    let ca_key = format!("{name}-ca.key");
    let ca = format!("{name}-ca.pem");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &ca_key,
            "-out",
            &ca,
            "-days",
            "2",
            "-subj",
            &format!("/CN={name} test CA"),
        ],
    );
    if server {
        std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n").unwrap();
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                &ca,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "san.ext",
            ],
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_upstream_behind_a_private_ca_is_reached_with_its_bundle_and_refused_without() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let dir = kw.path("");
    make_ca(&dir, "private", true);
    make_ca(&dir, "other", false);
    let (cert, key) = (dir.join("server.pem").display().to_string(), dir.join("server.key").display().to_string());
    let nginx = Nginx::start(|port| {
        format!(
            "  server {{ listen 127.0.0.1:{port} ssl; ssl_certificate {cert}; ssl_certificate_key {key};\n    \
             location / {{ default_type application/json; return 200 '{{\"over\":\"tls\"}}'; }} }}"
        )
    });
    let upstream = nginx.base.replace("http://", "https://");
    let policy = write_policy(&kw, Some(&upstream));
    let token = acme.admin(&kw, AUDIENCE);
    let client = reqwest::Client::new();
    let call = |base: String| {
        let (client, token) = (client.clone(), token.clone());
        async move { client.get(format!("{base}/widgets/1")).bearer_auth(token).send().await.unwrap() }
    };

    let bundle = dir.join("private-ca.pem").display().to_string();
    let trusted = serve(&kw, &policy, &["--upstream-ca", &bundle], &[]);
    let answer = call(trusted.base.clone()).await;
    assert_eq!(answer.status().as_u16(), 200, "the private CA's bundle reaches the upstream");
    assert_eq!(answer.json::<serde_json::Value>().await.unwrap()["over"], "tls");
    drop(trusted);

    let public_roots = serve(&kw, &policy, &[], &[]);
    assert_eq!(call(public_roots.base.clone()).await.status().as_u16(), 502, "the public web's roots do not trust it");
    drop(public_roots);

    let other = dir.join("other-ca.pem").display().to_string();
    let wrong = serve(&kw, &policy, &["--upstream-ca", &other], &[]);
    assert_eq!(call(wrong.base.clone()).await.status().as_u16(), 502, "another CA's bundle does not either");
    drop(wrong);

    std::fs::write(dir.join("empty.pem"), "no certificates here\n").unwrap();
    let empty = dir.join("empty.pem").display().to_string();
    let refused =
        kw.run(&["serve", "--listen", "127.0.0.1:0", "--policy", policy.to_str().unwrap(), "--upstream-ca", &empty]);
    assert_eq!(refused.code, 2, "a bundle without certificates stops serve at once: {refused:?}");
    assert!(refused.stderr.contains("no certificate"), "{}", refused.stderr);
}
