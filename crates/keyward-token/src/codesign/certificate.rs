//! The certificate Apple answers for a CSR: the CSR's public key, a subject naming the team and
//! its Team ID, a random serial, one year of validity, and the extended key usage and Apple
//! marker extension of its type, signed by the installation's signing CA.

use rcgen::{CertificateParams, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyUsagePurpose};

use super::SigningCa;
use super::csr::CheckedCsr;
use crate::CryptoError;

/// Who the certificate is for.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub team_name: &'a str,
    /// The team's 10-character Team ID.
    pub team_id: &'a str,
    /// Apple's `certificateType` (`IOS_DEVELOPMENT`, `DISTRIBUTION`, …).
    pub certificate_type: &'a str,
}

/// A certificate made for a CSR.
#[derive(Debug, Clone)]
pub struct Issued {
    pub der: Vec<u8>,
    /// The serial as Apple shows it: upper-case hex.
    pub serial: String,
    /// `displayName` and the subject's common name: "Apple Development: Acme (A1B2C3D4E5)".
    pub name: String,
    pub not_after: std::time::SystemTime,
}

/// What Apple calls a certificate of this type, the first half of its common name.
pub fn type_name(certificate_type: &str) -> &'static str {
    match certificate_type {
        "DEVELOPMENT" => "Apple Development",
        "DISTRIBUTION" => "Apple Distribution",
        "IOS_DEVELOPMENT" => "iPhone Developer",
        "IOS_DISTRIBUTION" => "iPhone Distribution",
        "MAC_APP_DEVELOPMENT" => "Mac Developer",
        "MAC_APP_DISTRIBUTION" => "3rd Party Mac Developer Application",
        "MAC_INSTALLER_DISTRIBUTION" => "3rd Party Mac Developer Installer",
        "DEVELOPER_ID_APPLICATION" | "DEVELOPER_ID_APPLICATION_G2" => "Developer ID Application",
        "DEVELOPER_ID_KEXT" | "DEVELOPER_ID_KEXT_G2" => "Developer ID Kext",
        "PASS_TYPE_ID" | "PASS_TYPE_ID_WITH_NFC" => "Pass Type ID",
        _ => "Apple Certificate",
    }
}

/// Apple's marker extension of a certificate type (under 1.2.840.113635.100.6.1), which signing
/// tools read to tell development from distribution.
fn marker(certificate_type: &str) -> Option<u64> {
    Some(match certificate_type {
        "DEVELOPMENT" | "IOS_DEVELOPMENT" => 2,
        "DISTRIBUTION" | "IOS_DISTRIBUTION" => 4,
        "MAC_APP_DISTRIBUTION" => 7,
        "MAC_INSTALLER_DISTRIBUTION" => 8,
        "MAC_APP_DEVELOPMENT" => 12,
        "DEVELOPER_ID_APPLICATION" | "DEVELOPER_ID_APPLICATION_G2" => 13,
        "DEVELOPER_ID_KEXT" | "DEVELOPER_ID_KEXT_G2" => 18,
        _ => return None,
    })
}

fn err(_: rcgen::Error) -> CryptoError {
    CryptoError::Signing
}

pub fn issue(ca: &SigningCa, csr: &CheckedCsr, subject: &Subject<'_>) -> Result<Issued, CryptoError> {
    let mut serial = [0u8; 8];
    aws_lc_rs::rand::fill(&mut serial).map_err(|_| CryptoError::Rng)?;
    // Positive and without a leading zero byte, so that the DER serial and `serialNumber` agree.
    serial[0] = (serial[0] & 0x7f) | 0x10;
    let name = format!("{}: {} ({})", type_name(subject.certificate_type), subject.team_name, subject.team_id);
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CustomDnType(vec![0, 9, 2342, 19200300, 100, 1, 1]), subject.team_id);
    dn.push(DnType::CommonName, name.as_str());
    dn.push(DnType::OrganizationalUnitName, subject.team_id);
    dn.push(DnType::OrganizationName, subject.team_name);
    dn.push(DnType::CountryName, "US");
    params.distinguished_name = dn;
    params.serial_number = Some(serial.to_vec().into());
    let now = std::time::SystemTime::now();
    let not_after = now + std::time::Duration::from_secs(365 * 24 * 3600);
    params.not_before = now.into();
    params.not_after = not_after.into();
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    params.extended_key_usages = if subject.certificate_type.starts_with("PASS_TYPE_ID") {
        vec![ExtendedKeyUsagePurpose::ClientAuth]
    } else {
        vec![ExtendedKeyUsagePurpose::CodeSigning]
    };
    if let Some(n) = marker(subject.certificate_type) {
        let mut ext = CustomExtension::from_oid_content(&[1, 2, 840, 113635, 100, 6, 1, n], vec![0x05, 0x00]);
        ext.set_criticality(true);
        params.custom_extensions.push(ext);
    }
    let cert = params.signed_by(&csr.public_key, &ca.issuer()?).map_err(err)?;
    let serial = serial.iter().map(|b| format!("{b:02X}")).collect::<String>();
    Ok(Issued { der: cert.der().to_vec(), serial, name, not_after })
}
