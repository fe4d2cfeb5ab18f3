//! A provisioning profile as Apple's servers make it: the property list (spec F1's keys) signed
//! as CMS SignedData by the signing CA, the payload attached, so that
//! `openssl smime -inform der -verify -noverify` (and `security cms -D`) print the plist.

use yasna::models::ObjectIdentifier;

use super::SigningCa;
use super::plist::{Plist, to_xml};
use crate::CryptoError;

/// What a profile says.
#[derive(Debug, Clone)]
pub struct ProfileContent<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub app_id_name: &'a str,
    /// The bundle ID's identifier (`com.acme.fizz`, or a wildcard `com.acme.*`).
    pub bundle_identifier: &'a str,
    pub team_id: &'a str,
    pub team_name: &'a str,
    /// `iOS`, `OSX`, `tvOS`, …
    pub platforms: Vec<&'a str>,
    /// DER of each certificate.
    pub certificates: Vec<Vec<u8>>,
    /// UDIDs, for the types that list devices.
    pub devices: Option<Vec<&'a str>>,
    pub development: bool,
    /// ISO 8601, UTC.
    pub created: &'a str,
    pub expires: &'a str,
    pub days: i64,
}

impl ProfileContent<'_> {
    pub fn plist(&self) -> String {
        let strings = |v: &[&str]| Plist::Array(v.iter().map(|s| Plist::String((*s).to_owned())).collect());
        let team = self.team_id.to_owned();
        let mut entitlements = vec![
            ("application-identifier".to_owned(), Plist::String(format!("{team}.{}", self.bundle_identifier))),
            ("com.apple.developer.team-identifier".to_owned(), Plist::String(team.clone())),
            ("get-task-allow".to_owned(), Plist::Bool(self.development)),
            ("keychain-access-groups".to_owned(), strings(&[&format!("{team}.*")])),
        ];
        entitlements.sort_by(|a, b| a.0.cmp(&b.0));
        let mut root = vec![
            ("AppIDName".to_owned(), Plist::String(self.app_id_name.to_owned())),
            ("ApplicationIdentifierPrefix".to_owned(), strings(&[&team])),
            ("CreationDate".to_owned(), Plist::Date(self.created.to_owned())),
            (
                "DeveloperCertificates".to_owned(),
                Plist::Array(self.certificates.iter().cloned().map(Plist::Data).collect()),
            ),
            ("Entitlements".to_owned(), Plist::Dict(entitlements)),
            ("ExpirationDate".to_owned(), Plist::Date(self.expires.to_owned())),
            ("IsXcodeManaged".to_owned(), Plist::Bool(false)),
            ("Name".to_owned(), Plist::String(self.name.to_owned())),
            ("Platform".to_owned(), strings(&self.platforms)),
            ("TeamIdentifier".to_owned(), strings(&[&team])),
            ("TeamName".to_owned(), Plist::String(self.team_name.to_owned())),
            ("TimeToLive".to_owned(), Plist::Integer(self.days)),
            ("UUID".to_owned(), Plist::String(self.uuid.to_owned())),
            ("Version".to_owned(), Plist::Integer(1)),
        ];
        if let Some(devices) = &self.devices {
            root.push(("ProvisionedDevices".to_owned(), strings(devices)));
        }
        root.sort_by(|a, b| a.0.cmp(&b.0));
        to_xml(&Plist::Dict(root))
    }
}

const ID_DATA: &[u64] = &[1, 2, 840, 113549, 1, 7, 1];
const ID_SIGNED_DATA: &[u64] = &[1, 2, 840, 113549, 1, 7, 2];
const ID_CONTENT_TYPE: &[u64] = &[1, 2, 840, 113549, 1, 9, 3];
const ID_MESSAGE_DIGEST: &[u64] = &[1, 2, 840, 113549, 1, 9, 4];
const ID_SHA256: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 2, 1];
const ID_ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];

fn oid(arcs: &[u64]) -> ObjectIdentifier {
    ObjectIdentifier::from_slice(arcs)
}

/// One signed attribute: SEQUENCE { type, SET { value } }.
fn attribute(kind: &[u64], value: &[u8]) -> Vec<u8> {
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_oid(&oid(kind));
            w.next().write_set_of(|w| w.next().write_der(value));
        })
    })
}

/// `payload` signed by the CA as CMS SignedData (RFC 5652), the payload inside, the CA's
/// certificate attached, one signer identified by the CA's issuer and serial.
pub fn sign(ca: &SigningCa, payload: &[u8]) -> Result<Vec<u8>, CryptoError> {
    use rcgen::SigningKey;
    let ca_der = ca.cert_der()?;
    let (_, parsed) = x509_parser::parse_x509_certificate(&ca_der).map_err(|_| CryptoError::InvalidPublicKey)?;
    let issuer = parsed.tbs_certificate.issuer.as_raw().to_vec();
    let serial = parsed.tbs_certificate.raw_serial().to_vec();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, payload);
    let attributes = [
        attribute(ID_CONTENT_TYPE, &yasna::construct_der(|w| w.write_oid(&oid(ID_DATA)))),
        attribute(ID_MESSAGE_DIGEST, &yasna::construct_der(|w| w.write_bytes(digest.as_ref()))),
    ];
    // The signature covers the attributes as a DER SET (RFC 5652 §5.4), sorted as DER sorts.
    let signed_set = yasna::construct_der(|w| {
        w.write_set_of(|w| {
            for a in &attributes {
                w.next().write_der(a);
            }
        })
    });
    let signature = ca.key()?.sign(&signed_set).map_err(|_| CryptoError::Signing)?;
    let sha256 = |w: yasna::DERWriter| w.write_sequence(|w| w.next().write_oid(&oid(ID_SHA256)));
    Ok(yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_oid(&oid(ID_SIGNED_DATA));
            w.next().write_tagged(yasna::Tag::context(0), |w| {
                w.write_sequence(|w| {
                    w.next().write_u8(1);
                    w.next().write_set_of(|w| sha256(w.next()));
                    w.next().write_sequence(|w| {
                        w.next().write_oid(&oid(ID_DATA));
                        w.next().write_tagged(yasna::Tag::context(0), |w| w.write_bytes(payload));
                    });
                    w.next().write_tagged_implicit(yasna::Tag::context(0), |w| {
                        w.write_set_of(|w| w.next().write_der(&ca_der));
                    });
                    w.next().write_set_of(|w| {
                        w.next().write_sequence(|w| {
                            w.next().write_u8(1);
                            w.next().write_sequence(|w| {
                                w.next().write_der(&issuer);
                                w.next().write_bigint_bytes(&serial, true);
                            });
                            sha256(w.next());
                            w.next().write_tagged_implicit(yasna::Tag::context(0), |w| {
                                w.write_set_of(|w| {
                                    for a in &attributes {
                                        w.next().write_der(a);
                                    }
                                });
                            });
                            w.next().write_sequence(|w| w.next().write_oid(&oid(ID_ECDSA_SHA256)));
                            w.next().write_bytes(&signature);
                        });
                    });
                });
            });
        });
    }))
}
