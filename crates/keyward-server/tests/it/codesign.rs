//! Code signing (spec F1) over real HTTP, on SQLite and PostgreSQL: a CSR becomes a certificate
//! for its own key chained to the installation's CA; profiles are CMS that OpenSSL opens to a
//! plist carrying the certificates and devices; bundle IDs, UDIDs and caps hold under racing
//! creates; a revoked certificate or a disabled device makes its profiles `INVALID`; bad input is
//! Apple's 409 and writes nothing.
#![allow(clippy::unwrap_used)]

use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}

async fn create(srv: &Server, token: &str, kind: &str, attributes: Value, relationships: Value) -> (u16, Value) {
    let mut body = json!({"data": {"type": kind, "attributes": attributes}});
    if relationships != json!({}) {
        body["data"]["relationships"] = relationships;
    }
    srv.json(Method::POST, &format!("/v1/{kind}"), token, body).await
}

async fn certificate(srv: &Server, token: &str, kind: &str) -> (u16, Value) {
    create(srv, token, "certificates", json!({"csrContent": rsa_csr(), "certificateType": kind}), json!({})).await
}

async fn total(srv: &Server, token: &str, kind: &str) -> u64 {
    let (_, _, body) = parts(srv.get(&format!("/v1/{kind}"), token).await).await;
    body["meta"]["paging"]["total"].as_u64().unwrap()
}

fn id(body: &Value) -> String {
    body["data"]["id"].as_str().unwrap().to_owned()
}

server_test!(f1_a_csr_becomes_a_certificate_for_its_own_key_signed_by_the_ca, |srv: Server| async move {
    use keyward_core::ports::SigningStore;
    use x509_parser::prelude::*;
    let team = srv.team("Acme").await;
    let token = srv.team_key(&team, "ADMIN").await.token();
    let csr = rsa_csr();
    let attributes = json!({"csrContent": csr.clone(), "certificateType": "IOS_DEVELOPMENT"});
    let (status, answer) = create(&srv, &token, "certificates", attributes, json!({})).await;
    assert_eq!(status, 201, "{answer}");
    let attrs = &answer["data"]["attributes"];
    assert_eq!(attrs["certificateType"], "IOS_DEVELOPMENT");
    assert_eq!(attrs["platform"], "IOS");
    assert!(attrs["csrContent"].is_null(), "the CSR is not kept: {attrs}");
    let der = b64(attrs["certificateContent"].as_str().unwrap());
    let (_, cert) = parse_x509_certificate(&der).unwrap();
    let csr_der = b64(&csr.lines().filter(|l| !l.starts_with("-----")).collect::<String>());
    let (_, request) = X509CertificationRequest::from_der(&csr_der).unwrap();
    assert_eq!(cert.public_key().raw, request.certification_request_info.subject_pki.raw, "the CSR's own key");
    let (ca_pem, _) = srv.store().signing_ca(("unused".into(), "unused".into())).await.unwrap();
    let ca_der = b64(&ca_pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>());
    let (_, ca) = parse_x509_certificate(&ca_der).unwrap();
    cert.verify_signature(Some(ca.public_key())).unwrap();
    let team_id = keyward_core::team::team_identifier(team.team.id);
    let subject = cert.subject().to_string();
    assert!(subject.contains(&format!("OU={team_id}")) && subject.contains("O=Acme"), "{subject}");
    assert_eq!(attrs["serialNumber"], cert.raw_serial_as_string().replace(':', "").to_uppercase());
    assert_eq!(attrs["name"], format!("iPhone Developer: Acme ({team_id})"));
    // Listed and filtered by type, as clients look for theirs.
    let (_, _, listed) = parts(srv.get("/v1/certificates?filter[certificateType]=IOS_DEVELOPMENT", &token).await).await;
    assert_eq!(listed["data"][0]["id"], answer["data"]["id"], "{listed}");
    let (_, _, none) = parts(srv.get("/v1/certificates?filter[certificateType]=DISTRIBUTION", &token).await).await;
    assert_eq!(none["data"], json!([]));
});

server_test!(f1_bad_csrs_are_apples_409_at_csr_content_and_write_nothing, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let token = srv.team_key(&team, "ADMIN").await.token();
    let ec = rcgen::KeyPair::generate().unwrap();
    let ec_csr = rcgen::CertificateParams::default().serialize_request(&ec).unwrap().pem().unwrap();
    let good: String = rsa_csr().lines().filter(|l| !l.starts_with("-----")).collect();
    let mut forged = b64(&good);
    let at = forged.len() - 300;
    forged[at] ^= 1;
    let forged = base64::engine::general_purpose::STANDARD.encode(forged);
    for (csr, says) in
        [(ec_csr.as_str(), "RSA 2048"), ("not a csr", "csrContent"), ("QUJD", "malformed"), (forged.as_str(), "")]
    {
        let attributes = json!({"csrContent": csr, "certificateType": "DEVELOPMENT"});
        let (status, body) = create(&srv, &token, "certificates", attributes, json!({})).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["errors"][0]["code"], "ENTITY_ERROR.ATTRIBUTE.INVALID", "{body}");
        assert_eq!(body["errors"][0]["source"]["pointer"], "/data/attributes/csrContent", "{body}");
        assert!(body["errors"][0]["detail"].as_str().unwrap().contains(says), "{body}");
    }
    assert_eq!(total(&srv, &token, "certificates").await, 0, "nothing written");
});

server_test!(f1_racing_creates_keep_apples_certificate_cap_and_unique_identifiers, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let token = srv.team_key(&team, "ADMIN").await.token();
    let csrs: Vec<String> = (0..6).map(|_| rsa_csr()).collect();
    let creates = csrs.iter().map(|csr| {
        let attributes = json!({"csrContent": csr, "certificateType": "DISTRIBUTION"});
        create(&srv, &token, "certificates", attributes, json!({}))
    });
    let answers = futures::future::join_all(creates).await;
    let made = answers.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(made, 3, "Apple's cap of three distribution certificates: {answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(*status, 409, "{body}");
        assert_eq!(body["errors"][0]["code"], "ENTITY_ERROR", "{body}");
        assert!(body["errors"][0]["detail"].as_str().unwrap().contains("You already have a current"), "{body}");
    }
    let creates = (0..5).map(|_| {
        let attributes = json!({"identifier": "com.acme.race", "name": "Race", "platform": "IOS"});
        create(&srv, &token, "bundleIds", attributes, json!({}))
    });
    let answers = futures::future::join_all(creates).await;
    assert_eq!(answers.iter().filter(|(s, _)| *s == 201).count(), 1, "{answers:?}");
    let refused = answers.iter().find(|(s, _)| *s == 409).unwrap();
    assert_eq!(refused.1["errors"][0]["source"]["pointer"], "/data/attributes/identifier", "{refused:?}");
    let created = answers.iter().find(|(s, _)| *s == 201).unwrap();
    assert_eq!(created.1["data"]["attributes"]["seedId"], keyward_core::team::team_identifier(team.team.id));
    let udid = "00008030-001A2C3E0E88802E";
    let creates = (0..4).map(|i| {
        let attributes = json!({"name": format!("Phone {i}"), "udid": udid, "platform": "IOS"});
        create(&srv, &token, "devices", attributes, json!({}))
    });
    let answers = futures::future::join_all(creates).await;
    assert_eq!(answers.iter().filter(|(s, _)| *s == 201).count(), 1, "one device per UDID: {answers:?}");
    for bad in ["not-a-udid", "00008030-001A2C3E0E88802", ""] {
        let attributes = json!({"name": "Bad", "udid": bad, "platform": "IOS"});
        let (status, body) = create(&srv, &token, "devices", attributes, json!({})).await;
        assert_eq!(
            (status, body["errors"][0]["source"]["pointer"].as_str()),
            (409, Some("/data/attributes/udid")),
            "{body}"
        );
    }
    let attributes = json!({"identifier": "com..acme", "name": "Bad", "platform": "IOS"});
    let (status, body) = create(&srv, &token, "bundleIds", attributes, json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(total(&srv, &token, "devices").await, 1);
    assert_eq!(total(&srv, &token, "bundleIds").await, 1);
});

/// A bundle ID, a development certificate and a device, made through the API.
async fn signing_set(srv: &Server, token: &str) -> (String, String, String) {
    let (_, bundle) = create(
        srv,
        token,
        "bundleIds",
        json!({"identifier": "com.acme.fizz", "name": "Fizz", "platform": "IOS"}),
        json!({}),
    )
    .await;
    let (_, cert) = certificate(srv, token, "IOS_DEVELOPMENT").await;
    let attributes = json!({"name": "Ana's iPhone", "udid": "00008030-001A2C3E0E88802E", "platform": "IOS"});
    let (_, device) = create(srv, token, "devices", attributes, json!({})).await;
    (id(&bundle), id(&cert), id(&device))
}

fn profile_links(bundle: &str, certs: &[&str], devices: &[&str]) -> Value {
    json!({
        "bundleId": {"data": {"type": "bundleIds", "id": bundle}},
        "certificates": {"data": certs.iter().map(|c| json!({"type": "certificates", "id": c})).collect::<Vec<_>>()},
        "devices": {"data": devices.iter().map(|d| json!({"type": "devices", "id": d})).collect::<Vec<_>>()},
    })
}

server_test!(
    f1_a_profile_is_signed_cms_that_openssl_opens_and_goes_invalid_with_its_certificate,
    |srv: Server| async move {
        let team = srv.team("Acme").await;
        let token = srv.team_key(&team, "ADMIN").await.token();
        let (bundle, cert, device) = signing_set(&srv, &token).await;
        let attributes = json!({"name": "Fizz Development", "profileType": "IOS_APP_DEVELOPMENT"});
        let (status, profile) =
            create(&srv, &token, "profiles", attributes, profile_links(&bundle, &[&cert], &[&device])).await;
        assert_eq!(status, 201, "{profile}");
        let attrs = &profile["data"]["attributes"];
        assert_eq!((attrs["profileState"].as_str(), attrs["platform"].as_str()), (Some("ACTIVE"), Some("IOS")));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Fizz.mobileprovision");
        std::fs::write(&path, b64(attrs["profileContent"].as_str().unwrap())).unwrap();
        let opened = std::process::Command::new("openssl")
            .args(["smime", "-inform", "der", "-verify", "-noverify", "-in", path.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(opened.status.success(), "{}", String::from_utf8_lossy(&opened.stderr));
        let plist = String::from_utf8(opened.stdout).unwrap();
        let team_id = keyward_core::team::team_identifier(team.team.id);
        let (_, _, cert_body) = parts(srv.get(&format!("/v1/certificates/{cert}"), &token).await).await;
        let cert_b64 = cert_body["data"]["attributes"]["certificateContent"].as_str().unwrap();
        for needle in [
            format!("<string>{team_id}.com.acme.fizz</string>"),
            "<string>00008030-001A2C3E0E88802E</string>".to_owned(),
            format!("<data>{cert_b64}</data>"),
            format!("<string>{}</string>", attrs["uuid"].as_str().unwrap()),
            "<key>ProvisionedDevices</key>".to_owned(),
            "<string>Fizz Development</string>".to_owned(),
        ] {
            assert!(plist.contains(&needle), "{needle} not in\n{plist}");
        }
        // Clients find it through the bundle ID, and its certificates through it.
        let (_, _, of_bundle) =
            parts(srv.get(&format!("/v1/bundleIds/{bundle}/relationships/profiles"), &token).await).await;
        assert_eq!(of_bundle["data"][0]["id"], profile["data"]["id"], "{of_bundle}");
        let profile_id = id(&profile);
        let (_, _, certs) =
            parts(srv.get(&format!("/v1/profiles/{profile_id}/relationships/certificates"), &token).await).await;
        assert_eq!(certs["data"][0]["id"], cert.as_str(), "{certs}");

        // Revoking the certificate invalidates the profile at once on this node.
        let (status, _, _) =
            parts(srv.request(Method::DELETE, &format!("/v1/certificates/{cert}"), Some(&token)).await).await;
        assert_eq!(status, 204);
        let (_, _, after) = parts(srv.get(&format!("/v1/profiles/{profile_id}"), &token).await).await;
        assert_eq!(after["data"]["attributes"]["profileState"], "INVALID", "{after}");
        let (_, _, active) = parts(srv.get("/v1/profiles?filter[profileState]=ACTIVE", &token).await).await;
        assert_eq!(active["data"], json!([]), "{active}");
    }
);

server_test!(
    f1_a_disabled_device_invalidates_its_profiles_and_unsuitable_links_are_refused,
    |srv: Server| async move {
        let team = srv.team("Acme").await;
        let token = srv.team_key(&team, "ADMIN").await.token();
        let (bundle, cert, device) = signing_set(&srv, &token).await;
        let (_, distribution) = certificate(&srv, &token, "DISTRIBUTION").await;
        let distribution = id(&distribution);
        let dev = json!({"name": "Dev", "profileType": "IOS_APP_DEVELOPMENT"});
        for (links, pointer) in [
            (profile_links(&bundle, &[&distribution], &[&device]), "/data/relationships/certificates"),
            (profile_links(&bundle, &[&cert], &[]), "/data/relationships/devices"),
        ] {
            let (status, body) = create(&srv, &token, "profiles", dev.clone(), links).await;
            assert_eq!(status, 409, "{body}");
            assert_eq!(body["errors"][0]["source"]["pointer"], pointer, "{body}");
        }
        assert_eq!(total(&srv, &token, "profiles").await, 0, "nothing written");
        let store = json!({"name": "Store", "profileType": "IOS_APP_STORE"});
        let (status, for_store) =
            create(&srv, &token, "profiles", store, profile_links(&bundle, &[&distribution], &[])).await;
        assert_eq!(status, 201, "an App Store profile lists no devices: {for_store}");
        let (status, profile) =
            create(&srv, &token, "profiles", dev.clone(), profile_links(&bundle, &[&cert], &[&device])).await;
        assert_eq!(status, 201, "{profile}");
        let (status, twin) = create(&srv, &token, "profiles", dev, profile_links(&bundle, &[&cert], &[&device])).await;
        assert_eq!(
            (status, twin["errors"][0]["source"]["pointer"].as_str()),
            (409, Some("/data/attributes/name")),
            "{twin}"
        );
        let body = json!({"data": {"type": "devices", "id": device, "attributes": {"status": "DISABLED"}}});
        let (status, disabled) = srv.json(Method::PATCH, &format!("/v1/devices/{device}"), &token, body).await;
        assert_eq!(status, 200, "{disabled}");
        let (_, _, after) = parts(srv.get(&format!("/v1/profiles/{}", id(&profile)), &token).await).await;
        assert_eq!(after["data"]["attributes"]["profileState"], "INVALID", "{after}");
        let (_, _, kept) = parts(srv.get(&format!("/v1/profiles/{}", id(&for_store)), &token).await).await;
        assert_eq!(kept["data"]["attributes"]["profileState"], "ACTIVE", "a profile without the device stays: {kept}");
    }
);

server_test!(f1_roles_cases_and_kinds_apple_checks_hold, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let admin = srv.team_key(&team, "ADMIN").await.token();
    let developer = srv.team_key(&team, "DEVELOPER").await.token();
    // Developers make development certificates; distribution ones are Admins' and App Managers'.
    let (status, body) = certificate(&srv, &developer, "DISTRIBUTION").await;
    assert_eq!((status, body["errors"][0]["code"].as_str()), (403, Some("FORBIDDEN_ERROR")), "{body}");
    let (status, mine) = certificate(&srv, &developer, "IOS_DEVELOPMENT").await;
    assert_eq!(status, 201, "{mine}");
    let (_, distribution) = certificate(&srv, &admin, "DISTRIBUTION").await;
    let path = format!("/v1/certificates/{}", id(&distribution));
    let (status, _, _) = parts(srv.request(Method::DELETE, &path, Some(&developer)).await).await;
    assert_eq!(status, 403, "a Developer cannot revoke a distribution certificate");
    // One UDID whatever its case.
    let (bundle, cert, device) = signing_set(&srv, &admin).await;
    let attributes = json!({"name": "Twin", "udid": "00008030-001a2c3e0e88802e", "platform": "IOS"});
    let (status, body) = create(&srv, &admin, "devices", attributes, json!({})).await;
    assert_eq!(status, 409, "{body}");
    // A Mac certificate in an iOS App Store profile, a name with a control character: refused.
    let (_, mac) = certificate(&srv, &admin, "MAC_APP_DISTRIBUTION").await;
    let store = json!({"name": "Store", "profileType": "IOS_APP_STORE"});
    let (status, body) = create(&srv, &admin, "profiles", store, profile_links(&bundle, &[&id(&mac)], &[])).await;
    assert_eq!(
        (status, body["errors"][0]["source"]["pointer"].as_str()),
        (409, Some("/data/relationships/certificates"))
    );
    let bad = json!({"name": "Bad\u{7}name", "profileType": "IOS_APP_DEVELOPMENT"});
    let (status, body) = create(&srv, &admin, "profiles", bad, profile_links(&bundle, &[&cert], &[&device])).await;
    assert_eq!((status, body["errors"][0]["source"]["pointer"].as_str()), (409, Some("/data/attributes/name")));
    // The same certificate linked many times is one link.
    let dev = json!({"name": "Dev", "profileType": "IOS_APP_DEVELOPMENT"});
    let many: Vec<&str> = std::iter::repeat_n(cert.as_str(), 500).collect();
    let (status, profile) = create(&srv, &admin, "profiles", dev, profile_links(&bundle, &many, &[&device])).await;
    assert_eq!(status, 201, "{profile}");
    let linkage = format!("/v1/profiles/{}/relationships/certificates", id(&profile));
    let (_, _, certs) = parts(srv.get(&linkage, &admin).await).await;
    assert_eq!(certs["data"].as_array().unwrap().len(), 1, "{certs}");
    // Deleting the bundle ID invalidates its profiles.
    let (status, _, _) =
        parts(srv.request(Method::DELETE, &format!("/v1/bundleIds/{bundle}"), Some(&admin)).await).await;
    assert_eq!(status, 204);
    let (_, _, after) = parts(srv.get(&format!("/v1/profiles/{}", id(&profile)), &admin).await).await;
    assert_eq!(after["data"]["attributes"]["profileState"], "INVALID", "{after}");
});

// The store checks a profile's devices in its own transaction: a device disabled after the
// request read its node's copy cannot end up in an ACTIVE profile.
server_test!(f1_the_store_refuses_a_disabled_device_whatever_the_replica_said, |srv: Server| async move {
    use keyward_core::ports::ResourceStore;
    use keyward_core::resource::{Guard, Link, Resource, WriteRules};
    let team = srv.team("Acme").await;
    let admin = srv.team_key(&team, "ADMIN").await.token();
    let (_, _, device) = signing_set(&srv, &admin).await;
    let body = json!({"data": {"type": "devices", "id": device, "attributes": {"status": "DISABLED"}}});
    assert_eq!(srv.json(Method::PATCH, &format!("/v1/devices/{device}"), &admin, body).await.0, 200);
    let now = time::OffsetDateTime::now_utc();
    let profile = Resource {
        team_id: team.team.id,
        kind: "profiles".into(),
        id: "raced".into(),
        app: None,
        attributes: serde_json::Map::new(),
        relationships: [("devices".to_owned(), vec![Link { kind: "devices".into(), id: device.clone() }])]
            .into_iter()
            .collect(),
        created_at: now,
        updated_at: now,
    };
    let guard = Guard::LinkedNot {
        relationship: "devices".into(),
        attribute: "status".into(),
        value: json!("DISABLED"),
        detail: "disabled".into(),
    };
    let refused =
        srv.store().create_resource(profile, WriteRules { guards: vec![guard], cascades: vec![], also: vec![] }).await;
    assert!(
        matches!(refused, Err(keyward_core::error::StoreError::Rule(keyward_core::error::DomainError::Refused { .. }))),
        "{refused:?}"
    );
});
