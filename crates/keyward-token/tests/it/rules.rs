//! The T-rules of spec section 4 against the verifier itself: for each, a token accepted and one
//! refused with the precise reason. (Over HTTP they are proven again in keyward-server's tests.)
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::key::KeyKind;
use keyward_core::role::{Role, RoleSet};
use keyward_token::b64;
use keyward_token::verify::{AuthFailure, KeyEnd, KeyEntry, RequestTarget};
use serde_json::json;

#[test]
fn t2_three_unpadded_base64url_segments_of_json_objects() {
    let f = fixture();
    assert_eq!(f.verify(&f.team_token()), Ok(()));
    assert!(matches!(f.verify("a.b"), Err(AuthFailure::NotThreeSegments { segments: 2 })));
    assert!(matches!(f.verify("a.b.c.d"), Err(AuthFailure::NotThreeSegments { segments: 4 })));
    let token = f.team_token();
    let padded = token.replacen('.', "=.", 1);
    assert!(matches!(f.verify(&padded), Err(AuthFailure::BadBase64 { .. })));
    let not_object = format!("{}.{}.sig", b64::encode("[1]"), b64::encode("{}"));
    assert!(matches!(f.verify(&not_object), Err(AuthFailure::NotJsonObject { part: "header" })));
    let long = "a".repeat(8193);
    assert!(matches!(f.verify(&long), Err(AuthFailure::TooLong { bytes: 8193 })));
}

#[test]
fn t2_duplicate_json_members_are_refused() {
    let f = fixture();
    let header = format!(r#"{{"alg":"ES256","kid":"{}","typ":"JWT"}}"#, f.team_key);
    let payload = format!(r#"{{"iss":"{0}","iss":"{0}","exp":{1},"aud":"appstoreconnect-v1"}}"#, f.issuer, NOW + 600);
    let token = craft_raw(&f.team_private, &header, &payload);
    assert_eq!(f.verify(&token), Err(AuthFailure::DuplicateMember { part: "payload", name: "iss".into() }));
    let header = format!(r#"{{"alg":"ES256","kid":"{0}","kid":"{0}"}}"#, f.team_key);
    let token = craft_raw(&f.team_private, &header, &f.team_claims().to_string());
    assert!(matches!(f.verify(&token), Err(AuthFailure::DuplicateMember { part: "header", .. })));
}

#[test]
fn t3_alg_kid_typ_and_crit() {
    let f = fixture();
    let claims = f.team_claims();
    let without_typ = craft(&f.team_private, json!({"alg": "ES256", "kid": f.team_key.as_str()}), claims.clone());
    assert_eq!(f.verify(&without_typ), Ok(()), "typ is optional");
    for (header, expected) in [
        (json!({"alg": "none", "kid": f.team_key.as_str()}), "alg"),
        (json!({"alg": "es256", "kid": f.team_key.as_str()}), "alg"),
        (json!({"alg": "ES256", "kid": 42}), "kid"),
        (json!({"alg": "ES256", "kid": f.team_key.as_str(), "typ": "JOSE"}), "typ"),
        (json!({"alg": "ES256", "kid": f.team_key.as_str(), "crit": ["exp"]}), "crit"),
    ] {
        let token = craft(&f.team_private, header, claims.clone());
        assert_eq!(f.verify(&token).map_err(|e| e.label()), Err(expected));
    }
}

#[test]
fn t4_unknown_kid_and_unapproved_team() {
    let f = fixture();
    let token = craft(&f.team_private, json!({"alg": "ES256", "kid": "NOSUCHKEY1"}), f.team_claims());
    assert!(matches!(f.verify(&token), Err(AuthFailure::UnknownKey { .. })));
    f.verifier.set_team(
        f.team,
        Some(keyward_token::verify::TeamEntry { issuer_id: f.issuer, approved: false, rate_limit_per_hour: None }),
    );
    assert_eq!(f.verify(&f.team_token()), Err(AuthFailure::AccessNotApproved));
}

#[test]
fn t5_signature_must_be_64_byte_r_s() {
    let f = fixture();
    let token = f.team_token();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = b64::decode(sig).unwrap();
    // The same signature DER-encoded.
    let mut der = vec![0x30, 0x44, 0x02, 0x20];
    der.extend_from_slice(&sig[..32]);
    der.extend_from_slice(&[0x02, 0x20]);
    der.extend_from_slice(&sig[32..]);
    assert!(matches!(f.verify(&format!("{input}.{}", b64::encode(&der))), Err(AuthFailure::DerSignature { .. })));
    assert!(matches!(
        f.verify(&format!("{input}.{}", b64::encode([0u8; 63]))),
        Err(AuthFailure::SignatureLength { bytes: 63 })
    ));
    assert_eq!(f.verify(&format!("{input}.{}", b64::encode([0u8; 64]))), Err(AuthFailure::BadSignature));
}

#[test]
fn t6_audience() {
    let f = fixture();
    assert_eq!(f.verify(&f.team_token_with(|c| c["aud"] = json!(["other", "appstoreconnect-v1"]))), Ok(()));
    assert!(matches!(
        f.verify(&f.team_token_with(|c| c["aud"] = json!("appstoreconnect-v2"))),
        Err(AuthFailure::AudMismatch { .. })
    ));
    let no_aud = f.team_token_with(|c| {
        c.as_object_mut().unwrap().remove("aud");
    });
    assert_eq!(f.verify(&no_aud), Err(AuthFailure::AudMissing));
}

#[test]
fn t7_iss_for_team_keys_sub_user_for_individual_keys() {
    let f = fixture();
    let upper = f.team_token_with(|c| c["iss"] = json!(f.issuer.to_string().to_uppercase()));
    assert_eq!(f.verify(&upper), Ok(()), "Issuer IDs compare case-insensitively");
    assert!(matches!(
        f.verify(&f.team_token_with(|c| c["iss"] = json!("57246542-96fe-1a63-e053-0824d011072a"))),
        Err(AuthFailure::IssMismatch { .. })
    ));
    let missing = f.team_token_with(|c| {
        c.as_object_mut().unwrap().remove("iss");
    });
    assert_eq!(f.verify(&missing), Err(AuthFailure::IssMissing));
    assert_eq!(f.verify(&f.individual_token_with(|_| {})), Ok(()));
    assert_eq!(
        f.verify(&f.individual_token_with(|c| c["iss"] = json!(f.issuer.to_string()))),
        Err(AuthFailure::IssWithIndividualKey)
    );
    assert!(matches!(
        f.verify(&f.individual_token_with(|c| c["sub"] = json!("admin"))),
        Err(AuthFailure::SubNotUser { .. })
    ));
}

#[test]
fn t8_exp_required_and_not_past() {
    let f = fixture();
    assert_eq!(f.verify(&f.team_token_with(|c| c["exp"] = json!(NOW - 59))), Ok(()), "within the 60 s skew");
    assert!(matches!(f.verify(&f.team_token_with(|c| c["exp"] = json!(NOW - 60))), Err(AuthFailure::Expired { .. })));
    let no_exp = f.team_token_with(|c| {
        c.as_object_mut().unwrap().remove("exp");
    });
    assert_eq!(f.verify(&no_exp), Err(AuthFailure::ExpMissing));
    assert_eq!(
        f.verify(&f.team_token_with(|c| c["exp"] = json!("soon"))),
        Err(AuthFailure::ClaimNotNumber { claim: "exp" })
    );
}

#[test]
fn t9_iat_optional_not_future_and_lifetime_at_most_1200() {
    let f = fixture();
    let without_iat = f.team_token_with(|c| {
        c.as_object_mut().unwrap().remove("iat");
        c["exp"] = json!(NOW + 1200);
    });
    assert_eq!(f.verify(&without_iat), Ok(()));
    assert_eq!(f.verify(&f.team_token_with(|c| c["exp"] = json!(NOW + 1200))), Ok(()), "exp - iat = 1200 is valid");
    assert_eq!(
        f.verify(&f.team_token_with(|c| {
            c["iat"] = json!(NOW - 100);
            c["exp"] = json!(NOW + 1160);
        })),
        Err(AuthFailure::LifetimeTooLong { lifetime: 1260, max: 1200 })
    );
    assert!(matches!(
        f.verify(&f.team_token_with(|c| c["iat"] = json!(NOW + 61))),
        Err(AuthFailure::IatInFuture { .. })
    ));
}

#[test]
fn t10_exp_never_beyond_now_plus_max_lifetime() {
    let f = fixture();
    let far = f.team_token_with(|c| {
        c.as_object_mut().unwrap().remove("iat");
        c["exp"] = json!(NOW + 1200 + 61);
    });
    assert!(matches!(f.verify(&far), Err(AuthFailure::ExpTooFar { .. })));
    let at_limit = f.team_token_with(|c| {
        c.as_object_mut().unwrap().remove("iat");
        c["exp"] = json!(NOW + 1200 + 60);
    });
    assert_eq!(f.verify(&at_limit), Ok(()));
}

#[test]
fn t11_long_lived_tokens_only_for_get_scopes_of_listed_resources() {
    let f = fixture();
    let target = RequestTarget { method: "GET", path: "/v1/ciProducts", query: None };
    let long = |scope: serde_json::Value| {
        f.team_token_with(|c| {
            c["exp"] = json!(NOW + 100 * 24 * 3600);
            c["scope"] = scope;
        })
    };
    assert_eq!(f.verify_for(&long(json!(["GET /v1/ciProducts"])), &target), Ok(()));
    assert!(matches!(f.verify_for(&long(json!(["GET /v1/apps"])), &target), Err(AuthFailure::LifetimeTooLong { .. })));
    assert!(matches!(
        f.verify_for(&long(json!(["POST /v1/ciBuildRuns"])), &target),
        Err(AuthFailure::LifetimeTooLong { .. })
    ));
}

#[test]
fn t12_scope_must_match_the_request() {
    let f = fixture();
    let scoped = f.team_token_with(|c| c["scope"] = json!(["GET /v1/apps?filter[bundleId]=com.a"]));
    let ok = RequestTarget { method: "GET", path: "/v1/apps", query: Some("filter%5BbundleId%5D=com.a&limit=10") };
    assert_eq!(f.verify_for(&scoped, &ok), Ok(()));
    assert!(matches!(f.verify(&scoped), Err(AuthFailure::ScopeNoMatch { .. })), "cached or not, the scope is checked");
    let malformed = f.team_token_with(|c| c["scope"] = json!("GET /v1/apps"));
    assert!(matches!(f.verify(&malformed), Err(AuthFailure::ScopeMalformed { .. })));
    let bad_entry = f.team_token_with(|c| c["scope"] = json!(["get /v1/apps"]));
    assert!(matches!(f.verify(&bad_entry), Err(AuthFailure::ScopeMalformed { .. })));
}

#[test]
fn t13_nbf_is_honoured() {
    let f = fixture();
    assert_eq!(f.verify(&f.team_token_with(|c| c["nbf"] = json!(NOW + 60))), Ok(()));
    assert!(matches!(
        f.verify(&f.team_token_with(|c| c["nbf"] = json!(NOW + 61))),
        Err(AuthFailure::NotYetValid { .. })
    ));
}

#[test]
fn t15_cached_tokens_still_expire_and_revocation_purges_them() {
    let f = fixture();
    let token = f.team_token();
    assert!(f.verifier.verify(&token, NOW, &GET_APPS).is_ok());
    assert_eq!(f.verifier.cached_tokens(), 1);
    let (_, path) = f.verifier.verify(&token, NOW, &GET_APPS).unwrap();
    assert_eq!(path, keyward_token::verify::Path::CacheHit);
    let later = f.verifier.verify(&token, NOW + 1200 + 60, &GET_APPS);
    assert!(matches!(later.map_err(|r| r.failure), Err(AuthFailure::Expired { .. })), "time checks run on hits");
    f.verifier.remove_key(&f.team_key);
    assert_eq!(f.verifier.cached_tokens(), 0, "revocation purged the cached token");
    assert!(matches!(f.verify(&token), Err(AuthFailure::UnknownKey { .. })));
}

#[test]
fn t9_an_iat_near_the_smallest_integer_is_refused_not_wrapped() {
    let f = fixture();
    for iat in [i64::MIN, i64::MIN + 1, -(1_i64 << 62)] {
        let token = f.team_token_with(|c| c["iat"] = json!(iat));
        assert!(matches!(f.verify(&token), Err(AuthFailure::LifetimeTooLong { .. })), "iat {iat}");
    }
}

// T15: a revocation (or member removal, role change, loss of access) that lands between a
// verification's table read and its cache insert must not leave a cached principal behind.
#[test]
fn t15_a_change_during_verification_never_leaves_a_stale_cache_entry() {
    let f = fixture();
    let token = f.team_token();
    let verified = f.verifier.verify_then(&token, NOW, &GET_APPS, || f.verifier.remove_key(&f.team_key));
    assert!(verified.is_ok(), "the request in flight was verified before the revocation");
    assert_eq!(f.verifier.cached_tokens(), 0, "but its principal was not cached");
    assert!(matches!(f.verify(&token), Err(AuthFailure::UnknownKey { .. })), "the replay is refused");

    // The same for a member's change: the cached principal would carry the old roles.
    let f = fixture();
    let token = f.individual_token_with(|_| {});
    let verified = f.verifier.verify_then(&token, NOW, &GET_APPS, || f.verifier.set_member(f.member, None));
    assert!(verified.is_ok());
    assert_eq!(f.verifier.cached_tokens(), 0);
    assert!(f.verify(&token).is_err(), "a removed member's token is refused on replay");
}

#[test]
fn t14_failures_name_the_known_key_and_a_precise_reason() {
    let f = fixture();
    let token = f.team_token_with(|c| {
        c["iat"] = json!(NOW - 60);
        c["exp"] = json!(NOW + 1200);
    });
    let rejection = f.verifier.verify(&token, NOW, &GET_APPS).unwrap_err();
    assert_eq!(rejection.key_id.as_ref(), Some(&f.team_key));
    assert_eq!(rejection.failure.to_string(), "lifetime 1260 s exceeds 1200 s");
    assert_eq!(rejection.failure.rule(), "T9");
    let unknown = craft(&f.team_private, json!({"alg": "ES256", "kid": "NOSUCHKEY1"}), f.team_claims());
    assert_eq!(f.verifier.verify(&unknown, NOW, &GET_APPS).unwrap_err().key_id, None);
}

// T6 and T15 with the gateway's audience (spec section 10): a token accepted, and cached, for one
// audience is refused for another, in both directions, and is no cache hit there.
#[test]
fn t6_a_token_cached_for_one_audience_is_refused_for_another() {
    let f = fixture();
    let apple = f.team_token();
    let gateway = f.team_token_with(|c| c["aud"] = json!("acme-api-v1"));
    assert!(f.verifier.verify(&apple, NOW, &GET_APPS).is_ok());
    assert!(f.verifier.verify_for("acme-api-v1", &gateway, NOW, &GET_APPS).is_ok());
    assert_eq!(f.verifier.cached_tokens(), 2);
    let crossed = f.verifier.verify_for("acme-api-v1", &apple, NOW, &GET_APPS);
    assert!(matches!(crossed.map_err(|r| r.failure), Err(AuthFailure::AudMismatch { .. })));
    assert!(matches!(f.verify(&gateway), Err(AuthFailure::AudMismatch { .. })));
    let (_, path) = f.verifier.verify_for("acme-api-v1", &gateway, NOW, &GET_APPS).unwrap();
    assert_eq!(path, keyward_token::verify::Path::CacheHit, "its own audience still hits");
}

// T11: 180-day scoped tokens are Apple's; for the gateway's audience the usual 20 minutes hold.
#[test]
fn t11_long_lived_tokens_are_for_apples_audience_only() {
    let f = fixture();
    let long = |aud: &str| {
        f.team_token_with(|c| {
            c["aud"] = json!(aud);
            c["iat"] = json!(NOW);
            c["exp"] = json!(NOW + 30 * 24 * 3600);
            c["scope"] = json!(["GET /v1/ciProducts"]);
        })
    };
    let ci = RequestTarget { method: "GET", path: "/v1/ciProducts", query: None };
    assert!(f.verifier.verify(&long("appstoreconnect-v1"), NOW, &ci).is_ok());
    let gateway = f.verifier.verify_for("acme-api-v1", &long("acme-api-v1"), NOW, &ci);
    assert!(matches!(gateway.map_err(|r| r.failure), Err(AuthFailure::LifetimeTooLong { .. })));
}

/// Re-adds the fixture's team key with `end`, as the replica does when the feed says it changed.
fn end_team_key(f: &Fixture, end: Option<KeyEnd>) {
    let public = f.team_private.public_key().unwrap();
    let entry = KeyEntry::new(
        f.team_key.clone(),
        f.team,
        KeyKind::Team,
        RoleSet::of(&[Role::AppManager]),
        None,
        public.spki_der(),
    )
    .unwrap()
    .ending(end);
    f.verifier.upsert_key(entry);
}

#[test]
fn x3_an_expired_key_is_refused_from_its_second_on_cached_tokens_included() {
    let f = fixture();
    end_team_key(&f, KeyEnd::of(Some(NOW + 10), None));
    let token = f.team_token();
    let verify_at = |now| f.verifier.verify(&token, now, &GET_APPS).map(|_| ()).map_err(|r| r.failure);
    assert_eq!(verify_at(NOW), Ok(()), "verified, and now cached");
    assert_eq!(verify_at(NOW + 9), Ok(()), "a cache hit the second before");
    assert_eq!(verify_at(NOW + 10), Err(AuthFailure::KeyExpired { at: NOW + 10 }), "the cache hit is refused too");
    let fresh = f.team_token_with(|c| c["iat"] = json!(NOW + 11));
    assert_eq!(
        f.verifier.verify(&fresh, NOW + 11, &GET_APPS).map(|_| ()).map_err(|r| r.failure),
        Err(AuthFailure::KeyExpired { at: NOW + 10 })
    );
    assert_eq!(AuthFailure::KeyExpired { at: 0 }.rule(), "T4");
}

#[test]
fn x4_a_rotated_out_key_ends_at_its_grace_periods_end_even_before_its_expiry() {
    let f = fixture();
    end_team_key(&f, KeyEnd::of(Some(NOW + 100), Some(NOW + 5)));
    let token = f.team_token();
    assert_eq!(f.verify(&token), Ok(()));
    assert_eq!(
        f.verifier.verify(&token, NOW + 5, &GET_APPS).map(|_| ()).map_err(|r| r.failure),
        Err(AuthFailure::KeyRotatedOut { at: NOW + 5 })
    );
    assert_eq!(KeyEnd::of(Some(NOW), Some(NOW + 5)), Some(KeyEnd { at: NOW, rotated_out: false }));
}
