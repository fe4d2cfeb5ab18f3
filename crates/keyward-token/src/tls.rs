//! A local certificate authority and a server certificate for `api.appstoreconnect.apple.com`
//! (and `localhost`, `127.0.0.1`), so clients that hard-code Apple's host can be pointed at
//! Keyward by a hosts-file line and by trusting the local CA.

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType};

use crate::CryptoError;

/// The host names the server certificate covers.
pub const HOSTS: [&str; 2] = ["api.appstoreconnect.apple.com", "localhost"];

/// PEM texts of a fresh CA and a server certificate signed by it. The keys are secrets: write
/// them with mode 0600.
#[derive(Clone)]
pub struct LocalTls {
    pub ca_cert_pem: String,
    pub ca_key_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
}

impl std::fmt::Debug for LocalTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalTls(<keys redacted>)")
    }
}

fn tls_err(_: rcgen::Error) -> CryptoError {
    CryptoError::KeyGeneration
}

pub fn generate() -> Result<LocalTls, CryptoError> {
    let ca_key = KeyPair::generate().map_err(tls_err)?;
    let mut ca = CertificateParams::default();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "Keyward local CA");
    name.push(DnType::OrganizationName, "Keyward");
    ca.distinguished_name = name;
    let ca_cert = ca.self_signed(&ca_key).map_err(tls_err)?;

    let server_key = KeyPair::generate().map_err(tls_err)?;
    let mut server =
        CertificateParams::new(HOSTS.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()).map_err(tls_err)?;
    server.subject_alt_names.push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, HOSTS[0]);
    server.distinguished_name = name;
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    server.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let issuer = rcgen::Issuer::from_params(&ca, &ca_key);
    let server_cert = server.signed_by(&server_key, &issuer).map_err(tls_err)?;
    Ok(LocalTls {
        ca_cert_pem: ca_cert.pem(),
        ca_key_pem: ca_key.serialize_pem(),
        server_cert_pem: server_cert.pem(),
        server_key_pem: server_key.serialize_pem(),
    })
}
