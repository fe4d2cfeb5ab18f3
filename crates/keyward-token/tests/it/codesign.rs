//! Spec F1's cryptography against independent parsers: x509-parser reads the certificates, and
//! OpenSSL (`openssl smime -verify`, as codemagic-cli-tools runs it) opens the profiles.
#![allow(clippy::unwrap_used)]

use aws_lc_rs::encoding::AsDer;
use keyward_token::codesign::certificate::{Subject, issue};
use keyward_token::codesign::profile::{ProfileContent, sign};
use keyward_token::codesign::{SigningCa, csr};
use x509_parser::prelude::*;

fn rsa_csr(bits: aws_lc_rs::rsa::KeySize) -> String {
    let key = aws_lc_rs::rsa::KeyPair::generate(bits).unwrap();
    let pkcs8 = key.as_der().unwrap();
    let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8.as_ref().into(), &rcgen::PKCS_RSA_SHA256).unwrap();
    rcgen::CertificateParams::default().serialize_request(&pair).unwrap().pem().unwrap()
}

fn subject() -> Subject<'static> {
    Subject { team_name: "Acme", team_id: "A1B2C3D4E5", certificate_type: "IOS_DEVELOPMENT" }
}

#[test]
fn f1_a_csr_becomes_a_certificate_for_its_key_chained_to_the_ca() {
    let ca = SigningCa::generate().unwrap();
    let pem = rsa_csr(aws_lc_rs::rsa::KeySize::Rsa2048);
    let checked = csr::check(&pem).unwrap();
    let issued = issue(&ca, &checked, &subject()).unwrap();
    let (_, cert) = parse_x509_certificate(&issued.der).unwrap();
    assert_eq!(cert.public_key().raw, checked.public_key_info().as_slice(), "the CSR's own key");
    let ca_der = ca.cert_der().unwrap();
    let (_, ca_cert) = parse_x509_certificate(&ca_der).unwrap();
    cert.verify_signature(Some(ca_cert.public_key())).unwrap();
    assert_eq!(cert.issuer(), ca_cert.subject());
    let subject_text = cert.subject().to_string();
    assert!(subject_text.contains("CN=iPhone Developer: Acme (A1B2C3D4E5)"), "{subject_text}");
    assert!(subject_text.contains("OU=A1B2C3D4E5") && subject_text.contains("O=Acme"), "{subject_text}");
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.code_signing);
    let days = (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp()) / 86_400;
    assert_eq!(days, 365);
    assert_eq!(cert.raw_serial_as_string().replace(':', "").to_uppercase(), issued.serial);
    // Base64 DER without the PEM frame is taken too.
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(csr::check(&body).is_ok());
}

#[test]
fn f1_wrong_keys_forged_and_malformed_csrs_are_refused() {
    let pem = rsa_csr(aws_lc_rs::rsa::KeySize::Rsa3072);
    assert_eq!(csr::check(&pem).unwrap_err(), csr::CsrError::WrongKeyType("RSA 3072".into()));
    let ec = rcgen::KeyPair::generate().unwrap();
    let ec_pem = rcgen::CertificateParams::default().serialize_request(&ec).unwrap().pem().unwrap();
    assert_eq!(csr::check(&ec_pem).unwrap_err(), csr::CsrError::WrongKeyType("not RSA".into()));
    assert_eq!(csr::check("hello").unwrap_err(), csr::CsrError::NotACsr);
    assert_eq!(
        csr::check("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----").unwrap_err(),
        csr::CsrError::NotACsr
    );
    assert_eq!(csr::check("AAAA").unwrap_err(), csr::CsrError::Malformed);
    // One bit of the signed request changed: the signature no longer verifies.
    let good = rsa_csr(aws_lc_rs::rsa::KeySize::Rsa2048);
    let body: String = good.lines().filter(|l| !l.starts_with("-----")).collect();
    use base64::Engine;
    let mut der = base64::engine::general_purpose::STANDARD.decode(body).unwrap();
    let at = der.len() - 300;
    der[at] ^= 0x01;
    let forged = base64::engine::general_purpose::STANDARD.encode(der);
    assert!(matches!(csr::check(&forged), Err(csr::CsrError::BadSignature | csr::CsrError::Malformed)));
}

#[test]
fn f1_a_profile_is_cms_signed_data_that_openssl_opens_to_the_plist() {
    let ca = SigningCa::generate().unwrap();
    let checked = csr::check(&rsa_csr(aws_lc_rs::rsa::KeySize::Rsa2048)).unwrap();
    let cert = issue(&ca, &checked, &subject()).unwrap();
    let content = ProfileContent {
        uuid: "0F6A2C1E-0000-4000-8000-000000000001",
        name: "Fizz Development",
        app_id_name: "Fizz",
        bundle_identifier: "com.acme.fizz",
        team_id: "A1B2C3D4E5",
        team_name: "Acme",
        platforms: vec!["iOS"],
        certificates: vec![cert.der.clone()],
        devices: Some(vec!["00008030-001A2C3E0E88802E"]),
        development: true,
        created: "2026-12-06T10:00:00Z",
        expires: "2027-12-06T10:00:00Z",
        days: 365,
    };
    let signed = sign(&ca, content.plist().as_bytes()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.mobileprovision");
    std::fs::write(&path, &signed).unwrap();
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, &ca.cert_pem).unwrap();
    let run = |args: &[&str]| std::process::Command::new("openssl").args(args).output().unwrap();
    let path = path.to_str().unwrap();
    let opened = run(&["smime", "-inform", "der", "-verify", "-noverify", "-in", path]);
    assert!(opened.status.success(), "{}", String::from_utf8_lossy(&opened.stderr));
    let plist = String::from_utf8(opened.stdout).unwrap();
    assert_eq!(plist, content.plist());
    assert!(plist.contains("<string>00008030-001A2C3E0E88802E</string>"));
    use base64::Engine;
    assert!(plist.contains(&base64::engine::general_purpose::STANDARD.encode(&cert.der)));
    // Verified against the CA too, not only decoded.
    let verified = run(&[
        "cms",
        "-verify",
        "-inform",
        "der",
        "-in",
        path,
        "-CAfile",
        ca_path.to_str().unwrap(),
        "-purpose",
        "any",
    ]);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    // A byte of the payload changed: OpenSSL refuses it.
    let mut tampered = signed.clone();
    let at = tampered.windows(8).position(|w| w == b"Fizz Dev").unwrap();
    tampered[at] = b'B';
    std::fs::write(dir.path().join("t"), &tampered).unwrap();
    let refused =
        run(&["smime", "-inform", "der", "-verify", "-noverify", "-in", dir.path().join("t").to_str().unwrap()]);
    assert!(!refused.status.success(), "a tampered profile must not verify");
}
