//! A certificate signing request as `POST /v1/certificates` takes it (`csrContent`): PEM, or
//! base64 of the DER, as Apple accepts both. Its signature must verify with its own key (proof
//! that the client holds the private key), and the key must be RSA 2048, as Apple requires.

use base64::Engine;
use rcgen::{CertificateSigningRequestParams, PublicKeyData};

/// Why a CSR is refused, worded for Apple's 409 on `/data/attributes/csrContent`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrError {
    #[error("csrContent is neither a PEM certificate request nor base64 of one")]
    NotACsr,
    #[error("the certificate request is malformed")]
    Malformed,
    #[error("the certificate request's signature does not verify with its public key")]
    BadSignature,
    #[error("the certificate request's key is {0}; Apple's certificates take RSA 2048 keys")]
    WrongKeyType(String),
}

/// A checked CSR: the public key the certificate will carry.
#[derive(Debug)]
pub struct CheckedCsr {
    pub(crate) public_key: rcgen::PublicKey,
}

impl CheckedCsr {
    /// The public key as X.509 SubjectPublicKeyInfo DER.
    pub fn public_key_info(&self) -> Vec<u8> {
        self.public_key.subject_public_key_info()
    }
}

/// The DER of `content`: a PEM `CERTIFICATE REQUEST` block, or base64 of DER (line breaks allowed).
fn der_of(content: &str) -> Result<Vec<u8>, CsrError> {
    let text = content.trim();
    let body: String = if text.starts_with("-----BEGIN") {
        if !text.starts_with("-----BEGIN CERTIFICATE REQUEST-----")
            && !text.starts_with("-----BEGIN NEW CERTIFICATE REQUEST-----")
        {
            return Err(CsrError::NotACsr);
        }
        text.lines().skip(1).take_while(|l| !l.starts_with("-----END")).collect()
    } else {
        text.split_whitespace().collect()
    };
    base64::engine::general_purpose::STANDARD.decode(body).map_err(|_| CsrError::NotACsr)
}

/// RSA public keys of 2048 bits are about 270 bytes of DER (modulus and exponent); the bit size
/// is the modulus's, read from the key.
fn rsa_bits(key_der: &[u8]) -> Option<usize> {
    use x509_parser::der_parser::ber::parse_ber_sequence;
    let (_, seq) = parse_ber_sequence(key_der).ok()?;
    let modulus = seq.as_sequence().ok()?.first()?.as_slice().ok()?;
    let significant = modulus.iter().skip_while(|b| **b == 0).count();
    Some(significant * 8)
}

pub fn check(content: &str) -> Result<CheckedCsr, CsrError> {
    let der = der_of(content)?;
    let parsed = CertificateSigningRequestParams::from_der(&der.into()).map_err(|e| match e {
        rcgen::Error::InvalidCertificationRequestSignature => CsrError::BadSignature,
        rcgen::Error::UnsupportedSignatureAlgorithm => {
            CsrError::WrongKeyType("of an algorithm Apple does not take".into())
        }
        _ => CsrError::Malformed,
    })?;
    let key = parsed.public_key;
    let alg = key.algorithm();
    let is_rsa = [&rcgen::PKCS_RSA_SHA256, &rcgen::PKCS_RSA_SHA384, &rcgen::PKCS_RSA_SHA512].contains(&alg);
    if !is_rsa {
        return Err(CsrError::WrongKeyType("not RSA".into()));
    }
    match rsa_bits(key.der_bytes()) {
        Some(2048) => Ok(CheckedCsr { public_key: key }),
        Some(bits) => Err(CsrError::WrongKeyType(format!("RSA {bits}"))),
        None => Err(CsrError::Malformed),
    }
}
