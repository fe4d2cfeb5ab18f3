//! A verifier with one approved team and a team key and an individual key, plus a token crafter
//! for shapes our own signer would never make.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashSet;

use keyward_core::ids::{IssuerId, KeyId, MemberId, TeamId};
use keyward_core::key::KeyKind;
use keyward_core::role::{Role, RoleSet};
use keyward_token::PrivateKeyPem;
use keyward_token::b64;
use keyward_token::keypair::generate;
use keyward_token::sign::sign_raw;
use keyward_token::verify::{KeyEntry, MemberEntry, RequestTarget, TeamEntry, Verifier, VerifierConfig};
use serde_json::{Value, json};

pub const NOW: i64 = 1_800_000_000;
pub const GET_APPS: RequestTarget<'static> = RequestTarget { method: "GET", path: "/v1/apps", query: None };

pub struct Fixture {
    pub verifier: Verifier,
    pub team: TeamId,
    pub issuer: IssuerId,
    pub team_key: KeyId,
    pub team_private: PrivateKeyPem,
    pub individual_key: KeyId,
    pub individual_private: PrivateKeyPem,
    pub member: MemberId,
}

pub fn fixture() -> Fixture {
    let verifier = Verifier::new(VerifierConfig::default());
    let team = TeamId::random();
    let issuer = IssuerId::random();
    verifier.set_team(team, Some(TeamEntry { issuer_id: issuer, approved: true, rate_limit_per_hour: None }));
    let team_pair = generate().unwrap();
    let team_key = KeyId::parse("TEAMKEY001").unwrap();
    verifier.upsert_key(
        KeyEntry::new(
            team_key.clone(),
            team,
            KeyKind::Team,
            RoleSet::of(&[Role::AppManager]),
            None,
            team_pair.public.spki_der(),
        )
        .unwrap(),
    );
    let member = MemberId::random();
    verifier.set_member(
        member,
        Some(MemberEntry {
            team_id: team,
            roles: RoleSet::of(&[Role::Developer]),
            all_apps_visible: true,
            visible_apps: HashSet::new(),
        }),
    );
    let ind_pair = generate().unwrap();
    let individual_key = KeyId::parse("INDIVKEY01").unwrap();
    verifier.upsert_key(
        KeyEntry::new(
            individual_key.clone(),
            team,
            KeyKind::Individual,
            RoleSet::EMPTY,
            Some(member),
            ind_pair.public.spki_der(),
        )
        .unwrap(),
    );
    Fixture {
        verifier,
        team,
        issuer,
        team_key,
        team_private: team_pair.private,
        individual_key,
        individual_private: ind_pair.private,
        member,
    }
}

/// Signs exactly the given header and payload JSON texts.
pub fn craft_raw(key: &PrivateKeyPem, header: &str, payload: &str) -> String {
    let input = format!("{}.{}", b64::encode(header), b64::encode(payload));
    let sig = sign_raw(key, input.as_bytes()).unwrap();
    format!("{input}.{}", b64::encode(sig))
}

pub fn craft(key: &PrivateKeyPem, header: Value, payload: Value) -> String {
    craft_raw(key, &header.to_string(), &payload.to_string())
}

impl Fixture {
    pub fn team_header(&self) -> Value {
        json!({"alg": "ES256", "kid": self.team_key.as_str(), "typ": "JWT"})
    }

    pub fn team_claims(&self) -> Value {
        json!({"iss": self.issuer.to_string(), "iat": NOW, "exp": NOW + 1200, "aud": "appstoreconnect-v1"})
    }

    pub fn team_token(&self) -> String {
        craft(&self.team_private, self.team_header(), self.team_claims())
    }

    /// A team-key token with `edit` applied to its claims.
    pub fn team_token_with(&self, edit: impl FnOnce(&mut Value)) -> String {
        let mut claims = self.team_claims();
        edit(&mut claims);
        craft(&self.team_private, self.team_header(), claims)
    }

    pub fn individual_token_with(&self, edit: impl FnOnce(&mut Value)) -> String {
        let mut claims = json!({"sub": "user", "iat": NOW, "exp": NOW + 1200, "aud": "appstoreconnect-v1"});
        edit(&mut claims);
        craft(
            &self.individual_private,
            json!({"alg": "ES256", "kid": self.individual_key.as_str(), "typ": "JWT"}),
            claims,
        )
    }

    pub fn verify(&self, token: &str) -> Result<(), keyward_token::verify::AuthFailure> {
        self.verify_for(token, &GET_APPS)
    }

    pub fn verify_for(
        &self,
        token: &str,
        target: &RequestTarget<'_>,
    ) -> Result<(), keyward_token::verify::AuthFailure> {
        self.verifier.verify(token, NOW, target).map(|_| ()).map_err(|r| r.failure)
    }
}
