//! X2: a public key uploaded by a key's owner, who keeps the private key to themselves.
//!
//! Only what can sign ES256 tokens is taken: one PEM `PUBLIC KEY` block holding a P-256
//! SubjectPublicKeyInfo with an uncompressed point on the curve. Everything else is refused with a
//! reason a person can act on (a private key pasted by mistake, RSA, another curve). What is stored
//! is rebuilt from the point, so two encodings of one key are one key to the "already in use" check.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::keypair::PublicKey;

/// The DER of a P-256 SubjectPublicKeyInfo up to its 65-byte uncompressed point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The longest upload read: a P-256 public key's PEM is 178 bytes; anything near this is not one.
pub const MAX_PEM_BYTES: usize = 16 * 1024;

/// Why an upload is refused. The text never includes the upload: it may be a private key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("expected one PEM block '-----BEGIN PUBLIC KEY-----' (a P-256 SubjectPublicKeyInfo)")]
    NotPem,
    #[error(
        "this is a private key; keep it to yourself and upload only its public half (`openssl pkey -in key.pem -pubout`)"
    )]
    PrivateKey,
    #[error("this is a certificate; upload its public key (`openssl x509 -in cert.pem -pubkey -noout`)")]
    Certificate,
    #[error("the PEM block does not hold a valid SubjectPublicKeyInfo")]
    Malformed,
    #[error("RSA keys cannot sign ES256 tokens; make a P-256 key (`openssl ecparam -name prime256v1 -genkey`)")]
    Rsa,
    #[error("keys on {0} cannot sign ES256 tokens; make a P-256 (prime256v1) key")]
    OtherCurve(String),
    #[error("{0} keys cannot sign ES256 tokens; make a P-256 (prime256v1) key")]
    OtherAlgorithm(String),
    #[error("the point is compressed or not on P-256; export the key uncompressed (OpenSSL's default)")]
    BadPoint,
    #[error("the upload is larger than {MAX_PEM_BYTES} bytes; a P-256 public key's PEM is about 180")]
    TooLarge,
}

/// Reads an uploaded public key: the canonical SubjectPublicKeyInfo of a P-256 point, or why not.
pub fn p256_public_key_from_pem(text: &str) -> Result<PublicKey, UploadError> {
    if text.len() > MAX_PEM_BYTES {
        return Err(UploadError::TooLarge);
    }
    let text = text.trim();
    let label = text
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.split_once("-----"))
        .map(|(label, _)| label)
        .ok_or(UploadError::NotPem)?;
    match label {
        "PUBLIC KEY" => {}
        l if l.ends_with("PRIVATE KEY") => return Err(UploadError::PrivateKey),
        "CERTIFICATE" => return Err(UploadError::Certificate),
        "RSA PUBLIC KEY" => return Err(UploadError::Rsa),
        _ => return Err(UploadError::NotPem),
    }
    let body = text
        .strip_prefix("-----BEGIN PUBLIC KEY-----")
        .and_then(|rest| rest.strip_suffix("-----END PUBLIC KEY-----"))
        .filter(|body| !body.contains("-----"))
        .ok_or(UploadError::NotPem)?;
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD.decode(b64.as_bytes()).map_err(|_| UploadError::Malformed)?;
    let (rest, spki) = SubjectPublicKeyInfo::from_der(&der).map_err(|_| UploadError::Malformed)?;
    if !rest.is_empty() {
        return Err(UploadError::Malformed);
    }
    match spki.algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.10045.2.1" => {}
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => return Err(UploadError::Rsa),
        "1.3.101.112" => return Err(UploadError::OtherAlgorithm("Ed25519".into())),
        "1.3.101.113" => return Err(UploadError::OtherAlgorithm("Ed448".into())),
        other => return Err(UploadError::OtherAlgorithm(format!("algorithm {other}"))),
    }
    let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()).ok_or(UploadError::Malformed)?;
    match curve.to_id_string().as_str() {
        "1.2.840.10045.3.1.7" => {}
        "1.3.132.0.34" => return Err(UploadError::OtherCurve("P-384".into())),
        "1.3.132.0.35" => return Err(UploadError::OtherCurve("P-521".into())),
        "1.3.132.0.10" => return Err(UploadError::OtherCurve("secp256k1".into())),
        other => return Err(UploadError::OtherCurve(format!("curve {other}"))),
    }
    let point = spki.subject_public_key.data.as_ref();
    if point.len() != 65 || point.first() != Some(&0x04) {
        return Err(UploadError::BadPoint);
    }
    let mut canonical = P256_SPKI_PREFIX.to_vec();
    canonical.extend_from_slice(point);
    PublicKey::from_spki_der(&canonical).map_err(|_| UploadError::BadPoint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keypair;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::{ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair};

    fn pem(label: &str, der: &[u8]) -> String {
        format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", STANDARD.encode(der))
    }

    #[test]
    fn x2_a_p256_public_key_is_taken_as_its_canonical_der() {
        let pair = keypair::generate().expect("pair");
        let uploaded = p256_public_key_from_pem(&pair.public.to_pem()).expect("taken");
        assert_eq!(uploaded.spki_der(), pair.public.spki_der());
        let one_line = pem("PUBLIC KEY", pair.public.spki_der()).replace('\n', "\r\n");
        assert_eq!(p256_public_key_from_pem(&one_line).expect("CRLF too"), uploaded);
    }

    #[test]
    fn x2_private_keys_other_curves_and_garbage_are_refused_with_a_reason() {
        let pair = keypair::generate().expect("pair");
        assert_eq!(p256_public_key_from_pem(pair.private.expose()), Err(UploadError::PrivateKey));
        assert_eq!(
            p256_public_key_from_pem(&pem("EC PRIVATE KEY", b"\x30\x00")),
            Err(UploadError::PrivateKey),
            "not even parsed"
        );
        let p384 = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING).expect("p384");
        let p384_der = p384.public_key().as_der().expect("der");
        assert_eq!(
            p256_public_key_from_pem(&pem("PUBLIC KEY", p384_der.as_ref())),
            Err(UploadError::OtherCurve("P-384".into()))
        );
        let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("rsa");
        let rsa_der = rsa.public_key().as_der().expect("der");
        assert_eq!(p256_public_key_from_pem(&pem("PUBLIC KEY", rsa_der.as_ref())), Err(UploadError::Rsa));
        assert_eq!(p256_public_key_from_pem("hello"), Err(UploadError::NotPem));
        assert_eq!(p256_public_key_from_pem(&pem("PUBLIC KEY", b"not der")), Err(UploadError::Malformed));
        let mut off_curve = pair.public.spki_der().to_vec();
        let last = off_curve.len() - 1;
        off_curve[last] ^= 1;
        assert_eq!(p256_public_key_from_pem(&pem("PUBLIC KEY", &off_curve)), Err(UploadError::BadPoint));
        let two = format!("{}{}", pair.public.to_pem(), pair.public.to_pem());
        assert_eq!(p256_public_key_from_pem(&two), Err(UploadError::NotPem));
        assert_eq!(p256_public_key_from_pem(&"A".repeat(MAX_PEM_BYTES + 1)), Err(UploadError::TooLarge));
    }
}
