//! Verification cost: a never-seen token vs a bare aws-lc-rs ECDSA verify of the same bytes, and a
//! cache hit. Run with `cargo bench -p keyward-token`.

use std::hint::black_box;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use criterion::{Criterion, criterion_group, criterion_main};
use keyward_core::ids::{IssuerId, KeyId, TeamId};
use keyward_core::key::KeyKind;
use keyward_core::role::{Role, RoleSet};
use keyward_token::b64;
use keyward_token::keypair::generate;
use keyward_token::sign::{TokenRequest, sign_token};
use keyward_token::verify::{KeyEntry, RequestTarget, TeamEntry, Verifier, VerifierConfig};

fn bench(c: &mut Criterion) {
    let team = TeamId::random();
    let issuer = IssuerId::random();
    let pair = generate().expect("key");
    let key_id = KeyId::parse("BENCHKEY01").expect("id");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let target = RequestTarget { method: "GET", path: "/v1/apps", query: None };
    let token = sign_token(
        &pair.private,
        &TokenRequest {
            key_id: key_id.clone(),
            issuer: Some(issuer),
            audience: "appstoreconnect-v1".into(),
            issued_at: now,
            lifetime_seconds: 1200,
            scope: vec![],
        },
    )
    .expect("token");
    let make = || {
        // A cache of size 1 that the other token evicts keeps every verification a miss.
        let v = Verifier::new(VerifierConfig { cache_capacity: 1, ..VerifierConfig::default() });
        v.set_team(team, Some(TeamEntry { issuer_id: issuer, approved: true, rate_limit_per_hour: None }));
        v.upsert_key(
            KeyEntry::new(
                key_id.clone(),
                team,
                KeyKind::Team,
                RoleSet::of(&[Role::Admin]),
                None,
                pair.public.spki_der(),
            )
            .expect("entry"),
        );
        v
    };

    let (input, sig) = token.rsplit_once('.').expect("jwt");
    let sig = b64::decode(sig).expect("sig");
    let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public.spki_der()).expect("key");
    c.bench_function("bare aws-lc-rs ECDSA P-256 verify", |b| {
        b.iter(|| parsed.verify_sig(black_box(input.as_bytes()), black_box(&sig)).expect("valid"))
    });

    let cold = make();
    let other = sign_token(
        &pair.private,
        &TokenRequest {
            key_id: key_id.clone(),
            issuer: Some(issuer),
            audience: "appstoreconnect-v1".into(),
            issued_at: now - 1,
            lifetime_seconds: 1200,
            scope: vec![],
        },
    )
    .expect("token");
    let mut flip = false;
    c.bench_function("full verification of a never-seen token", |b| {
        b.iter(|| {
            flip = !flip;
            let t = if flip { &token } else { &other };
            cold.verify(black_box(t), now, &target).expect("valid")
        })
    });

    let warm = make();
    warm.verify(&token, now, &target).expect("valid");
    c.bench_function("cache hit", |b| b.iter(|| warm.verify(black_box(&token), now, &target).expect("valid")));
}

criterion_group!(benches, bench);
criterion_main!(benches);
