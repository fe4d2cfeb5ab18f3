//! ES256 signing of App Store Connect-style JWTs: what `keyward token` prints and what tests send.

use aws_lc_rs::rand::SystemRandom;
use keyward_core::ids::{IssuerId, KeyId};
use serde::Serialize;

use crate::{CryptoError, PrivateKeyPem, b64};

/// The claims of a token. Team keys set `issuer`; individual keys leave it `None` and send
/// `"sub": "user"` (T7).
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub key_id: KeyId,
    pub issuer: Option<IssuerId>,
    pub audience: String,
    pub issued_at: i64,
    pub lifetime_seconds: i64,
    pub scope: Vec<String>,
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    kid: &'a str,
    typ: &'static str,
}

#[derive(Serialize)]
struct Claims<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'static str>,
    iat: i64,
    exp: i64,
    aud: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    scope: &'a [String],
}

/// Signs a token: `base64url(header).base64url(payload).base64url(r||s)`.
pub fn sign_token(key: &PrivateKeyPem, request: &TokenRequest) -> Result<String, CryptoError> {
    let header = Header { alg: "ES256", kid: request.key_id.as_str(), typ: "JWT" };
    let claims = Claims {
        iss: request.issuer.map(|i| i.to_string()),
        sub: request.issuer.is_none().then_some("user"),
        iat: request.issued_at,
        exp: request.issued_at + request.lifetime_seconds,
        aud: &request.audience,
        scope: &request.scope,
    };
    let header = serde_json::to_vec(&header).map_err(|_| CryptoError::Signing)?;
    let claims = serde_json::to_vec(&claims).map_err(|_| CryptoError::Signing)?;
    let signing_input = format!("{}.{}", b64::encode(header), b64::encode(claims));
    let signature = sign_raw(key, signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", b64::encode(signature)))
}

/// ES256 over `message`: the 64-byte `r||s` form JWTs use (T5).
pub fn sign_raw(key: &PrivateKeyPem, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let pair = key.signing_key()?;
    let sig = pair.sign(&SystemRandom::new(), message).map_err(|_| CryptoError::Signing)?;
    Ok(sig.as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keypair::generate;

    fn request(issuer: Option<IssuerId>) -> TokenRequest {
        TokenRequest {
            key_id: KeyId::parse("ABCDE12345").expect("valid"),
            issuer,
            audience: "appstoreconnect-v1".into(),
            issued_at: 1_800_000_000,
            lifetime_seconds: 1200,
            scope: vec![],
        }
    }

    fn part(token: &str, i: usize) -> serde_json::Value {
        let seg = token.split('.').nth(i).and_then(b64::decode).unwrap_or_default();
        serde_json::from_slice(&seg).unwrap_or_default()
    }

    #[test]
    fn team_key_token_has_apple_header_and_claims() {
        let key = generate().expect("key");
        let issuer = IssuerId::random();
        let token = sign_token(&key.private, &request(Some(issuer))).expect("signs");
        assert_eq!(part(&token, 0), serde_json::json!({"alg":"ES256","kid":"ABCDE12345","typ":"JWT"}));
        let claims = part(&token, 1);
        assert_eq!(claims["iss"], issuer.to_string());
        assert_eq!(claims["exp"], 1_800_001_200);
        assert_eq!(claims["aud"], "appstoreconnect-v1");
        assert!(claims.get("sub").is_none() && claims.get("scope").is_none());
        let (input, sig) = token.rsplit_once('.').expect("three parts");
        assert!(key.public.verify(input.as_bytes(), &b64::decode(sig).unwrap_or_default()));
    }

    #[test]
    fn individual_key_token_has_sub_user_and_no_iss() {
        let key = generate().expect("key");
        let mut req = request(None);
        req.scope = vec!["GET /v1/apps".into()];
        let claims = part(&sign_token(&key.private, &req).expect("signs"), 1);
        assert_eq!(claims["sub"], "user");
        assert!(claims.get("iss").is_none());
        assert_eq!(claims["scope"], serde_json::json!(["GET /v1/apps"]));
    }
}
