//! The token verifier (T1–T15): raw bytes as a bearer token, and header/payload/scope texts signed
//! with a known key so the claim checks behind the signature are reached too.
#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;

use keyward_core::ids::{IssuerId, KeyId, MemberId, TeamId};
use keyward_core::key::KeyKind;
use keyward_core::role::{Role, RoleSet};
use keyward_token::PrivateKeyPem;
use keyward_token::b64;
use keyward_token::keypair::generate;
use keyward_token::verify::{KeyEntry, MemberEntry, RequestTarget, TeamEntry, Verifier, VerifierConfig};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::EcdsaKeyPair;
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_800_000_000;

struct World {
    verifier: Verifier,
    /// Parsed once: signing is what the signed path spends its time on.
    team_key: EcdsaKeyPair,
    member_key: EcdsaKeyPair,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let verifier = Verifier::new(VerifierConfig { cache_capacity: 64, ..VerifierConfig::default() });
        let team = TeamId::random();
        let issuer: IssuerId = "7b3f6c1e-0d55-4c2a-9e2f-2f8b1c3d4e5f".parse().expect("issuer");
        verifier.set_team(team, Some(TeamEntry { issuer_id: issuer, approved: true, rate_limit_per_hour: None }));
        let team_pair = generate().expect("key pair");
        let kid = KeyId::parse("TEAMKEY001").expect("kid");
        let roles = RoleSet::of(&[Role::AppManager]);
        let entry = KeyEntry::new(kid, team, KeyKind::Team, roles, None, team_pair.public.spki_der());
        verifier.upsert_key(entry.expect("entry"));
        let member = MemberId::random();
        let m = MemberEntry { team_id: team, roles, all_apps_visible: true, visible_apps: HashSet::new() };
        verifier.set_member(member, Some(m));
        let member_pair = generate().expect("key pair");
        let kid = KeyId::parse("INDIVKEY01").expect("kid");
        let entry = KeyEntry::new(kid, team, KeyKind::Individual, RoleSet::EMPTY, Some(member), member_pair.public.spki_der());
        verifier.upsert_key(entry.expect("entry"));
        let parse = |p: &PrivateKeyPem| p.signing_key().expect("signing key");
        World { verifier, team_key: parse(&team_pair.private), member_key: parse(&member_pair.private) }
    })
}

fn target(data: &[u8]) -> RequestTarget<'_> {
    let text = std::str::from_utf8(data).unwrap_or("");
    let (method, rest) = text.split_once(' ').unwrap_or(("GET", "/v1/apps"));
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    RequestTarget { method, path, query }
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    let Some((&mode, rest)) = data.split_first() else { return };
    // Bytes after the last 0xFF are the request the token is presented for.
    let (body, request) = match rest.iter().rposition(|b| *b == 0xFF) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &b"GET /v1/apps"[..]),
    };
    let request = target(request);
    // Signing costs far more than a refusal, so one input in eight is signed: the raw path gets the
    // executions, the signed path still reaches every claim check.
    if mode % 8 != 1 {
        // Raw bytes as the token.
        if let Ok(token) = std::str::from_utf8(body) {
            let _ = w.verifier.verify(token, NOW, &request);
        }
        return;
    }
    // Header and payload texts, separated by 0xFE, signed with a known key.
    let (header, payload) = match body.iter().position(|b| *b == 0xFE) {
        Some(at) => (&body[..at], &body[at + 1..]),
        None => (&br#"{"alg":"ES256","kid":"TEAMKEY001","typ":"JWT"}"#[..], body),
    };
    let key = if mode & 8 == 0 { &w.team_key } else { &w.member_key };
    let input = format!("{}.{}", b64::encode(header), b64::encode(payload));
    let Ok(sig) = key.sign(&SystemRandom::new(), input.as_bytes()) else { return };
    let token = format!("{input}.{}", b64::encode(sig));
    let now = NOW + i64::from(mode >> 4) * 97;
    let _ = w.verifier.verify(&token, now, &request);
    // A cache hit runs the time and scope checks again.
    let _ = w.verifier.verify(&token, now + 1, &request);
});
