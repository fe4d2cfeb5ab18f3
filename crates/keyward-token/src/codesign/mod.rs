//! Code signing as Apple's servers do it (spec F1): an installation's signing CA, certificates
//! issued for a client's CSR, and provisioning profiles signed as CMS.
//!
//! - [`csr`]: a certificate signing request checked (signature, key type) and its public key.
//! - [`certificate`]: the X.509 certificate Apple would answer for a CSR and certificate type.
//! - [`profile`]: a provisioning profile's property list wrapped in CMS SignedData.
//! - [`plist`]: the XML property lists profiles carry.
//!
//! The CA is trusted by nobody but the tests that choose to: its certificate is published
//! (`keyward signing ca`), its key lives in the installation's database so that every node signs
//! with the same one.

pub mod certificate;
pub mod csr;
pub mod plist;
pub mod profile;

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose};

use crate::CryptoError;

/// The installation's signing CA: its certificate and key, as PEM. The key is a secret.
#[derive(Clone)]
pub struct SigningCa {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for SigningCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningCa(<key redacted>)")
    }
}

fn rcgen_err(_: rcgen::Error) -> CryptoError {
    CryptoError::KeyGeneration
}

impl SigningCa {
    /// A fresh CA (P-256, ten years), named like Apple's intermediate so that tools printing the
    /// issuer show what it is.
    pub fn generate() -> Result<SigningCa, CryptoError> {
        let key = KeyPair::generate().map_err(rcgen_err)?;
        let cert = ca_params().self_signed(&key).map_err(rcgen_err)?;
        Ok(SigningCa { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
    }

    /// The CA certificate as DER.
    pub fn cert_der(&self) -> Result<Vec<u8>, CryptoError> {
        pem_der(&self.cert_pem).ok_or(CryptoError::InvalidPublicKey)
    }

    pub(crate) fn key(&self) -> Result<KeyPair, CryptoError> {
        KeyPair::from_pem(&self.key_pem).map_err(|_| CryptoError::InvalidPrivateKey("the signing CA's key"))
    }

    pub(crate) fn issuer(&self) -> Result<rcgen::Issuer<'static, KeyPair>, CryptoError> {
        rcgen::Issuer::from_ca_cert_pem(&self.cert_pem, self.key()?).map_err(rcgen_err)
    }
}

fn ca_params() -> CertificateParams {
    let mut ca = CertificateParams::default();
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "Keyward Worldwide Developer Relations Certification Authority");
    name.push(DnType::OrganizationalUnitName, "G3");
    name.push(DnType::OrganizationName, "Keyward");
    name.push(DnType::CountryName, "US");
    ca.distinguished_name = name;
    let now = std::time::SystemTime::now();
    ca.not_before = now.into();
    ca.not_after = (now + std::time::Duration::from_secs(10 * 365 * 24 * 3600)).into();
    ca
}

/// The DER inside the first PEM block of `text`.
pub(crate) fn pem_der(text: &str) -> Option<Vec<u8>> {
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(body.trim()).ok()
}
