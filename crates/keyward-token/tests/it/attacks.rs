//! Tokens an attacker would try, all refused; and any single-byte change of a valid token refused.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use aws_lc_rs::hmac;
use keyward_token::b64;
use keyward_token::keypair::generate;
use keyward_token::verify::AuthFailure;
use proptest::prelude::*;
use serde_json::json;

#[test]
fn alg_none_is_refused() {
    let f = fixture();
    let token = format!(
        "{}.{}.",
        b64::encode(json!({"alg": "none", "kid": f.team_key.as_str()}).to_string()),
        b64::encode(f.team_claims().to_string())
    );
    assert!(f.verify(&token).is_err());
    let token = format!(
        "{}.{}.",
        b64::encode(json!({"alg": "ES256", "kid": f.team_key.as_str()}).to_string()),
        b64::encode(f.team_claims().to_string())
    );
    assert!(f.verify(&token).is_err(), "ES256 with an empty signature");
}

#[test]
fn hs256_keyed_with_the_public_key_is_refused() {
    let f = fixture();
    let public = f.team_private.public_key().unwrap();
    let header = b64::encode(json!({"alg": "HS256", "kid": f.team_key.as_str(), "typ": "JWT"}).to_string());
    let payload = b64::encode(f.team_claims().to_string());
    let input = format!("{header}.{payload}");
    for secret in [public.spki_der().to_vec(), public.to_pem().into_bytes()] {
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &secret), input.as_bytes());
        let token = format!("{input}.{}", b64::encode(tag.as_ref()));
        assert!(matches!(f.verify(&token), Err(AuthFailure::AlgNotEs256 { .. })));
    }
}

#[test]
fn keys_named_in_the_header_are_never_used() {
    let f = fixture();
    let attacker = generate().unwrap();
    for extra in ["jwk", "jku", "x5u", "x5c"] {
        let mut header = f.team_header();
        header[extra] = json!(attacker.public.to_pem());
        let token = craft(&attacker.private, header, f.team_claims());
        assert_eq!(f.verify(&token), Err(AuthFailure::BadSignature), "{extra} must not supply the key");
    }
}

#[test]
fn zero_and_der_signatures_are_refused() {
    let f = fixture();
    let token = f.team_token();
    let (input, _) = token.rsplit_once('.').unwrap();
    assert_eq!(f.verify(&format!("{input}.{}", b64::encode([0u8; 64]))), Err(AuthFailure::BadSignature));
    assert!(f.verify(&format!("{input}.{}", b64::encode([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]))).is_err());
}

#[test]
fn a_valid_signature_by_another_key_under_a_known_kid_is_refused() {
    let f = fixture();
    let other = generate().unwrap();
    let token = craft(&other.private, f.team_header(), f.team_claims());
    assert_eq!(f.verify(&token), Err(AuthFailure::BadSignature));
}

#[test]
fn a_key_of_team_b_with_team_as_issuer_is_refused() {
    let a = fixture();
    let b = fixture();
    // b's key, signed correctly, claiming a's Issuer ID, presented to a verifier knowing both.
    b.verifier.set_team(
        a.team,
        Some(keyward_token::verify::TeamEntry { issuer_id: a.issuer, approved: true, rate_limit_per_hour: None }),
    );
    let token = b.team_token_with(|c| c["iss"] = json!(a.issuer.to_string()));
    assert!(matches!(b.verify(&token), Err(AuthFailure::IssMismatch { .. })));
}

#[test]
fn oversized_tokens_are_refused_before_parsing() {
    let f = fixture();
    let token = f.team_token_with(|c| c["padding"] = json!("x".repeat(9000)));
    assert!(matches!(f.verify(&token), Err(AuthFailure::TooLong { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_single_byte_change_is_refused(position in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let f = fixture();
        let token = f.team_token();
        let mut bytes = token.clone().into_bytes();
        let i = position.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        let changed = String::from_utf8_lossy(&bytes).into_owned();
        prop_assume!(changed != token);
        // The changed token is refused, whether or not the original was verified (and cached) first.
        prop_assert!(f.verify(&token).is_ok());
        prop_assert!(f.verify(&changed).is_err(), "byte {} changed to {:#04x} was accepted", i, byte);
    }
}
