//! The P-256 key pair of an API key (K9).
//!
//! A key pair exists only in memory, for the length of the single download: [`generate`] makes
//! it, the caller stores [`GeneratedKey::public`] and streams [`GeneratedKey::private`] to the key's
//! owner, and the private half is zeroized when dropped. Nothing here writes anywhere.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::CryptoError;

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// The private half as `AuthKey_<KEYID>.p8` holds it: PEM of PKCS#8 v1 with the public key inside.
/// Zeroized on drop; `Debug` prints nothing of it.
pub struct PrivateKeyPem(Zeroizing<String>);

impl PrivateKeyPem {
    /// The PEM text, for writing to the one place it is meant to go.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads a `.p8` file's text (as Apple and Keyward write them).
    pub fn from_pem(text: &str) -> Result<Self, CryptoError> {
        let pem = Self(Zeroizing::new(text.trim().to_owned() + "\n"));
        pem.signing_key()?;
        Ok(pem)
    }

    /// The PKCS#8 DER bytes inside the PEM armour.
    pub fn pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let body = self
            .0
            .trim()
            .strip_prefix(PEM_BEGIN)
            .and_then(|rest| rest.trim_end().strip_suffix(PEM_END))
            .ok_or(CryptoError::InvalidPrivateKey("missing -----BEGIN PRIVATE KEY----- armour"))?;
        let b64: Zeroizing<String> = Zeroizing::new(body.chars().filter(|c| !c.is_whitespace()).collect());
        STANDARD.decode(b64.as_bytes()).map(Zeroizing::new).map_err(|_| CryptoError::InvalidPrivateKey("bad base64"))
    }

    /// The key pair for signing.
    pub fn signing_key(&self) -> Result<EcdsaKeyPair, CryptoError> {
        let der = self.pkcs8_der()?;
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
            .map_err(|_| CryptoError::InvalidPrivateKey("not a P-256 PKCS#8 key"))
    }

    /// The public half of this private key.
    pub fn public_key(&self) -> Result<PublicKey, CryptoError> {
        PublicKey::of(&self.signing_key()?)
    }
}

impl fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKeyPem(<redacted>)")
    }
}

/// The public half Keyward keeps: X.509 SubjectPublicKeyInfo DER.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    spki_der: Vec<u8>,
}

impl PublicKey {
    fn of(pair: &EcdsaKeyPair) -> Result<Self, CryptoError> {
        let der = pair.public_key().as_der().map_err(|_| CryptoError::InvalidPublicKey)?;
        Ok(Self { spki_der: der.as_ref().to_vec() })
    }

    pub fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
        ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, der).map_err(|_| CryptoError::InvalidPublicKey)?;
        Ok(Self { spki_der: der.to_vec() })
    }

    /// Reads `-----BEGIN PUBLIC KEY-----` PEM (SubjectPublicKeyInfo) of a P-256 key.
    pub fn from_pem(text: &str) -> Result<Self, CryptoError> {
        let body = text
            .trim()
            .strip_prefix("-----BEGIN PUBLIC KEY-----")
            .and_then(|rest| rest.trim_end().strip_suffix("-----END PUBLIC KEY-----"))
            .ok_or(CryptoError::InvalidPublicKey)?;
        let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let der = STANDARD.decode(b64.as_bytes()).map_err(|_| CryptoError::InvalidPublicKey)?;
        Self::from_spki_der(&der)
    }

    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// PEM `-----BEGIN PUBLIC KEY-----`, as OpenSSL prints it.
    pub fn to_pem(&self) -> String {
        pem_wrap("PUBLIC KEY", &self.spki_der)
    }

    /// Verifies an ES256 signature (64-byte `r||s`) over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.spki_der).verify(message, signature).is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey").field("spki_der_len", &self.spki_der.len()).finish()
    }
}

/// A freshly made key pair: the private half for the one download, the public half to store.
#[derive(Debug)]
pub struct GeneratedKey {
    pub private: PrivateKeyPem,
    pub public: PublicKey,
}

/// K9: makes a new P-256 key pair.
pub fn generate() -> Result<GeneratedKey, CryptoError> {
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(|_| CryptoError::KeyGeneration)?;
    let pkcs8 = pair.to_pkcs8v1().map_err(|_| CryptoError::KeyGeneration)?;
    let private = PrivateKeyPem(Zeroizing::new(pem_wrap("PRIVATE KEY", pkcs8.as_ref())));
    let public = PublicKey::of(&pair)?;
    Ok(GeneratedKey { private, public })
}

fn pem_wrap(label: &str, der: &[u8]) -> String {
    let b64 = Zeroizing::new(STANDARD.encode(der));
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 64);
    out.push_str(&format!("-----BEGIN {label}-----\n"));
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k9_generated_key_is_pkcs8_pem_with_the_public_key_inside() {
        let key = generate().expect("generates");
        let pem = key.private.expose();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(pem.ends_with("-----END PRIVATE KEY-----\n"));
        let der = key.private.pkcs8_der().expect("decodes");
        assert_eq!(der.len(), 138, "PKCS#8 v1 with the public key, as Apple's .p8 files");
        assert_eq!(key.private.public_key().expect("parses"), key.public);
    }

    #[test]
    fn k9_private_key_debug_prints_nothing_secret() {
        let key = generate().expect("generates");
        let shown = format!("{key:?}");
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains("BEGIN"));
    }

    #[test]
    fn public_keys_round_trip_through_pem() {
        let key = generate().expect("generates");
        assert_eq!(PublicKey::from_pem(&key.public.to_pem()).ok(), Some(key.public));
        assert!(PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err());
    }

    #[test]
    fn from_pem_refuses_what_is_not_a_p256_pkcs8_key() {
        assert!(PrivateKeyPem::from_pem("hello").is_err());
        assert!(PrivateKeyPem::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err());
        let key = generate().expect("generates");
        assert!(PrivateKeyPem::from_pem(key.private.expose()).is_ok());
    }

    #[test]
    fn public_key_verifies_signatures_of_its_private_half_only() {
        let a = generate().expect("generates");
        let b = generate().expect("generates");
        let sig = crate::sign::sign_raw(&a.private, b"message").expect("signs");
        assert_eq!(sig.len(), 64);
        assert!(a.public.verify(b"message", &sig));
        assert!(!a.public.verify(b"other", &sig));
        assert!(!b.public.verify(b"message", &sig));
    }
}
